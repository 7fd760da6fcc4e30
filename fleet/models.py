import functools
from decimal import Decimal
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ttms.accounts.models import Role

from .refund_policies import tiers_from_json
from .text import fold_name


@functools.cache
def _time_zone_names() -> frozenset[str]:
    # available_timezones() walks the tz database on every call; importers validate many rows.
    return frozenset(available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _time_zone_names():
        raise ValidationError(f"{value!r} is not an IANA time zone name.")


class Company(models.Model):
    """An operator (rail or bus) on the platform; its business rules are data on this row."""

    company_path = "pk"

    class Kind(models.TextChoices):
        RAIL = "rail", "Rail"
        BUS = "bus", "Bus"

    class RefundPolicy(models.TextChoices):
        TIERED = "tiered", "Tiered (48 h 90 %, 24 h 75 %, 12 h 50 %)"
        FLAT80 = "flat80", "Flat 80 % before departure"
        IRCTC2015 = "irctc2015", "Indian Railways 2015 rules"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    time_zone = models.CharField(
        max_length=64, default="Asia/Kolkata", validators=[validate_time_zone]
    )
    # The platform's share of each sale, in basis points (500 = 5 %).
    commission_bp = models.PositiveIntegerField(default=500, validators=[MaxValueValidator(10_000)])
    refund_policy = models.CharField(
        max_length=16, choices=RefundPolicy.choices, default=RefundPolicy.TIERED
    )
    # Editable tiers replacing the preset's, e.g. [{"hours": 48, "charge_percent": 10},
    # {"hours": 24, "charge_percent": 25}]; empty: the preset's (fleet.refund_policies).
    refund_tiers = models.JSONField(
        default=list,
        blank=True,
        help_text="Hours before departure to a charge, first match wins, e.g. "
        '[{"hours": 48, "charge_percent": 10}, {"hours": 24, "charge_percent": 25}]. '
        'Optional keys: "at_least" (default true), "flat_charge", '
        '"until_charting". Empty: the preset\'s tiers.',
    )
    # Per travel class, the seats of a trip earmarked for each quota, e.g.
    # {"SL": {"LADIES": 6, "SENIOR": 12, "TATKAL": 14}}: counts for the whole class of one
    # trip; the rest are GENERAL (RAC berths are earmarked by the seat layout). A class not
    # named gets the railway defaults on a rail company (booking.rules.default_distribution).
    quota_distribution = models.JSONField(default=dict, blank=True)
    # Minutes before departure from the origin when the chart is prepared; null: the
    # railway rule (21:00 the day before for 05:00-14:00 departures, else 8 h before).
    charting_offset_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(0)]
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            tiers_from_json(self.refund_tiers)
        except ValueError as exc:
            raise ValidationError({"refund_tiers": str(exc)}) from None


class CompanyMembership(models.Model):
    """A user working for a company in one staff role (company admin, scheduler, driver, agent)."""

    STAFF_ROLES = [Role.COMPANY_ADMIN, Role.SCHEDULER, Role.DRIVER, Role.AGENT]
    company_path = "company"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=[(r.value, r.label) for r in STAFF_ROLES])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="fleet_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.company} · {self.get_role_display()}"


# --- Stations -----------------------------------------------------------------------------


class Station(models.Model):
    """A place where passengers board or alight: a railway station or a bus stop.

    Stations without a company are shared by every operator (the national railway network);
    a company's own stops (a bus park, a GTFS stop) carry its company.
    """

    # Admin scoping (fleet.admin_scoping): the path to the owning company, and whether rows
    # without a company are shared with every operator.
    company_path = "company"
    company_shared_when_null = True

    code = models.CharField(
        max_length=64,
        unique=True,
        help_text="Public code, e.g. NDLS; GTFS stops are PREFIX:stop_id.",
    )
    name = models.CharField(max_length=150)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="State or province.")
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    # The name folded (fleet.text.fold_name): what lookups compare against.
    search_name = models.CharField(max_length=150, editable=False)
    company = models.ForeignKey(
        Company,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stations",
        help_text="Empty: shared by every operator.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["search_name"], name="fleet_station_search_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
                name="fleet_station_both_coordinates_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self):
        super().clean()
        self.code = self.code.strip().upper()
        self.search_name = fold_name(self.name)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


class StationAlias(models.Model):
    """Another name passengers use for a station (old names, spellings, other scripts)."""

    company_path = "station__company"
    company_shared_when_null = True

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=150)
    # Upper-cased, accents and punctuation folded: what lookups compare against.
    search_name = models.CharField(max_length=150, editable=False, db_index=True)

    class Meta:
        verbose_name_plural = "station aliases"
        constraints = [
            models.UniqueConstraint(
                fields=["station", "search_name"], name="fleet_station_alias_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        self.search_name = fold_name(self.name)


# --- Classes, layouts, vehicles, coaches, seats ----------------------------------------------


class TravelClass(models.Model):
    """A class of travel (SL, 3A, 2A, 1A, CC; STANDARD, VIP on buses).

    The standard classes are shared (no company); an operator may add its own.
    """

    company_path = "company"
    company_shared_when_null = True

    code = models.CharField(max_length=12)
    name = models.CharField(max_length=60)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="travel_classes"
    )
    is_sleeper = models.BooleanField(default=False)
    # Display order: the most expensive class first, as on a railway ticket.
    rank = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name_plural = "travel classes"
        ordering = ["rank", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="fleet_travel_class_company_code_unique"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(company__isnull=True),
                name="fleet_travel_class_shared_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class BerthType(models.TextChoices):
    LOWER = "LB", "Lower berth"
    MIDDLE = "MB", "Middle berth"
    UPPER = "UB", "Upper berth"
    SIDE_LOWER = "SL", "Side lower berth"
    SIDE_UPPER = "SU", "Side upper berth"
    WINDOW = "WINDOW", "Window seat"
    MIDDLE_SEAT = "MIDDLE", "Middle seat"
    AISLE = "AISLE", "Aisle seat"


class SeatLayout(models.Model):
    """A named seat plan that coaches are built from (fleet.layouts has the builders).

    The standard Indian Railways and bus plans are shared; a bus company defines its own
    with a row count or, for anything else, a grid drawn in text (see `fleet.layouts`).
    """

    company_path = "company"
    company_shared_when_null = True

    class Kind(models.TextChoices):
        SL = "SL", "Indian Railways sleeper (72 berths)"
        AC3 = "3A", "Indian Railways AC three tier (72 berths)"
        AC2_48 = "2A48", "Indian Railways AC two tier (48 berths)"
        AC2_54 = "2A54", "Indian Railways AC two tier (54 berths)"
        AC1 = "1A", "Indian Railways AC first class (24 berths)"
        CC = "CC", "Indian Railways chair car (78 seats, 3+2)"
        BUS_2_2 = "BUS22", "Bus 2+2 (rows × 4 seats)"
        BUS_2_1 = "BUS21", "Bus 2+1 (rows × 3 seats)"
        GRID = "GRID", "Custom grid"

    name = models.CharField(max_length=80)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="seat_layouts"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    rows = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(40)],
        help_text="Bus layouts: number of seat rows.",
    )
    grid = models.TextField(
        blank=True,
        help_text="Custom grid: one line per row, a letter per seat, '_' for the aisle, "
        "'.' for no seat; e.g. 'AB_CD'. Seats are numbered row by row.",
    )
    rac_berths = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Railway sleeper layouts: side-lower berths earmarked for RAC "
        "(empty: the class default).",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"], name="fleet_seat_layout_company_name_unique"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(company__isnull=True),
                name="fleet_seat_layout_shared_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        # Imported here because fleet.layouts imports this module's choices.
        from .layouts import LayoutError, layout_seats

        try:
            layout_seats(self)
        except LayoutError as exc:
            field = "grid" if self.kind == self.Kind.GRID else "rows"
            raise ValidationError({field: str(exc)}) from exc


class Vehicle(models.Model):
    """A bus, or a train rake: the thing that carries passengers, made of coaches."""

    company_path = "company"

    class Kind(models.TextChoices):
        TRAIN = "train", "Train rake"
        BUS = "bus", "Bus"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="vehicles")
    code = models.CharField(max_length=40, help_text="Registration plate or rake number.")
    name = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["company", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="fleet_vehicle_company_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class Coach(models.Model):
    """One coach of a rake (S1, B2, A1) or the single cabin of a bus, of one travel class."""

    company_path = "vehicle__company"

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="coaches", db_index=False
    )  # the (vehicle, code) constraint indexes it
    code = models.CharField(max_length=8)
    travel_class = models.ForeignKey(TravelClass, on_delete=models.PROTECT, related_name="coaches")
    layout = models.ForeignKey(
        SeatLayout,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coaches",
        help_text="Seats are built from it when the coach is created.",
    )
    position = models.PositiveSmallIntegerField(default=1, help_text="Order in the rake.")

    class Meta:
        verbose_name_plural = "coaches"
        ordering = ["vehicle", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle", "code"], name="fleet_coach_vehicle_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle.code} · {self.code}"


class Seat(models.Model):
    """A seat or berth of a coach; `row` and `column` place it on a seat map."""

    company_path = "coach__vehicle__company"

    # Indexed by the (coach, number) unique constraint; a second index would only cost space.
    coach = models.ForeignKey(Coach, on_delete=models.CASCADE, related_name="seats", db_index=False)
    number = models.CharField(max_length=8)
    berth_type = models.CharField(max_length=8, choices=BerthType.choices)
    is_rac = models.BooleanField(
        "RAC berth", default=False, help_text="Shared by two RAC passengers until confirmed."
    )
    row = models.PositiveSmallIntegerField(default=0)
    column = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["coach", "row", "column"]
        constraints = [
            models.UniqueConstraint(
                fields=["coach", "number"], name="fleet_seat_coach_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(is_rac=False) | models.Q(berth_type=BerthType.SIDE_LOWER),
                name="fleet_seat_rac_only_side_lower",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coach} · {self.number} {self.berth_type}"


# --- Routes and running days ------------------------------------------------------------------


class Weekday(models.IntegerChoices):
    """Bits of `Route.running_days`, Monday first as `date.weekday()` counts."""

    MONDAY = 1, "Mon"
    TUESDAY = 2, "Tue"
    WEDNESDAY = 4, "Wed"
    THURSDAY = 8, "Thu"
    FRIDAY = 16, "Fri"
    SATURDAY = 32, "Sat"
    SUNDAY = 64, "Sun"


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
            raise ValidationError(f"{token!r} is not a time like 06:30.")
        h, m = int(hours), int(mins)
        if m > 59 or h > 47:
            raise ValidationError(f"{token!r} is not a time between 00:00 and 47:59.")
        minutes.append(h * 60 + m)
    return sorted(set(minutes))


def format_departure_times(minutes: list[int]) -> str:
    return " ".join(f"{m // 60:02d}:{m % 60:02d}" for m in sorted(set(minutes)))


def validate_departure_times(value: str) -> None:
    if not parse_departure_times(value):
        raise ValidationError("Give at least one departure time, like 06:30.")


class Route(models.Model):
    """A timetabled service: a train number or a bus line with fixed stops and times.

    It leaves its first stop at each of `departure_times` (local time of that stop) on the
    days it runs: the weekdays of `running_days` between `valid_from` and `valid_to`, plus
    and minus the dates of its exceptions. Each run is a Trip.
    """

    company_path = "company"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="routes")
    code = models.CharField(
        max_length=100, help_text="Unique within the company: train number, GTFS trip id."
    )
    number = models.CharField(max_length=20, help_text="Train or bus number shown to passengers.")
    name = models.CharField(max_length=200)
    departure_times = models.TextField(
        validators=[validate_departure_times],
        help_text="Departures from the first stop, local time, e.g. '06:00 14:30'. Hours may "
        "exceed 24 for runs after midnight that belong to the previous day.",
    )
    running_days = models.PositiveSmallIntegerField(
        default=ALL_DAYS,
        validators=[MaxValueValidator(ALL_DAYS)],
        help_text="Weekdays it leaves its first stop.",
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    default_vehicle = models.ForeignKey(
        Vehicle,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="routes",
        help_text="Given to the trips generated from now on.",
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
            return "Daily"
        return " ".join(day.label for day in Weekday if self.running_days & day.value) or "—"


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
        help_text="From the first stop.",
    )
    arrival_offset = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minutes after departure from the first stop."
    )
    departure_offset = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Minutes after departure from the first stop; empty at the last stop.",
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
        ADDED = "added", "Runs"
        REMOVED = "removed", "Does not run"

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


# --- Trips ---------------------------------------------------------------------------------------


class TripStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    BOARDING = "boarding", "Boarding"
    DEPARTED = "departed", "Departed"
    ARRIVED = "arrived", "Arrived"
    CANCELLED = "cancelled", "Cancelled"


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
    departure_at = models.DateTimeField(help_text="From the first stop.")
    arrival_at = models.DateTimeField(help_text="At the last stop.")
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
        return f"{self.route.number} {self.service_date:%Y-%m-%d} {self.departure_at:%H:%M}Z"

    @property
    def is_locked(self) -> bool:
        """Departed, arrived or cancelled trips are history: nothing about them changes."""
        return self.status in LOCKED_STATUSES


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
