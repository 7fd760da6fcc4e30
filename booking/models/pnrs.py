"""PNRs and their passengers: who travels, in which status, on which seat, for what fare."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleet.models import Seat, Station, Trip

from .inventory import Quota, TripClass


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    TRANSGENDER = "T", _("Transgender")


class BerthPreference(models.TextChoices):
    NONE = "", _("No preference")
    LOWER = "LB", _("Lower")
    MIDDLE = "MB", _("Middle")
    UPPER = "UB", _("Upper")
    SIDE_LOWER = "SL", _("Side lower")
    SIDE_UPPER = "SU", _("Side upper")
    WINDOW = "WINDOW", _("Window")
    AISLE = "AISLE", _("Aisle")


class PassengerStatus(models.TextChoices):
    CONFIRMED = "CNF", _("Confirmed")
    RAC = "RAC", _("RAC")
    WAITLISTED = "WL", _("Waitlisted")
    CANCELLED = "CAN", _("Cancelled")


ACTIVE_STATUSES = [PassengerStatus.CONFIRMED, PassengerStatus.RAC, PassengerStatus.WAITLISTED]
# Holding a seat or a half berth (and so a ticket).
SEATED_STATUSES = [PassengerStatus.CONFIRMED, PassengerStatus.RAC]

# A PNR number: 10 ASCII digits (`sales.services.create` draws them). Addresses match it with the
# `pnr` path converter (`booking.converters`); the public status check with the same text.
PNR_PATTERN = "[0-9]{10}"


class Pnr(models.Model):
    """A booking: one journey (trip, boarding and alighting stops, class) for 1 to 6
    passengers, paid together. Its status is derived from its passengers'."""

    company_path = "trip__route__company"

    number = models.CharField(_("PNR"), max_length=10, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="pnrs",
        help_text=_("Who holds the booking."),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # A sale for cash at the counter: who bought it (the agent holds the PNR for them).
    buyer_name = models.CharField(_("buyer's name"), max_length=120, blank=True)
    buyer_phone = models.CharField(_("buyer's phone"), max_length=16, blank=True)
    trip = models.ForeignKey(Trip, on_delete=models.PROTECT, related_name="pnrs")
    trip_class = models.ForeignKey(TripClass, on_delete=models.PROTECT, related_name="pnrs")
    class_code = models.CharField(max_length=12)
    quota = models.CharField(
        max_length=16, choices=Quota.choices, help_text=_("The quota the booking was made in.")
    )
    origin = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    destination = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="+")
    origin_sequence = models.PositiveSmallIntegerField()
    destination_sequence = models.PositiveSmallIntegerField()
    departure_at = models.DateTimeField(help_text=_("Leaves the boarding stop."))
    arrival_at = models.DateTimeField(help_text=_("Reaches the alighting stop."))
    distance_km = models.DecimalField(max_digits=7, decimal_places=1)
    legs_low = models.BigIntegerField()
    legs_high = models.BigIntegerField()
    total_fare = models.BigIntegerField(help_text=_("Minor units."))
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("PNR")
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
    passengers waiting in the same trip and class (`booking.sales.selectors.pnrs`).
    """

    company_path = "pnr__trip__route__company"

    pnr = models.ForeignKey(Pnr, on_delete=models.CASCADE, related_name="passengers")
    trip_class = models.ForeignKey(
        TripClass, on_delete=models.PROTECT, related_name="+", db_index=False
    )  # the queue index covers it
    index = models.PositiveSmallIntegerField(help_text=_("1 to 6, in the order given."))
    name = models.CharField(max_length=100)
    age = models.PositiveSmallIntegerField()
    gender = models.CharField(max_length=1, choices=Gender.choices)
    berth_preference = models.CharField(max_length=8, choices=BerthPreference.choices, blank=True)
    passport_number = models.CharField(max_length=20, blank=True)
    nationality = models.CharField(max_length=2, blank=True, help_text=_("ISO 3166 country."))
    status = models.CharField(max_length=3, choices=PassengerStatus.choices)
    booking_status = models.CharField(
        max_length=3, choices=PassengerStatus.choices, help_text=_("The status when booked.")
    )
    quota = models.CharField(
        max_length=16,
        choices=Quota.choices,
        help_text=_("The quota of the seat held, or queued in."),
    )
    seat = models.ForeignKey(
        Seat, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    half = models.PositiveSmallIntegerField(default=0, help_text=_("RAC: the half berth held."))
    fare = models.BigIntegerField(help_text=_("Minor units."))
    cancellation = models.ForeignKey(
        "Cancellation", on_delete=models.PROTECT, null=True, blank=True, related_name="passengers"
    )
    refund = models.BigIntegerField(
        default=0, help_text=_("Minor units, paid back on cancellation.")
    )

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
