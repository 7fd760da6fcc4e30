"""Seat inventory, fares, PNRs and passengers.

Inventory is segment-aware: a trip's legs are numbered from 0 (the leg from its stop 1 to
stop 2 is leg 0), and each `Place` keeps the legs it is occupied on as a bitmask split over
two integer columns (`legs_low`: legs 0-62, `legs_high`: legs 63-125), so that a seat sold
A→B can be sold again B→C and routes of up to 127 stops fit.

A place is a seat (`half` 0), or one half of an RAC berth (`half` 1 or 2): RAC berths carry
two RAC passengers, one per half, or one confirmed passenger holding both halves.
Inventory is created lazily, on a trip's first booking (`booking.sales.inventory`).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from fleet.models import Coach, Company, Seat, Station, Trip

MAX_LEGS = 126


class Quota(models.TextChoices):
    GENERAL = "GENERAL", "General"
    LADIES = "LADIES", "Ladies"
    SENIOR = "SENIOR", "Senior citizen / lower berth"
    TATKAL = "TATKAL", "Tatkal"
    FOREIGN_TOURIST = "FOREIGN_TOURIST", "Foreign tourist"
    RAC = "RAC", "RAC berths"


# The quotas a passenger can ask for (RAC is where seats go, not a quota one books).
BOOKABLE_QUOTAS = [q for q in Quota if q != Quota.RAC]
BOOKABLE_QUOTA_CHOICES = [(q.value, q.label) for q in BOOKABLE_QUOTAS]


class Gender(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    TRANSGENDER = "T", "Transgender"


class BerthPreference(models.TextChoices):
    NONE = "", "No preference"
    LOWER = "LB", "Lower"
    MIDDLE = "MB", "Middle"
    UPPER = "UB", "Upper"
    SIDE_LOWER = "SL", "Side lower"
    SIDE_UPPER = "SU", "Side upper"
    WINDOW = "WINDOW", "Window"
    AISLE = "AISLE", "Aisle"


class PassengerStatus(models.TextChoices):
    CONFIRMED = "CNF", "Confirmed"
    RAC = "RAC", "RAC"
    WAITLISTED = "WL", "Waitlisted"
    CANCELLED = "CAN", "Cancelled"


ACTIVE_STATUSES = [PassengerStatus.CONFIRMED, PassengerStatus.RAC, PassengerStatus.WAITLISTED]
# Holding a seat or a half berth (and so a ticket).
SEATED_STATUSES = [PassengerStatus.CONFIRMED, PassengerStatus.RAC]


class TripClass(models.Model):
    """One travel class of one trip: the row every booking of that class locks.

    Its lock serialises allocation, RAC and waitlist order for the class; the places are
    then read and written without locks of their own (every writer holds this one).
    """

    company_path = "trip__route__company"

    trip = models.ForeignKey(
        Trip, on_delete=models.CASCADE, related_name="trip_classes", db_index=False
    )  # the unique constraint indexes it
    class_code = models.CharField(max_length=12)
    seats = models.PositiveIntegerField(help_text="Seats and berths, RAC berths included.")
    # Set under the lock by whatever frees a place (a cancellation, a bigger vehicle,
    # charting); cleared by the promotion that follows. A booking that finds it set
    # promotes first, so nobody books ahead of those waiting.
    promotion_due = models.BooleanField(default=False)
    # No more bookings (the trip is cancelled); set under the lock.
    closed = models.BooleanField(default=False)
    # When charting finalised the class (under the lock): from then on a booking that
    # would leave anyone waitlisted is refused.
    charted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "trip class"
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "class_code"], name="booking_trip_class_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trip} · {self.class_code}"


class Place(models.Model):
    """One seat (or RAC half berth) of one trip: the quota it is earmarked for and the legs
    it is occupied on. Coach, seat number and berth are copied from the seat (a trip's seats
    do not change once it is sold) so that allocation and its answer read one table."""

    company_path = "trip_class__trip__route__company"

    trip_class = models.ForeignKey(
        TripClass, on_delete=models.CASCADE, related_name="places", db_index=False
    )  # the unique constraint indexes it
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="+")
    half = models.PositiveSmallIntegerField(
        default=0, help_text="0: the whole seat; 1, 2: a half of an RAC berth."
    )
    quota = models.CharField(max_length=16, choices=Quota.choices)
    coach = models.ForeignKey(Coach, on_delete=models.PROTECT, related_name="+", db_index=False)
    # Allocation order: coach position, then seat position in the coach.
    order = models.PositiveIntegerField()
    berth_type = models.CharField(max_length=8)
    coach_code = models.CharField(max_length=8)
    seat_number = models.CharField(max_length=8)
    legs_low = models.BigIntegerField(default=0)
    legs_high = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trip_class", "seat", "half"], name="booking_place_unique"
            ),
            models.CheckConstraint(condition=models.Q(half__lte=2), name="booking_place_half"),
            models.CheckConstraint(
                condition=models.Q(legs_low__gte=0, legs_high__gte=0),
                name="booking_place_legs_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trip_class} · {self.seat_id}/{self.half}"


class FareRule(models.Model):
    """What a class of a company costs: a rate per km with a minimum, and the multiplier
    of each quota in basis points (missing quotas: `booking.sales.fares.DEFAULT_MULTIPLIERS_BP`).
    Without a rule, a class costs the defaults of `booking.sales.fares.DEFAULT_RATES`."""

    company_path = "company"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="fare_rules")
    class_code = models.CharField(max_length=12)
    rate_per_km = models.PositiveIntegerField(help_text="Minor units (paise) per km.")
    minimum_fare = models.PositiveIntegerField(default=0, help_text="Minor units.")
    multipliers_bp = models.JSONField(
        default=dict,
        blank=True,
        help_text='Quota multipliers in basis points, e.g. {"TATKAL": 13000} for ×1.3.',
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "class_code"], name="booking_fare_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.class_code}"


# A PNR number: 10 ASCII digits (`sales.services.create` draws them). Addresses match it with the
# `pnr` path converter (`booking.converters`); the public status check with the same text.
PNR_PATTERN = "[0-9]{10}"


class Pnr(models.Model):
    """A booking: one journey (trip, boarding and alighting stops, class) for 1 to 6
    passengers, paid together. Its status is derived from its passengers'."""

    company_path = "trip__route__company"

    number = models.CharField("PNR", max_length=10, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pnrs",
        help_text="Who holds the booking.",
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="pnrs")
    trip_class = models.ForeignKey(TripClass, on_delete=models.PROTECT, related_name="pnrs")
    class_code = models.CharField(max_length=12)
    quota = models.CharField(
        max_length=16, choices=Quota.choices, help_text="The quota the booking was made in."
    )
    origin = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    origin_sequence = models.PositiveSmallIntegerField()
    destination_sequence = models.PositiveSmallIntegerField()
    departure_at = models.DateTimeField(help_text="Leaves the boarding stop.")
    arrival_at = models.DateTimeField(help_text="Reaches the alighting stop.")
    distance_km = models.DecimalField(max_digits=7, decimal_places=1)
    legs_low = models.BigIntegerField()
    legs_high = models.BigIntegerField()
    total_fare = models.BigIntegerField(help_text="Minor units.")
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "PNR"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="booking_pnr_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(origin_sequence__lt=models.F("destination_sequence")),
                name="booking_pnr_forward",
            ),
            models.CheckConstraint(
                condition=models.Q(total_fare__gte=0), name="booking_pnr_fare_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Passenger(models.Model):
    """One traveller of a PNR: who, where they sit (CNF, RAC) or wait (WL), what they paid.

    RAC and WL positions are not stored: they are derived when read, from the order of the
    passengers waiting in the same trip and class (`booking.sales.selectors`).
    """

    company_path = "pnr__trip__route__company"

    pnr = models.ForeignKey(Pnr, on_delete=models.CASCADE, related_name="passengers")
    trip_class = models.ForeignKey(
        TripClass, on_delete=models.PROTECT, related_name="+", db_index=False
    )  # the queue index covers it
    index = models.PositiveSmallIntegerField(help_text="1 to 6, in the order given.")
    name = models.CharField(max_length=100)
    age = models.PositiveSmallIntegerField()
    gender = models.CharField(max_length=1, choices=Gender.choices)
    berth_preference = models.CharField(max_length=8, choices=BerthPreference.choices, blank=True)
    passport_number = models.CharField(max_length=20, blank=True)
    nationality = models.CharField(max_length=2, blank=True, help_text="ISO 3166 country.")
    status = models.CharField(max_length=3, choices=PassengerStatus.choices)
    booking_status = models.CharField(
        max_length=3, choices=PassengerStatus.choices, help_text="The status when booked."
    )
    quota = models.CharField(
        max_length=16, choices=Quota.choices, help_text="The quota of the seat held, or queued in."
    )
    seat = models.ForeignKey(
        Seat, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    half = models.PositiveSmallIntegerField(default=0, help_text="RAC: the half berth held.")
    fare = models.BigIntegerField(help_text="Minor units.")
    cancellation = models.ForeignKey(
        "Cancellation", on_delete=models.PROTECT, null=True, blank=True, related_name="passengers"
    )
    refund = models.BigIntegerField(default=0, help_text="Minor units, paid back on cancellation.")

    class Meta:
        ordering = ["pnr", "index"]
        indexes = [
            models.Index(fields=["trip_class", "status", "id"], name="booking_passenger_queue_idx")
        ]
        constraints = [
            models.UniqueConstraint(fields=["pnr", "index"], name="booking_passenger_unique"),
            models.CheckConstraint(
                condition=(
                    models.Q(status__in=["CNF", "RAC"], seat__isnull=False)
                    | models.Q(status__in=["WL", "CAN"])
                ),
                name="booking_passenger_seated_when_cnf_or_rac",
            ),
            models.CheckConstraint(
                condition=models.Q(fare__gte=0), name="booking_passenger_fare_nonnegative"
            ),
            models.CheckConstraint(
                condition=models.Q(refund__gte=0, refund__lte=models.F("fare")),
                name="booking_passenger_refund_within_fare",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status="CAN", cancellation__isnull=False)
                    | models.Q(status__in=["CNF", "RAC", "WL"], cancellation__isnull=True, refund=0)
                ),
                name="booking_passenger_cancelled_with_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pnr_id} #{self.index} {self.name}"


class Cancellation(models.Model):
    """One cancellation of some or all passengers of a PNR: who, when, why, under which
    policy, how long before departure, and the money. Each passenger's line (status, fare,
    charge, refund, the rule that applied) is in `lines`; the passengers point here."""

    company_path = "pnr__trip__route__company"

    class Cause(models.TextChoices):
        PASSENGER = "passenger", "Cancelled by the passenger"
        TRIP_CANCELLED = "trip_cancelled", "Trip cancelled by the operator"
        CHARTING = "charting", "Still waitlisted at charting"

    pnr = models.ForeignKey(Pnr, on_delete=models.PROTECT, related_name="cancellations")
    cause = models.CharField(max_length=16, choices=Cause.choices)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    policy = models.CharField(max_length=16, help_text="The refund policy applied.")
    minutes_before_departure = models.IntegerField(
        help_text="From the cancellation to the departure from the boarding stop."
    )
    charted = models.BooleanField(default=False, help_text="After the chart was prepared.")
    fare = models.BigIntegerField(help_text="Minor units: the cancelled passengers' fares.")
    charge = models.BigIntegerField(help_text="Minor units kept.")
    refund = models.BigIntegerField(help_text="Minor units paid back.")
    lines = models.JSONField(default=list)
    transaction = models.ForeignKey(
        "payments.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The refund in the ledger.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    refund__gte=0, charge__gte=0, fare=models.F("charge") + models.F("refund")
                ),
                name="booking_cancellation_money_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pnr_id} · {self.get_cause_display()}"


class Promotion(models.Model):
    """A passenger moved up the queue (WL → RAC or CNF, RAC → CNF), and why."""

    company_path = "trip_class__trip__route__company"

    class Cause(models.TextChoices):
        CANCELLATION = "cancellation", "A place was freed"
        CHARTING = "charting", "Charting"
        VEHICLE_SWAP = "vehicle_swap", "A bigger vehicle"

    passenger = models.ForeignKey(Passenger, on_delete=models.CASCADE, related_name="promotions")
    trip_class = models.ForeignKey(TripClass, on_delete=models.CASCADE, related_name="+")
    from_status = models.CharField(max_length=3, choices=PassengerStatus.choices)
    to_status = models.CharField(max_length=3, choices=PassengerStatus.choices)
    seat = models.ForeignKey(Seat, on_delete=models.PROTECT, related_name="+")
    half = models.PositiveSmallIntegerField(default=0)
    cause = models.CharField(max_length=16, choices=Cause.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.passenger_id}: {self.from_status} → {self.to_status}"


class Chart(models.Model):
    """A trip's reservation chart: prepared once at charting time, then frozen. `rows` holds
    one entry per seated passenger (coach, berth, name, age, gender, PNR, stops, status),
    in coach and berth order, as printed."""

    company_path = "trip__route__company"

    trip = models.OneToOneField(Trip, on_delete=models.CASCADE, related_name="chart")
    prepared_at = models.DateTimeField(default=timezone.now)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: prepared on schedule.",
    )
    rows = models.JSONField(default=list)
    summary = models.JSONField(default=dict, help_text="What charting did, in counts.")

    class Meta:
        ordering = ["-prepared_at"]

    def __str__(self) -> str:
        return f"Chart of {self.trip}"


# --- Tickets and boarding -------------------------------------------------------------------


class TicketKey(models.Model):
    """A pair of ticket signing keys under one key id: an HMAC-SHA256 secret (checked by the
    server) and an Ed25519 key (its public half lets scanners check tickets offline).

    The active key signs new tickets; retired keys still verify the tickets they signed;
    revoked keys verify nothing. Used only when `TTMS_TICKET_KEYS` is not set (keys from
    the environment); generated on first use (`booking.boarding.ticket_keys`).
    """

    class State(models.TextChoices):
        ACTIVE = "active", "Active: signs and verifies"
        RETIRED = "retired", "Retired: verifies tickets it signed"
        REVOKED = "revoked", "Revoked: refused"

    kid = models.CharField("key id", max_length=16, unique=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.ACTIVE)
    hmac_secret = models.CharField(max_length=64, help_text="Base64, 32 bytes.")
    ed25519_private = models.CharField(max_length=64, help_text="Base64, the 32-byte seed.")
    ed25519_public = models.CharField(max_length=64, help_text="Base64url, 32 bytes.")
    created_at = models.DateTimeField(default=timezone.now)
    state_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "ticket key"
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One signing key at a time, also when two workers generate the first at once.
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="active"),
                name="booking_ticket_key_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.state})"


class ScanResult(models.TextChoices):
    VALID = "valid", "Valid: boarded"
    ALREADY_BOARDED = "already_boarded", "Already boarded"
    CANCELLED = "cancelled", "Cancelled ticket"
    WRONG_TRIP = "wrong_trip", "Another trip's ticket"
    NOT_YET_VALID = "not_yet_valid", "Not valid yet"
    EXPIRED = "expired", "Expired"
    INVALID_SIGNATURE = "invalid_signature", "Invalid signature"
    MALFORMED = "malformed", "Not a ticket"


class BoardingScan(models.Model):
    """One scan of a QR by a driver, online or uploaded from a device's offline queue:
    what was scanned, when, where, by whom, and the answer."""

    company_path = "trip__route__company"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="boarding_scans")
    passenger = models.ForeignKey(
        Passenger,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="scans",
        help_text="Empty when the QR named no ticket.",
    )
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scanned_at = models.DateTimeField(
        help_text="When the QR was read (the device's clock for offline scans)."
    )
    received_at = models.DateTimeField(default=timezone.now)
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    device = models.CharField(max_length=64, blank=True)
    nonce = models.CharField(
        max_length=64, blank=True, help_text="The device's id of an offline scan (idempotency)."
    )
    offline = models.BooleanField(default=False)
    device_result = models.CharField(
        max_length=20,
        choices=ScanResult.choices,
        blank=True,
        help_text="What the device answered offline.",
    )
    result = models.CharField(max_length=20, choices=ScanResult.choices)
    reason = models.CharField(max_length=300)
    payload_digest = models.CharField(max_length=64, help_text="SHA-256 of the QR text.")

    class Meta:
        ordering = ["-scanned_at", "-pk"]
        indexes = [models.Index(fields=["trip", "scanned_at"], name="booking_scan_trip_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "nonce"],
                condition=~models.Q(nonce=""),
                name="booking_scan_nonce_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trip_id} · {self.result} · {self.scanned_at:%Y-%m-%d %H:%M}"


class Boarding(models.Model):
    """A passenger on board: at most one per passenger (the unique passenger is what makes
    a second scan `already_boarded`). Points at the scan that won: the earliest."""

    company_path = "trip__route__company"

    passenger = models.OneToOneField(Passenger, on_delete=models.CASCADE, related_name="boarding")
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="boardings")
    scan = models.OneToOneField(BoardingScan, on_delete=models.PROTECT, related_name="+")
    boarded_at = models.DateTimeField()
    boarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["boarded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.passenger} boarded {self.boarded_at:%Y-%m-%d %H:%M}"


class BoardingConflict(models.Model):
    """Two scans that both let one ticket in (devices offline, each unaware of the other):
    the earlier scan boarded the passenger, the later one is reported to the company."""

    company_path = "trip__route__company"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="boarding_conflicts")
    passenger = models.ForeignKey(Passenger, on_delete=models.CASCADE, related_name="+")
    winner = models.ForeignKey(BoardingScan, on_delete=models.PROTECT, related_name="+")
    loser = models.OneToOneField(BoardingScan, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.passenger}: scans {self.winner_id} and {self.loser_id}"
