"""The refund policy as pure functions (no database): what a cancelled passenger gets back.

A company chooses a preset (`PRESETS`) and may replace its tiers with its own, typed into a
JSON field (`tiers_from_json`). `quote` turns a policy, a passenger and the time left before
departure (from the passenger's boarding stop) into a `Quote`: the fare, the charge kept, the
refund, and a sentence saying which rule applied. Amounts are integers in minor units.

The tiers are read in order and the first whose time condition holds decides; when none
holds, nothing is refunded. Validated tiers never refund more as departure comes nearer,
so a passenger never gains by waiting to cancel.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from payments.money import format_money

from .models import PassengerStatus, Quota

CONFIRMED = PassengerStatus.CONFIRMED
WAITING_STATUSES = frozenset({PassengerStatus.RAC, PassengerStatus.WAITLISTED})
FULL_CHARGE_BP = 10_000

# Hours further ahead than a year mean nothing: no journey is bookable earlier than that.
MAX_TIER_HOURS = 8_760


@dataclass(frozen=True)
class Tier:
    """One band of a refund policy: applies while the time left before departure is at least
    (`inclusive`) or more than (not inclusive) `minutes`."""

    minutes: int
    inclusive: bool
    charge_bp: int  # the share of the fare kept, in basis points (10_000 = all of it)
    flat: bool = False  # the class's flat charge applies when it is larger than charge_bp's
    until_charting: bool = False  # applies only while the chart is not prepared yet

    def holds(self, left: timedelta) -> bool:
        """Whether `left`, the time before departure, falls in this band's time condition."""
        bound = timedelta(minutes=self.minutes)
        return left >= bound if self.inclusive else left > bound


@dataclass(frozen=True)
class Policy:
    """A complete refund policy: tiers for everyone, then the exceptions for waiting-list
    passengers and confirmed Tatkal tickets."""

    name: str
    tiers: tuple[Tier, ...]  # first match wins, in order; no match: nothing refunded
    flat_charges: Mapping[str, int]  # per class code, minor units
    default_flat_charge: int  # classes not in flat_charges
    waiting_clerkage: int | None  # RAC/WL passengers: fare less this (None: tiers apply)
    waiting_until_minutes: int  # ... while at least this many minutes before departure
    refunds_confirmed_tatkal: bool  # False: a CNF passenger of a TATKAL PNR gets nothing

    def flat_charge(self, class_code: str) -> int:
        """The flat cancellation charge of a class, in minor units."""
        return self.flat_charges.get(class_code, self.default_flat_charge)


@dataclass(frozen=True)
class Quote:
    """What a cancellation refunds: `charge + refund == fare`, both between 0 and the fare."""

    fare: int
    charge: int
    refund: int  # fare - charge, never negative, never more than fare
    rule: str  # a sentence a passenger can read, naming the band that applied


# The Indian Railways flat cancellation charges of 2015, per class (rupees x 100). Every
# preset carries them, so custom tiers with "flat_charge" mean the same under any preset;
# classes not listed (bus classes among them) pay the second-sitting (2S) charge.
IRCTC_FLAT_CHARGES = MappingProxyType(
    {
        "1A": 24_000,
        "2A": 20_000,
        "3A": 18_000,
        "3E": 18_000,
        "CC": 18_000,
        "SL": 12_000,
        "2S": 6_000,
    }
)
IRCTC_DEFAULT_FLAT_CHARGE = 6_000

PRESETS: dict[str, Policy] = {
    "tiered": Policy(
        name="tiered",
        tiers=(
            Tier(minutes=48 * 60, inclusive=True, charge_bp=1_000),
            Tier(minutes=24 * 60, inclusive=True, charge_bp=2_500),
            Tier(minutes=12 * 60, inclusive=True, charge_bp=5_000),
        ),
        flat_charges=IRCTC_FLAT_CHARGES,
        default_flat_charge=IRCTC_DEFAULT_FLAT_CHARGE,
        waiting_clerkage=None,
        waiting_until_minutes=0,
        refunds_confirmed_tatkal=False,
    ),
    "flat80": Policy(
        name="flat80",
        tiers=(Tier(minutes=0, inclusive=False, charge_bp=2_000),),
        flat_charges=IRCTC_FLAT_CHARGES,
        default_flat_charge=IRCTC_DEFAULT_FLAT_CHARGE,
        waiting_clerkage=None,
        waiting_until_minutes=0,
        refunds_confirmed_tatkal=False,
    ),
    "irctc2015": Policy(
        name="irctc2015",
        tiers=(
            Tier(minutes=48 * 60, inclusive=False, charge_bp=0, flat=True),
            Tier(minutes=12 * 60, inclusive=False, charge_bp=2_500, flat=True),
            # The 2015 rules keep the flat charge as a minimum here too; without it a cheap
            # ticket would get more back after 12 h than before.
            Tier(minutes=0, inclusive=False, charge_bp=5_000, flat=True, until_charting=True),
        ),
        flat_charges=IRCTC_FLAT_CHARGES,
        default_flat_charge=IRCTC_DEFAULT_FLAT_CHARGE,
        waiting_clerkage=6_000,
        waiting_until_minutes=30,
        refunds_confirmed_tatkal=False,
    ),
}


def policy_get(preset: str, tiers_json: list | None = None) -> Policy:
    """The policy of a preset (a key of `PRESETS`); a non-empty `tiers_json` (a company's
    own tiers, see `tiers_from_json`) replaces the preset's tiers and keeps the rest.

    Raises ValueError for an unknown preset or invalid tiers.
    """
    try:
        policy = PRESETS[preset]
    except KeyError:
        known = ", ".join(PRESETS)
        raise ValueError(f"Unknown refund policy {preset!r}; choose one of {known}.") from None
    tiers = tiers_from_json(tiers_json) if tiers_json is not None else ()
    return replace(policy, tiers=tiers) if tiers else policy


# --- Tiers as JSON -------------------------------------------------------------------------

_REQUIRED_KEYS = ("hours", "charge_percent")
_FLAGS = {"at_least": True, "flat_charge": False, "until_charting": False}
_EXAMPLE = '{"hours": 48, "charge_percent": 10}'


def tiers_from_json(data: object) -> tuple[Tier, ...]:
    """The tiers a company admin typed: a list of objects such as
    `{"hours": 48, "charge_percent": 10}`, from the most hours before departure to the fewest.

    Optional keys: `"at_least"` (default true; false means "more than" the hours),
    `"flat_charge"` (the class's flat charge is the minimum charge), `"until_charting"` (the
    tier ends when the chart is prepared). Hours are a number that makes whole minutes (0.5
    is 30 min); charge_percent is 0 to 100 with at most two decimals. An empty list gives ().

    A later tier may not refund more than an earlier one: its percentage is not smaller, and
    once a tier has a flat charge or ends at charting, every later tier does too.

    Raises ValueError with a message naming the tier (counted from 1) and the problem.
    """
    if not isinstance(data, list):
        raise ValueError(f"The refund tiers must be a list, such as [{_EXAMPLE}].")
    tiers: list[Tier] = []
    for number, item in enumerate(data, start=1):
        tier = _tier_from_json(number, item)
        if tiers:
            _check_follows(number, tiers[-1], tier)
        tiers.append(tier)
    return tuple(tiers)


def _tier_from_json(number: int, item: object) -> Tier:
    if not isinstance(item, dict):
        raise ValueError(f"Tier {number} must be an object, such as {_EXAMPLE}.")
    unknown = sorted(str(key) for key in item if key not in _REQUIRED_KEYS and key not in _FLAGS)
    if unknown:
        allowed = ", ".join((*_REQUIRED_KEYS, *_FLAGS))
        names = ", ".join(f'"{key}"' for key in unknown)
        raise ValueError(f"Tier {number} has unknown keys {names}; the keys are {allowed}.")
    for key in _REQUIRED_KEYS:
        if key not in item:
            raise ValueError(f'Tier {number} has no "{key}"; each tier looks like {_EXAMPLE}.')
    hours = _number(number, "hours", item["hours"])
    if hours < 0:
        raise ValueError(f'Tier {number}: "hours" must not be negative.')
    if hours > MAX_TIER_HOURS:
        raise ValueError(f'Tier {number}: "hours" must be at most {MAX_TIER_HOURS} (a year).')
    minutes = hours * 60
    if minutes != minutes.to_integral_value():
        raise ValueError(f'Tier {number}: "hours" must make whole minutes (0.5 is 30 minutes).')
    percent = _number(number, "charge_percent", item["charge_percent"])
    if not 0 <= percent <= 100:
        raise ValueError(f'Tier {number}: "charge_percent" must be between 0 and 100.')
    charge_bp = percent * 100
    if charge_bp != charge_bp.to_integral_value():
        raise ValueError(f'Tier {number}: "charge_percent" may have at most two decimals.')
    flags = {}
    for key, default in _FLAGS.items():
        value = item.get(key, default)
        if not isinstance(value, bool):
            raise ValueError(f'Tier {number}: "{key}" must be true or false.')
        flags[key] = value
    return Tier(
        minutes=int(minutes),
        inclusive=flags["at_least"],
        charge_bp=int(charge_bp),
        flat=flags["flat_charge"],
        until_charting=flags["until_charting"],
    )


def _number(number: int, key: str, value: object) -> Decimal:
    """A JSON number as an exact Decimal (a float through its shortest repr, so 0.1 is 0.1)."""
    # bool is an int to Python, but `true` is not a number to whoever typed it.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f'Tier {number}: "{key}" must be a number, not {_json_repr(value)}.')
    try:
        exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        exact = Decimal("NaN")
    if not exact.is_finite():
        raise ValueError(f'Tier {number}: "{key}" must be a finite number.')
    return exact


def _json_repr(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    return "a list" if isinstance(value, list) else "an object"


def _check_follows(number: int, previous: Tier, tier: Tier) -> None:
    """Refuse a tier that does not come strictly later than the previous one, or that would
    refund more than it."""
    if tier.minutes >= previous.minutes:
        raise ValueError(
            f"Tier {number} ({_duration(tier.minutes)}) must have fewer hours than tier "
            f"{number - 1} ({_duration(previous.minutes)}): list the tiers from the most hours "
            "before departure to the fewest."
        )
    if tier.charge_bp < previous.charge_bp:
        raise ValueError(
            f"Tier {number} charges less ({_percent(tier.charge_bp)}) than tier {number - 1} "
            f"({_percent(previous.charge_bp)}): a later cancellation may not refund more."
        )
    if previous.flat and not tier.flat:
        raise ValueError(
            f'Tier {number} needs "flat_charge": true, as tier {number - 1} has it: without '
            "it a cheap ticket would get more back by cancelling later."
        )
    if previous.until_charting and not tier.until_charting:
        raise ValueError(
            f'Tier {number} needs "until_charting": true, as tier {number - 1} has it: after '
            "charting nothing is refunded."
        )


def tiers_to_json(tiers: Iterable[Tier]) -> list[dict]:
    """The JSON `tiers_from_json` reads back as `tiers` (optional keys only when they differ
    from their defaults), for showing a preset's tiers to a company admin.

    Raises ValueError for a tier whose minutes make no finite decimal of hours (20 minutes is
    a third of an hour): such a tier cannot be typed.
    """
    result = []
    for tier in tiers:
        if tier.minutes % 3:  # hours = minutes / 60 is a finite decimal only then
            raise ValueError(f"{tier.minutes} minutes cannot be written in hours exactly.")
        entry: dict = {
            "hours": _plain_number(Decimal(tier.minutes) / 60),
            "charge_percent": _plain_number(Decimal(tier.charge_bp) / 100),
        }
        if not tier.inclusive:
            entry["at_least"] = False
        if tier.flat:
            entry["flat_charge"] = True
        if tier.until_charting:
            entry["until_charting"] = True
        result.append(entry)
    return result


def _plain_number(value: Decimal) -> int | float:
    """An int when whole, else the float whose repr is the decimal (12.5, 0.05)."""
    return int(value) if value == value.to_integral_value() else float(value)


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
) -> Quote:
    """What cancelling one passenger at `now` refunds under `policy`.

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
        return _nothing(fare, "The trip has left: nothing is refunded.")
    if status == CONFIRMED and pnr_quota == Quota.TATKAL and not policy.refunds_confirmed_tatkal:
        return _nothing(fare, "Confirmed Tatkal tickets are not refunded.")
    if status in WAITING_STATUSES and policy.waiting_clerkage is not None:
        return _waiting_quote(policy, fare=fare, left=left)

    previous = None
    for tier in policy.tiers:
        if tier.holds(left):
            band = _band(previous, tier)
            if tier.until_charting and charted:
                return _nothing(fare, f"{band}, after charting: nothing is refunded.")
            flat = policy.flat_charge(class_code) if tier.flat else 0
            charge = min(max(fare * tier.charge_bp // 10_000, flat), fare)
            until = ", until charting" if tier.until_charting else ""
            terms = _charge_terms(tier.charge_bp, flat if tier.flat else None)
            return _make(fare, charge, f"{band}{until}: {terms}.")
        previous = tier
    if previous is None:
        return _nothing(fare, "This policy refunds nothing.")
    limit = _duration(previous.minutes)
    band = f"Less than {limit}" if previous.inclusive else f"{limit} or less"
    return _nothing(fare, f"{band} before departure: nothing is refunded.")


def full_refund(*, fare: int, rule: str) -> Quote:
    """Everything back, whatever the policy: the operator cancelled the trip, or a waitlisted
    PNR was dropped at charting. `rule` says which."""
    return Quote(fare=fare, charge=0, refund=fare, rule=rule)


def _waiting_quote(policy: Policy, *, fare: int, left: timedelta) -> Quote:
    limit = _duration(policy.waiting_until_minutes)
    if left >= timedelta(minutes=policy.waiting_until_minutes):
        clerkage = policy.waiting_clerkage or 0
        return _make(
            fare,
            min(clerkage, fare),
            f"RAC and waitlisted tickets, at least {limit} before departure: "
            f"fare less {format_money(clerkage)} clerkage.",
        )
    return _nothing(
        fare,
        f"RAC and waitlisted tickets, less than {limit} before departure: nothing is refunded.",
    )


def _make(fare: int, charge: int, rule: str) -> Quote:
    return Quote(fare=fare, charge=charge, refund=fare - charge, rule=rule)


def _nothing(fare: int, rule: str) -> Quote:
    return _make(fare, fare, rule)


def _band(previous: Tier | None, tier: Tier) -> str:
    """The time band a tier covers, given the tier before it (first match wins), e.g. "Less
    than 48 h but at least 24 h before departure"."""
    if tier.minutes == 0:
        lower = ""  # down to departure itself, which is handled before any tier
    else:
        word = "at least" if tier.inclusive else "more than"
        lower = f"{word} {_duration(tier.minutes)} "
    if previous is None:
        return f"{lower.capitalize()}before departure" if lower else "Any time before departure"
    upper = "Less than" if previous.inclusive else "Up to"
    upper = f"{upper} {_duration(previous.minutes)}"
    return f"{upper} but {lower}before departure" if lower else f"{upper} before departure"


def _charge_terms(charge_bp: int, flat: int | None) -> str:
    """The charge of a tier in words; `flat` is the class's flat charge when the tier has one."""
    if flat is None:
        return "no charge, full refund" if charge_bp == 0 else f"{_percent(charge_bp)} charge"
    if charge_bp == 0:
        return f"flat charge of {format_money(flat)}"
    return f"{_percent(charge_bp)} charge, at least {format_money(flat)}"


def _percent(bp: int) -> str:
    """1000 -> "10 %", 1250 -> "12.5 %", 1234 -> "12.34 %"."""
    whole, rest = divmod(bp, 100)
    return f"{whole} %" if not rest else f"{whole}.{rest:02d}".rstrip("0") + " %"


def _duration(minutes: int) -> str:
    """2880 -> "48 h", 30 -> "30 min", 90 -> "1 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"
