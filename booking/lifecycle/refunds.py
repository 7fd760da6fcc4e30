"""The refund engine as pure functions (no database): what a cancelled passenger gets back.

A company's policy is data of the company (`fleet.refund_policies`: the presets, and its own
tiers typed into a JSON field); `quote` turns a policy, a passenger and the time left before
departure (from the passenger's boarding stop) into a `Quote`: the fare, the charge kept, the
refund, and a sentence saying which rule applied. Amounts are integers in minor units.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext

from fleet.refund_policies import (
    PRESETS,
    Policy,
    Tier,
    duration_text,
    percent_text,
    policy_get,
    tiers_from_json,
    tiers_to_json,
)
from ttms.money import format_money

from ..models import PassengerStatus, Quota

# The policies themselves are fleet's; their names are read here too, beside the engine.
__all__ = [
    "PRESETS",
    "Policy",
    "Quote",
    "Tier",
    "full_refund",
    "policy_get",
    "quote",
    "tiers_from_json",
    "tiers_to_json",
]

CONFIRMED = PassengerStatus.CONFIRMED
WAITING_STATUSES = frozenset({PassengerStatus.RAC, PassengerStatus.WAITLISTED})


@dataclass(frozen=True)
class Quote:
    """What a cancellation refunds: `charge + refund == fare`, both between 0 and the fare."""

    fare: int
    charge: int
    refund: int  # fare - charge, never negative, never more than fare
    rule: str  # a sentence a passenger can read, naming the band that applied


# --- Quotes --------------------------------------------------------------------------------


def quote(
    policy: Policy,
    *,
    fare: int,
    class_code: str,
    status: str,
    pnr_quota: str,
    departure_at: datetime,
    now: datetime,
    charted: bool,
    currency: str,
) -> Quote:
    """What cancelling one passenger at `now` refunds under `policy`.

    `fare` and the policy's amounts (flat charges, clerkage) are minor units of `currency`,
    the PNR's (its operator's), in which the rule's sentence writes them.

    `departure_at` is when the vehicle leaves the passenger's boarding stop; it and `now` are
    both aware (or both naive). `status` is the passenger's (CNF, RAC or WL), `pnr_quota` the
    quota the PNR was booked in, `charted` whether the trip's chart is prepared.

    In order: at or after departure nothing is refunded; a confirmed Tatkal ticket gets
    nothing unless the policy says otherwise; RAC/WL passengers get the fare less the
    policy's clerkage while enough time is left (when it has one); otherwise the first tier
    whose time condition holds sets the charge, `fare × charge_bp / 10 000` rounded down (in
    the passenger's favour), at least the class's flat charge for a flat tier, at most the
    fare; a tier that ends at charting, once charted, refunds nothing; no tier, nothing.

    Raises ValueError for a fare that is not a non-negative int, for a cancelled passenger
    (nothing left to refund) and for an unknown status.
    """
    if isinstance(fare, bool) or not isinstance(fare, int) or fare < 0:
        raise ValueError(f"A fare is a non-negative int of minor units, not {fare!r}.")
    if status == PassengerStatus.CANCELLED:
        raise ValueError("The passenger is already cancelled: there is nothing to refund.")
    if status != CONFIRMED and status not in WAITING_STATUSES:
        raise ValueError(f"Unknown passenger status {status!r}.")

    left = departure_at - now
    if left <= timedelta(0):
        return _nothing(fare, gettext("The trip has left: nothing is refunded."))
    if status == CONFIRMED and pnr_quota == Quota.TATKAL and not policy.refunds_confirmed_tatkal:
        return _nothing(fare, gettext("Confirmed Tatkal tickets are not refunded."))
    if status in WAITING_STATUSES and policy.waiting_clerkage is not None:
        return _waiting_quote(policy, fare=fare, left=left, currency=currency)

    previous = None
    for tier in policy.tiers:
        if tier.holds(left):
            band = _band(previous, tier)
            if tier.until_charting and charted:
                return _nothing(
                    fare, gettext("{band}, after charting: nothing is refunded.").format(band=band)
                )
            flat = policy.flat_charge(class_code) if tier.flat else 0
            charge = min(max(fare * tier.charge_bp // 10_000, flat), fare)
            terms = _charge_terms(tier.charge_bp, flat if tier.flat else None, currency)
            rule = (
                gettext("{band}, until charting: {terms}.")
                if tier.until_charting
                else gettext("{band}: {terms}.")
            )
            return _make(fare, charge, rule.format(band=band, terms=terms))
        previous = tier
    if previous is None:
        return _nothing(fare, gettext("This policy refunds nothing."))
    rule = (
        gettext("Less than {limit} before departure: nothing is refunded.")
        if previous.inclusive
        else gettext("{limit} or less before departure: nothing is refunded.")
    )
    return _nothing(fare, rule.format(limit=duration_text(previous.minutes)))


def full_refund(*, fare: int, rule: str) -> Quote:
    """Everything back, whatever the policy: the operator cancelled the trip, or a waitlisted
    PNR was dropped at charting. `rule` says which."""
    return Quote(fare=fare, charge=0, refund=fare, rule=rule)


def _waiting_quote(policy: Policy, *, fare: int, left: timedelta, currency: str) -> Quote:
    limit = duration_text(policy.waiting_until_minutes)
    if left >= timedelta(minutes=policy.waiting_until_minutes):
        clerkage = policy.waiting_clerkage or 0
        return _make(
            fare,
            min(clerkage, fare),
            gettext(
                "RAC and waitlisted tickets, at least {limit} before departure: "
                "fare less {clerkage} clerkage."
            ).format(limit=limit, clerkage=format_money(clerkage, currency)),
        )
    return _nothing(
        fare,
        gettext(
            "RAC and waitlisted tickets, less than {limit} before departure: nothing is refunded."
        ).format(limit=limit),
    )


def _make(fare: int, charge: int, rule: str) -> Quote:
    return Quote(fare=fare, charge=charge, refund=fare - charge, rule=rule)


def _nothing(fare: int, rule: str) -> Quote:
    return _make(fare, fare, rule)


def _band(previous: Tier | None, tier: Tier) -> str:
    """The time band a tier covers, given the tier before it (first match wins), e.g. "Less
    than 48 h but at least 24 h before departure"; one phrase per shape, for translators."""
    lower = duration_text(tier.minutes) if tier.minutes else ""
    # tier.minutes 0: down to departure itself, which is handled before any tier.
    if previous is None:
        if not lower:
            return gettext("Any time before departure")
        if tier.inclusive:
            return gettext("At least {lower} before departure").format(lower=lower)
        return gettext("More than {lower} before departure").format(lower=lower)
    upper = duration_text(previous.minutes)
    if previous.inclusive:
        if not lower:
            phrase = gettext("Less than {upper} before departure")
        elif tier.inclusive:
            phrase = gettext("Less than {upper} but at least {lower} before departure")
        else:
            phrase = gettext("Less than {upper} but more than {lower} before departure")
    elif not lower:
        phrase = gettext("Up to {upper} before departure")
    elif tier.inclusive:
        phrase = gettext("Up to {upper} but at least {lower} before departure")
    else:
        phrase = gettext("Up to {upper} but more than {lower} before departure")
    return phrase.format(upper=upper, lower=lower)


def _charge_terms(charge_bp: int, flat: int | None, currency: str) -> str:
    """The charge of a tier in words; `flat` is the class's flat charge when the tier has one."""
    if flat is None:
        if charge_bp == 0:
            return gettext("no charge, full refund")
        return gettext("{percent} charge").format(percent=percent_text(charge_bp))
    if charge_bp == 0:
        return gettext("flat charge of {amount}").format(amount=format_money(flat, currency))
    return gettext("{percent} charge, at least {amount}").format(
        percent=percent_text(charge_bp), amount=format_money(flat, currency)
    )
