"""Trips (a route run on a date by a vehicle) and their history of status changes."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ttms.localtime import local_datetime

from .routes import Route
from .vehicles import Vehicle


class TripStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    BOARDING = "boarding", _("Boarding")
    DEPARTED = "departed", _("Departed")
    ARRIVED = "arrived", _("Arrived")
    CANCELLED = "cancelled", _("Cancelled")


class Trip(models.Model):
    """One run of a route: a trip leaving its first stop at `departure_at`.

    Kept light on purpose (about a hundred bytes a row) so that months of a national
    timetable fit: seat inventory is created by the booking app when the trip is first sold,
    under a lock on this row, not here.
    """

    company_path = "route__company"

    # Indexed by the (route, departure_at) constraint, which also serves trip search.
    route = models.ForeignKey(Route, on_delete=models.PROTECT, related_name="trips", db_index=False)
    # The day of the timetable this run belongs to (its first stop's local date, or the GTFS
    # service day for runs after midnight).
    service_date = models.DateField()
    departure_at = models.DateTimeField(help_text=_("From the first stop."))
    arrival_at = models.DateTimeField(help_text=_("At the last stop."))
    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.PROTECT, null=True, blank=True, related_name="trips"
    )
    drivers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="driven_trips"
    )
    status = models.CharField(
        max_length=12, choices=TripStatus.choices, default=TripStatus.SCHEDULED
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["departure_at", "route"]
        indexes = [
            models.Index(fields=["departure_at"], name="fleet_trip_departure_idx"),
            # The clock's due trips (booking's trips_advance_by_clock): the few not yet
            # arrived or cancelled whose departure has passed, without walking the history.
            models.Index(
                fields=["departure_at"],
                name="fleet_trip_open_departure_idx",
                condition=models.Q(status__in=["scheduled", "boarding", "departed"]),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["route", "departure_at"], name="fleet_trip_route_departure_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(arrival_at__gte=models.F("departure_at")),
                name="fleet_trip_arrives_after_departure",
            ),
        ]

    def __str__(self) -> str:
        # "101 04 Dec 2026 06:00 CAT": local time, never UTC, so that nobody cancels or swaps
        # the wrong departure. Always the operator's zone, however the trip was loaded, so a
        # trip has one name on every page and message (the departure column gives the first
        # stop's zone, the same but for cross-border runs).
        return (
            f"{self.route.number} {local_datetime(self.departure_at, self.route.company.time_zone)}"
        )

    @property
    def is_locked(self) -> bool:
        """Departed, arrived or cancelled trips are history: nothing about them changes."""
        return self.status in LOCKED_STATUSES

    @property
    def departure_zone_name(self) -> str:
        """The time zone of the first stop's station, else the operator's. Read from the
        `departure_zone` annotation (fleet.admin_display.trip_zones) or prefetched stops when
        there are, so that a list of trips costs no query per row."""
        return self._stop_zone("departure_zone", first=True)

    @property
    def arrival_zone_name(self) -> str:
        """The time zone of the last stop's station, else the operator's."""
        return self._stop_zone("arrival_zone", first=False)

    def _stop_zone(self, annotation: str, *, first: bool) -> str:
        annotated = getattr(self, annotation, None)
        if annotated:
            return annotated
        stops = getattr(self.route, "_prefetched_objects_cache", {}).get("stops")
        if stops:
            ordered = sorted(stops, key=lambda stop: stop.sequence)
            return (ordered[0] if first else ordered[-1]).station.time_zone
        return self.route.company.time_zone


LOCKED_STATUSES = frozenset({TripStatus.DEPARTED, TripStatus.ARRIVED, TripStatus.CANCELLED})


class TripEvent(models.Model):
    """Audit trail of a trip: who changed what, when and why."""

    company_path = "trip__route__company"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, choices=TripStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=TripStatus.choices, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["trip", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.trip} {self.action} {self.at:%Y-%m-%d %H:%M}"
