"""Who a passenger is, as the rules see them: age and gender (senior citizens, lower berths
first), berth preference, passport and nationality."""

from dataclasses import dataclass

import pycountry
from django.utils.translation import gettext

from fleet.models import BerthType

# Senior citizens: women from 58, men and transgender people from 60; women from 45 also
# get lower berths first.
SENIOR_AGE_WOMEN = 58
SENIOR_AGE_OTHERS = 60
LOWER_BERTH_AGE_WOMEN = 45

LOWER_BERTHS = frozenset({BerthType.LOWER, BerthType.SIDE_LOWER})


@dataclass(frozen=True)
class Traveller:
    """What the rules need to know of a passenger."""

    age: int
    gender: str  # M, F, T
    berth_preference: str = ""
    passport_number: str = ""
    nationality: str = ""
    seat_id: int | None = None  # the seat asked for (a seat map pick), if any


def country_code(text: str) -> str:
    """The ISO 3166-1 alpha-2 code ("GB") of the country `text` names by its alpha-2 or its
    alpha-3 code ("gb", "GBR": passports print the three letters), from `pycountry`'s list;
    "" for a blank. Raises ValueError, with a message a passenger can read, for anything
    else ("ZZ" is reserved for private use, not a country)."""
    code = (text or "").strip().upper()
    if not code:
        return ""
    found = None
    if len(code) == 2 and code.isascii() and code.isalpha():
        found = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3 and code.isascii() and code.isalpha():
        found = pycountry.countries.get(alpha_3=code)
    if found is None:
        raise ValueError(
            gettext(
                "{code!r} is not a country code of ISO 3166-1: give its two "
                "letters (GB) or its three (GBR)."
            ).format(code=code)
        )
    return found.alpha_2


def is_senior(t: Traveller) -> bool:
    """Senior citizens: women `SENIOR_AGE_WOMEN` (58) and over; men and transgender people
    `SENIOR_AGE_OTHERS` (60) and over."""
    return t.age >= (SENIOR_AGE_WOMEN if t.gender == "F" else SENIOR_AGE_OTHERS)


def needs_lower_berth(t: Traveller) -> bool:
    """Seniors and women `LOWER_BERTH_AGE_WOMEN` (45) and over get lower berths first, even
    without a preference."""
    return is_senior(t) or (t.gender == "F" and t.age >= LOWER_BERTH_AGE_WOMEN)
