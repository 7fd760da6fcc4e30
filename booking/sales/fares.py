"""Fares in integer minor units: a rate per km with a minimum, times the quota's multiplier.

fare = ceil(max(minimum, ceil(rate_per_km × km)) × multiplier_bp / 10 000)

Distances are kept to a tenth of a km, so the arithmetic is on integers throughout.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .. import rules
from ..models import FareRule, Quota

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


@dataclass(frozen=True)
class Tariff:
    rate_per_km: int
    minimum_fare: int
    multipliers_bp: dict[str, int]

    def fare(self, *, distance_km: Decimal, quota: str) -> int:
        tenths = int(distance_km * 10)  # DecimalField(decimal_places=1): exact
        base = max(self.minimum_fare, -(-self.rate_per_km * tenths // 10))
        bp = self.multipliers_bp.get(quota, 10_000)
        return -(-base * bp // 10_000)


def tariff_from_rule(rule: FareRule | None, class_code: str) -> Tariff:
    if rule is None:
        rate, minimum = DEFAULT_RATES.get(class_code, FALLBACK_RATE)
        return Tariff(rate, minimum, dict(DEFAULT_MULTIPLIERS_BP))
    multipliers = {
        **DEFAULT_MULTIPLIERS_BP,
        **{k: int(v) for k, v in (rule.multipliers_bp or {}).items()},
    }
    return Tariff(rule.rate_per_km, rule.minimum_fare, multipliers)


def tariff_get(*, company_id: int, class_code: str) -> Tariff:
    rule = FareRule.objects.filter(company_id=company_id, class_code=class_code).first()
    return tariff_from_rule(rule, class_code)


def booking_fare(
    *,
    company_id: int,
    class_code: str,
    distance_km: Decimal,
    quota: str,
    travellers: Sequence[rules.Traveller],
) -> tuple[str, int]:
    """The quota a booking really uses (GENERAL when the passengers may not use the quota
    asked for, `rules.quota_eligible`) and the fare per passenger in it: one query. The
    booking charges it; the booking form shows it before paying."""
    booked = quota if rules.quota_eligible(quota, travellers) else Quota.GENERAL
    tariff = tariff_get(company_id=company_id, class_code=class_code)
    return booked, tariff.fare(distance_km=distance_km, quota=booked)
