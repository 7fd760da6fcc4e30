"""Routes, their stops and the days they run."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .companies import Company
from .stations import Station
from .vehicles import Vehicle


class Weekday(models.IntegerChoices):
    """Bits of `Route.running_days`, Monday first as `date.weekday()` counts."""

    MONDAY = 1, _("Mon")
    TUESDAY = 2, _("Tue")
    WEDNESDAY = 4, _("Wed")
    THURSDAY = 8, _("Thu")
    FRIDAY = 16, _("Fri")
    SATURDAY = 32, _("Sat")
    SUNDAY = 64, _("Sun")


ALL_DAYS = 127


def parse_departure_times(value: str) -> list[int]:
    """'06:00, 18:30 25:10' -> minutes after the service day's midnight [360, 1110, 1510].

    Hours may pass 24 (a trip of the service day that leaves after midnight, as GTFS
    writes it).
    """
    minutes = []
    for token in value.replace(",", " ").split():
        hours, sep, mins = token.partition(":")
        if not sep or not hours.isdigit() or not mins.isdigit() or len(mins) != 2:
            raise ValidationError(_("{token!r} is not a time like 06:30.").format(token=token))
        h, m = int(hours), int(mins)
        if m > 59 or h > 47:
            raise ValidationError(
                _("{token!r} is not a time between 00:00 and 47:59.").format(token=token)
            )
        minutes.append(h * 60 + m)
    return sorted(set(minutes))


def format_departure_times(minutes: list[int]) -> str:
    return " ".join(f"{m // 60:02d}:{m % 60:02d}" for m in sorted(set(minutes)))


def validate_departure_times(value: str) -> None:
    if not parse_departure_times(value):
        raise ValidationError(_("Give at least one departure time, like 06:30."))


class Route(models.Model):
    """A timetabled service: a train number or a bus line with fixed stops and times.

    It leaves its first stop at each of `departure_times` (local time of that stop) on the
    days it runs: the weekdays of `running_days` between `valid_from` and `valid_to`, plus
    and minus the dates of its exceptions. Each run is a Trip.
    """

    company_path = "company"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="routes")
    code = models.CharField(
        max_length=100, help_text=_("Unique within the company: train number, GTFS trip id.")
    )
    number = models.CharField(
        max_length=20, help_text=_("Train or bus number shown to passengers.")
    )
    name = models.CharField(max_length=200)
    departure_times = models.TextField(
        validators=[validate_departure_times],
        help_text=_(
            "Departures from the first stop, local time, e.g. '06:00 14:30'. Hours may "
            "exceed 24 for runs after midnight that belong to the previous day."
        ),
    )
    running_days = models.PositiveSmallIntegerField(
        default=ALL_DAYS,
        validators=[MaxValueValidator(ALL_DAYS)],
        help_text=_("Weekdays it leaves its first stop."),
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    default_vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="routes",
        help_text=_("Given to the trips generated from now on."),
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["company", "number", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="fleet_route_company_code_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_to__isnull=True)
                | models.Q(valid_from__lte=models.F("valid_to")),
                name="fleet_route_validity_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    @property
    def departure_minutes(self) -> list[int]:
        return parse_departure_times(self.departure_times)

    def running_day_labels(self) -> str:
        if self.running_days == ALL_DAYS:
            return str(_("Daily"))
        return " ".join(str(day.label) for day in Weekday if self.running_days & day.value) or "—"


class RouteStop(models.Model):
    """The `sequence`-th stop of a route, with times as minutes after the route leaves its
    first stop (they pass 1,440 on trains that run overnight)."""

    company_path = "route__company"

    # Both foreign keys are covered by the composite indexes below (hundreds of thousands of
    # rows for a national timetable: single-column indexes would only cost space).
    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops", db_index=False)
    sequence = models.PositiveSmallIntegerField()
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="route_stops", db_index=False
    )
    distance_km = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("From the first stop."),
    )
    arrival_offset = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Minutes after departure from the first stop.")
    )
    departure_offset = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Minutes after departure from the first stop; empty at the last stop."),
    )

    class Meta:
        ordering = ["route", "sequence"]
        indexes = [models.Index(fields=["station", "route"], name="fleet_routestop_station_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["route", "sequence"], name="fleet_routestop_route_sequence_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(arrival_offset__isnull=True)
                | models.Q(departure_offset__isnull=True)
                | models.Q(arrival_offset__lte=models.F("departure_offset")),
                name="fleet_routestop_arrives_before_leaving",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route.number} #{self.sequence} {self.station.code}"


class RouteException(models.Model):
    """A date on which a route runs although its weekdays say not (ADDED), or the reverse."""

    company_path = "route__company"

    class Kind(models.TextChoices):
        ADDED = "added", _("Runs")
        REMOVED = "removed", _("Does not run")

    route = models.ForeignKey(
        Route, on_delete=models.CASCADE, related_name="exceptions", db_index=False
    )  # the (route, date) constraint indexes it
    date = models.DateField()
    kind = models.CharField(max_length=8, choices=Kind.choices)

    class Meta:
        ordering = ["route", "date"]
        constraints = [
            models.UniqueConstraint(fields=["route", "date"], name="fleet_route_exception_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.route.number} {self.date} {self.get_kind_display()}"
