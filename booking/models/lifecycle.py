"""What happens to a PNR after it is made: cancellations (with their refunds), promotions up
the queue, and the trip's chart."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fleet.models import Seat, Trip

from .inventory import TripClass
from .pnrs import Passenger, PassengerStatus, Pnr


class Cancellation(models.Model):
    """One cancellation of some or all passengers of a PNR: who, when, why, under which
    policy, how long before departure, and the money. Each passenger's line (status, fare,
    charge, refund, the rule that applied) is in `lines`; the passengers point here."""

    company_path = "pnr__trip__route__company"

    class Cause(models.TextChoices):
        PASSENGER = "passenger", _("Cancelled by the passenger")
        TRIP_CANCELLED = "trip_cancelled", _("Trip cancelled by the operator")
        CHARTING = "charting", _("Still waitlisted at charting")

    pnr = models.ForeignKey(Pnr, on_delete=models.PROTECT, related_name="cancellations")
    cause = models.CharField(max_length=16, choices=Cause.choices)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    policy = models.CharField(max_length=16, help_text=_("The refund policy applied."))
    minutes_before_departure = models.IntegerField(
        help_text=_("From the cancellation to the departure from the boarding stop.")
    )
    charted = models.BooleanField(default=False, help_text=_("After the chart was prepared."))
    fare = models.BigIntegerField(help_text=_("Minor units: the cancelled passengers' fares."))
    charge = models.BigIntegerField(help_text=_("Minor units kept."))
    refund = models.BigIntegerField(help_text=_("Minor units paid back."))
    lines = models.JSONField(default=list)
    transaction = models.ForeignKey(
        "payments.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The refund in the ledger."),
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
        CANCELLATION = "cancellation", _("A place was freed")
        CHARTING = "charting", _("Charting")
        VEHICLE_SWAP = "vehicle_swap", _("A bigger vehicle")

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
        help_text=_("Empty: prepared on schedule."),
    )
    rows = models.JSONField(default=list)
    summary = models.JSONField(default=dict, help_text=_("What charting did, in counts."))

    class Meta:
        ordering = ["-prepared_at"]

    def __str__(self) -> str:
        return gettext("Chart of {trip}").format(trip=self.trip)
