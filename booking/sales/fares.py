"""Fares in integer minor units of the operator's currency: the journey's stage fare when the
operator has one (`StageFare`), else a rate per km with a minimum; times the quota's
multiplier.

fare = ceil(base × multiplier_bp / 10 000), base = the stage fare, or
max(minimum, ceil(rate_per_km × km))

Distances are kept to a tenth of a km, so the arithmetic is on integers throughout.

The default rates (`DEFAULT_RATES`) are rupee-scale: they price a class only for operators
in `DEFAULT_RATES_CURRENCY`. A class of an operator in any other currency with neither a
fare rule nor a stage fare for the journey has no fare, and is not on sale (`FareNotSet`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import OuterRef, PositiveBigIntegerField, QuerySet, Subquery, Value
from django.utils.translation import gettext

from fleet.models import Company

from .. import rules
from ..exceptions import FareNotSet
from ..models import FareRule, Quota, StageFare

# Multipliers in basis points (10 000 = ×1).
DEFAULT_MULTIPLIERS_BP = {Quota.TATKAL: 13_000, Quota.FOREIGN_TOURIST: 15_000}

# A class of a company without a FareRule costs these (minor units per km, minimum fare):
# roughly the Indian Railways rates for rail classes, a long-distance coach rate for buses.
DEFAULT_RATES = {
    "1A": (300, 5_000),
    "2A": (175, 3_000),
    "3A": (120, 2_000),
    "3E": (110, 2_000),
    "CC": (100, 1_500),
    "FC": (200, 3_000),
    "SL": (45, 1_000),
    "2S": (25, 500),
    "VIP": (150, 2_000),
    "STANDARD": (100, 1_000),
}
FALLBACK_RATE = (100, 1_000)
# The currency the default rates are in: paise.
DEFAULT_RATES_CURRENCY = "INR"


@dataclass(frozen=True)
class Tariff:
    """What a class costs: its rate per km (None: the operator set none, and the defaults
    are not in its currency), and, when read for one journey, that journey's stage fare."""

    rate_per_km: int | None
    minimum_fare: int
    multipliers_bp: dict[str, int]
    stage_fare: int | None = None

    def fare(self, *, distance_km: Decimal, quota: str) -> int | None:
        """The fare per passenger in `quota`, or None when the class has no fare for the
        journey (not on sale)."""
        if self.stage_fare is not None:
            base = self.stage_fare
        elif self.rate_per_km is None:
            return None
        else:
            tenths = int(distance_km * 10)  # DecimalField(decimal_places=1): exact
            base = max(self.minimum_fare, -(-self.rate_per_km * tenths // 10))
        bp = self.multipliers_bp.get(quota, 10_000)
        return -(-base * bp // 10_000)

    def for_stage(self, stage_fare: int | None) -> "Tariff":
        """This tariff on a journey whose stage fare is `stage_fare` (None: none)."""
        return replace(self, stage_fare=stage_fare)


def tariff_from_rule(
    rule: FareRule | None,
    class_code: str,
    *,
    currency: str = DEFAULT_RATES_CURRENCY,
    stage_fare: int | None = None,
) -> Tariff:
    """The tariff of a class whose fare rule is `rule` (None: it has none), for an operator
    in `currency`."""
    if rule is None:
        if currency != DEFAULT_RATES_CURRENCY:
            return Tariff(None, 0, dict(DEFAULT_MULTIPLIERS_BP), stage_fare)
        rate, minimum = DEFAULT_RATES.get(class_code, FALLBACK_RATE)
        return Tariff(rate, minimum, dict(DEFAULT_MULTIPLIERS_BP), stage_fare)
    multipliers = {
        **DEFAULT_MULTIPLIERS_BP,
        **{k: int(v) for k, v in (rule.multipliers_bp or {}).items()},
    }
    return Tariff(rule.rate_per_km, rule.minimum_fare, multipliers, stage_fare)


def tariff_query(
    *,
    company_id: int,
    class_code: str,
    route_id: int | None = None,
    origin_id: int | None = None,
    destination_id: int | None = None,
) -> QuerySet:
    """The one row `tariff_get` reads: the company's currency, its fare rule for the class
    (id, rate, minimum, multipliers; None when it has none) and the journey's stage fare."""
    rule = FareRule.objects.filter(company_id=OuterRef("pk"), class_code=class_code)
    stage = StageFare.objects.filter(
        route_id=route_id, origin_id=origin_id, destination_id=destination_id, class_code=class_code
    )
    return (
        Company.objects.filter(pk=company_id)
        .annotate(
            rule_id=Subquery(rule.values("pk")[:1]),
            rate=Subquery(rule.values("rate_per_km")[:1]),
            minimum=Subquery(rule.values("minimum_fare")[:1]),
            multipliers=Subquery(rule.values("multipliers_bp")[:1]),
            stage=(
                Subquery(stage.values("amount")[:1])
                if route_id is not None
                else Value(None, output_field=PositiveBigIntegerField())
            ),
        )
        .values_list("currency", "rule_id", "rate", "minimum", "multipliers", "stage")
        .order_by("pk")
    )


def tariff_get(
    *,
    company_id: int,
    class_code: str,
    route_id: int | None = None,
    origin_id: int | None = None,
    destination_id: int | None = None,
) -> Tariff:
    """The tariff of class `class_code` of the company; given a journey (its route and the
    stations it boards and alights at), with that journey's stage fare. One query
    (`tariff_query`): the company's currency, its fare rule for the class and the stage
    fare, together."""
    row = tariff_query(
        company_id=company_id,
        class_code=class_code,
        route_id=route_id,
        origin_id=origin_id,
        destination_id=destination_id,
    ).first()
    if row is None:
        return tariff_from_rule(None, class_code)
    currency, rule_id, rate, minimum, multipliers, stage_fare = row
    found = None
    if rule_id is not None:
        found = FareRule(
            pk=rule_id,
            company_id=company_id,
            class_code=class_code,
            rate_per_km=rate,
            minimum_fare=minimum,
            multipliers_bp=multipliers,
        )
    return tariff_from_rule(found, class_code, currency=currency, stage_fare=stage_fare)


def stage_fares_for(
    keys: set[tuple[int, int, int, str]],
) -> dict[tuple[int, int, int, str], int]:
    """The stage fares of many journeys at once, by (route id, origin station id,
    destination station id, class code); journeys without one are left out. One query
    (none when `keys` is empty)."""
    if not keys:
        return {}
    rows = StageFare.objects.filter(
        route_id__in={k[0] for k in keys},
        origin_id__in={k[1] for k in keys},
        destination_id__in={k[2] for k in keys},
        class_code__in={k[3] for k in keys},
    ).values_list("route_id", "origin_id", "destination_id", "class_code", "amount")
    return {row[:4]: row[4] for row in rows if row[:4] in keys}


def booking_fare(
    *,
    company_id: int,
    class_code: str,
    route_id: int,
    origin_id: int,
    destination_id: int,
    distance_km: Decimal,
    quota: str,
    travellers: Sequence[rules.Traveller],
) -> tuple[str, int]:
    """The quota a booking really uses (GENERAL when the passengers may not use the quota
    asked for, `rules.quota_eligible`) and the fare per passenger in it, for the journey on
    `route_id` from station `origin_id` to station `destination_id`: its stage fare, else
    the class's rate (`Tariff.fare`). One query. The booking charges it; the booking form
    shows it before paying. Raises FareNotSet when the class has no fare for the journey."""
    booked = quota if rules.quota_eligible(quota, travellers) else Quota.GENERAL
    tariff = tariff_get(
        company_id=company_id,
        class_code=class_code,
        route_id=route_id,
        origin_id=origin_id,
        destination_id=destination_id,
    )
    fare = tariff.fare(distance_km=distance_km, quota=booked)
    if fare is None:
        raise FareNotSet(
            gettext(
                "The operator has set no fare for class {class_code} on this journey; it is "
                "not on sale."
            ).format(class_code=class_code),
            fields={"class": [gettext("Not on sale on this journey.")]},
        )
    return booked, fare
