"""What a company's classes cost: a rate per km (`FareRule`), and for bus operators a fare per
stage of a route (`StageFare`)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fleet.models import Company, Route, RouteStop, Station
from ttms.money import MAX_AMOUNT


class FareRule(models.Model):
    """What a class of a company costs: a rate per km with a minimum, and the multiplier
    of each quota in basis points (missing quotas: `booking.sales.fares.DEFAULT_MULTIPLIERS_BP`).
    Without a rule, a class costs the defaults of `booking.sales.fares.DEFAULT_RATES`."""

    company_path = "company"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="fare_rules")
    class_code = models.CharField(max_length=12)
    rate_per_km = models.PositiveIntegerField(help_text=_("Minor units (paise) per km."))
    minimum_fare = models.PositiveIntegerField(default=0, help_text=_("Minor units."))
    multipliers_bp = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Quota multipliers in basis points, e.g. {"TATKAL": 13000} for ×1.3.'),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "class_code"], name="booking_fare_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} · {self.class_code}"


class StageFare(models.Model):
    """The fare of one stage of a route: boarding at `origin`, alighting at `destination`, in
    class `class_code`, in minor units of the company's currency. Bus operators price by
    stage; a journey without a stage fare costs the class's rate per km (`FareRule`). Quota
    multipliers apply on top of either (`booking.sales.fares`).

    Stops are named by station, so a stage fare outlives the renumbering of its route's
    stops; both stations must be stops of the route, `origin` before `destination`
    (`clean`, and `stage_fares_save` for whole tables)."""

    company_path = "route__company"

    route = models.ForeignKey(
        Route, on_delete=models.CASCADE, related_name="stage_fares", db_index=False
    )  # the unique constraint indexes it
    origin = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    destination = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    class_code = models.CharField(max_length=12)
    amount = models.PositiveBigIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_AMOUNT)],
        help_text=_("Minor units of the company's currency, per passenger."),
    )

    class Meta:
        verbose_name = _("stage fare")
        ordering = ["route", "class_code", "origin", "destination"]
        constraints = [
            models.UniqueConstraint(
                fields=["route", "origin", "destination", "class_code"],
                name="booking_stage_fare_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(origin=models.F("destination")),
                name="booking_stage_fare_two_stops",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="booking_stage_fare_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route.number} {self.class_code} {self.origin.code}→{self.destination.code}"

    def clean(self) -> None:
        """Both stations are stops of the route, `origin` before `destination`."""
        super().clean()
        if not (self.route_id and self.origin_id and self.destination_id):
            return
        sequences = stop_sequences(self.route_id)
        error = stage_error(sequences, self.origin_id, self.destination_id)
        if error:
            raise ValidationError(error)


def stop_sequences(route_id: int) -> dict[int, list[int]]:
    """Station id -> the sequence numbers of the route's stops at that station."""
    found: dict[int, list[int]] = {}
    for station_id, sequence in (
        RouteStop.objects.filter(route_id=route_id)
        .order_by("sequence")
        .values_list("station_id", "sequence")
    ):
        found.setdefault(station_id, []).append(sequence)
    return found


def stage_error(sequences: dict[int, list[int]], origin_id: int, destination_id: int):
    """Why (origin, destination) is no stage of the route whose `stop_sequences` are
    given, as {field: message}, or None when it is one."""
    if origin_id not in sequences:
        return {"origin": _("This station is not a stop of the route.")}
    if destination_id not in sequences:
        return {"destination": _("This station is not a stop of the route.")}
    if min(sequences[origin_id]) >= max(sequences[destination_id]):
        return {"destination": _("This stop comes before the boarding stop on the route.")}
    return None
