"""Refund policies as data a company chooses (no database): the presets, and the tiers a
company admin types into `Company.refund_tiers`, read and checked by `tiers_from_json`.

They live with the company they describe, so that fleet validates a company's tiers
(`Company.clean`) without knowing about bookings; booking's refund engine
(`booking.lifecycle.refunds.quote`) applies them to a cancelled passenger.

The tiers are read in order and the first whose time condition holds decides; when none
holds, nothing is refunded. Validated tiers never refund more as departure comes nearer,
so a passenger never gains by waiting to cancel.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from django.utils.translation import gettext as _

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
        raise ValueError(
            _("Unknown refund policy {preset!r}; choose one of {known}.").format(
                preset=preset, known=known
            )
        ) from None
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
        raise ValueError(
            _("The refund tiers must be a list, such as [{example}].").format(example=_EXAMPLE)
        )
    tiers: list[Tier] = []
    for number, item in enumerate(data, start=1):
        tier = _tier_from_json(number, item)
        if tiers:
            _check_follows(number, tiers[-1], tier)
        tiers.append(tier)
    return tuple(tiers)


def _tier_from_json(number: int, item: object) -> Tier:
    if not isinstance(item, dict):
        raise ValueError(
            _("Tier {number} must be an object, such as {example}.").format(
                number=number, example=_EXAMPLE
            )
        )
    unknown = sorted(str(key) for key in item if key not in _REQUIRED_KEYS and key not in _FLAGS)
    if unknown:
        allowed = ", ".join((*_REQUIRED_KEYS, *_FLAGS))
        names = ", ".join(f'"{key}"' for key in unknown)
        raise ValueError(
            _("Tier {number} has unknown keys {names}; the keys are {allowed}.").format(
                number=number, names=names, allowed=allowed
            )
        )
    for key in _REQUIRED_KEYS:
        if key not in item:
            raise ValueError(
                _('Tier {number} has no "{key}"; each tier looks like {example}.').format(
                    number=number, key=key, example=_EXAMPLE
                )
            )
    hours = _number(number, "hours", item["hours"])
    if hours < 0:
        raise ValueError(_('Tier {number}: "hours" must not be negative.').format(number=number))
    if hours > MAX_TIER_HOURS:
        raise ValueError(
            _('Tier {number}: "hours" must be at most {max} (a year).').format(
                number=number, max=MAX_TIER_HOURS
            )
        )
    minutes = hours * 60
    if minutes != minutes.to_integral_value():
        raise ValueError(
            _('Tier {number}: "hours" must make whole minutes (0.5 is 30 minutes).').format(
                number=number
            )
        )
    percent = _number(number, "charge_percent", item["charge_percent"])
    if not 0 <= percent <= 100:
        raise ValueError(
            _('Tier {number}: "charge_percent" must be between 0 and 100.').format(number=number)
        )
    charge_bp = percent * 100
    if charge_bp != charge_bp.to_integral_value():
        raise ValueError(
            _('Tier {number}: "charge_percent" may have at most two decimals.').format(
                number=number
            )
        )
    flags = {}
    for key, default in _FLAGS.items():
        value = item.get(key, default)
        if not isinstance(value, bool):
            raise ValueError(
                _('Tier {number}: "{key}" must be true or false.').format(number=number, key=key)
            )
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
        raise ValueError(
            _('Tier {number}: "{key}" must be a number, not {value}.').format(
                number=number, key=key, value=_json_repr(value)
            )
        )
    try:
        exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        exact = Decimal("NaN")
    if not exact.is_finite():
        raise ValueError(
            _('Tier {number}: "{key}" must be a finite number.').format(number=number, key=key)
        )
    return exact


def _json_repr(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    return _("a list") if isinstance(value, list) else _("an object")


def _check_follows(number: int, previous: Tier, tier: Tier) -> None:
    """Refuse a tier that does not come strictly later than the previous one, or that would
    refund more than it."""
    if tier.minutes >= previous.minutes:
        raise ValueError(
            _(
                "Tier {number} ({duration}) must have fewer hours than tier {previous} "
                "({previous_duration}): list the tiers from the most hours before departure "
                "to the fewest."
            ).format(
                number=number,
                duration=duration_text(tier.minutes),
                previous=number - 1,
                previous_duration=duration_text(previous.minutes),
            )
        )
    if tier.charge_bp < previous.charge_bp:
        raise ValueError(
            _(
                "Tier {number} charges less ({percent}) than tier {previous} "
                "({previous_percent}): a later cancellation may not refund more."
            ).format(
                number=number,
                percent=percent_text(tier.charge_bp),
                previous=number - 1,
                previous_percent=percent_text(previous.charge_bp),
            )
        )
    if previous.flat and not tier.flat:
        raise ValueError(
            _(
                'Tier {number} needs "flat_charge": true, as tier {previous} has it: without '
                "it a cheap ticket would get more back by cancelling later."
            ).format(number=number, previous=number - 1)
        )
    if previous.until_charting and not tier.until_charting:
        raise ValueError(
            _(
                'Tier {number} needs "until_charting": true, as tier {previous} has it: after '
                "charting nothing is refunded."
            ).format(number=number, previous=number - 1)
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


def percent_text(bp: int) -> str:
    """1000 -> "10 %", 1250 -> "12.5 %", 1234 -> "12.34 %"."""
    whole, rest = divmod(bp, 100)
    number = str(whole) if not rest else f"{whole}.{rest:02d}".rstrip("0")
    return _("{number} %").format(number=number)


def duration_text(minutes: int) -> str:
    """2880 -> "48 h", 30 -> "30 min", 90 -> "1 h 30 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("{minutes} min").format(minutes=rest)
    if not rest:
        return _("{hours} h").format(hours=hours)
    return _("{hours} h {minutes} min").format(hours=hours, minutes=rest)
