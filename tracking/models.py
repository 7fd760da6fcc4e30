"""What tracking keeps in the database: a sampled trail of each trip's positions (its
record, kept `TTMS_TRAIL_RETENTION_DAYS` days) and each stop's actual arrival and departure.

The live state (each vehicle's latest fix, a short recent trail, the trip's progress) lives
in the position store (`tracking.store`: Redis, or in-process when embedded): publishing a
fix never waits on the database.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from fleet.models import Station, Trip, Vehicle


class FixSource(models.TextChoices):
    DRIVER = "driver", _("Driver's phone")
    FEED = "feed", _("Operator's GTFS-Realtime feed")
    SIMULATOR = "simulator", _("Simulator")


class PositionSample(models.Model):
    """One GPS fix of a trip's vehicle, as sampled into the trip's record (not every fix:
    at most one per `TTMS_TRAIL_SAMPLE_SECONDS`). Unique per trip and device time, so an
    offline batch sent twice is kept once."""

    company_path = "trip__route__company"

    trip = models.ForeignKey(
        Trip, on_delete=models.CASCADE, related_name="position_samples", db_index=False
    )  # the (trip, recorded_at) constraint indexes it
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(help_text=_("When the device took the fix."))
    received_at = models.DateTimeField(help_text=_("When the server accepted it."))
    lat = models.FloatField()
    lon = models.FloatField()
    speed_kmh = models.FloatField(null=True, blank=True)
    heading = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    # Metres along the route from its first stop, as the fix was matched onto it.
    progress_m = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=12, choices=FixSource.choices, default=FixSource.DRIVER)

    class Meta:
        verbose_name = _("position sample")
        ordering = ["trip", "recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "recorded_at"], name="tracking_sample_trip_recorded_unique"
            ),
        ]
        indexes = [models.Index(fields=["received_at"], name="tracking_sample_received")]

    def __str__(self) -> str:
        return f"{self.trip} · {self.recorded_at:%Y-%m-%d %H:%M:%S}Z"


class StopVisit(models.Model):
    """A trip's call at one stop of its route, as tracking saw it: when the vehicle
    arrived and left (geofence events with a dwell debounce), or that it passed without
    being seen there (`skipped`: a GPS gap, or no stop). One row per trip and stop."""

    company_path = "trip__route__company"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="stop_visits")
    sequence = models.PositiveSmallIntegerField(help_text=_("The stop's sequence on the route."))
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    arrived_at = models.DateTimeField(null=True, blank=True)
    departed_at = models.DateTimeField(null=True, blank=True)
    skipped = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("stop visit")
        ordering = ["trip", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "sequence"], name="tracking_stop_visit_trip_sequence_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trip} · {self.sequence} {self.station.code}"
