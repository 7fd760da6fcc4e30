"""Money as integers in the currency's minor unit, and the few conversions it needs.

Every amount in TTMS is an `int` of minor units of its currency (paise for INR, cents for
KES; RWF and UGX have none, so an amount is whole francs or shillings). A currency is an
ISO 4217 code; its minor units and how people write its amounts come from the CLDR data
that Babel carries. Conversions to and from a provider's decimal strings ("123.45") work on
digits, never through a binary floating-point number, which cannot hold 0.1 exactly.
"""

import functools
import re
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, is_currency
from django.conf import settings
from django.utils import translation

_MAJOR = re.compile(r"^(?P<units>\d+)(?:\.(?P<fraction>\d+))?$")

# Large enough for any fare or top-up, small enough that sums of many never overflow a
# PostgreSQL bigint (9.2e18).
MAX_AMOUNT = 10**15


def default_currency() -> str:
    """The currency of new operators (`TTMS_CURRENCY`); everything sold is in its operator's."""
    return settings.TTMS_CURRENCY


def is_known_currency(code: object) -> bool:
    """Whether `code` is an upper-case ISO 4217 code that CLDR knows ("RWF" yes, "rwf" no)."""
    return (
        isinstance(code, str)
        and len(code) == 3
        and code.isupper()
        and code not in _NOT_MONEY
        and is_currency(code)
    )


# ISO 4217's codes for "no currency" and for testing: nothing is priced in them.
_NOT_MONEY = frozenset({"XXX", "XTS"})


@functools.cache
def exponent(currency: str) -> int:
    """The digits of the currency's minor unit: INR and KES 2, RWF and UGX 0, BHD 3."""
    return get_currency_precision(currency.upper())


def is_amount(value: object) -> bool:
    """A valid amount: a positive int of minor units (bool, being an int, is refused)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_AMOUNT


def to_major_string(amount: int, currency: str) -> str:
    """12345 (INR) -> "123.45"; 500 (JPY) -> "500". Negative amounts keep their sign."""
    digits = exponent(currency)
    sign = "-" if amount < 0 else ""
    units, fraction = divmod(abs(amount), 10**digits)
    if not digits:
        return f"{sign}{units}"
    return f"{sign}{units}.{fraction:0{digits}d}"


def from_major_string(text: str, currency: str) -> int:
    """ "123.45" (INR) -> 12345. Raises ValueError for anything that is not an exact amount
    in that currency (a sign, an exponent, more decimals than the currency has)."""
    match = _MAJOR.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not an amount.")
    digits = exponent(currency)
    fraction = (match["fraction"] or "").rstrip("0")
    if len(fraction) > digits:
        raise ValueError(f"{text!r} has more decimals than {currency} allows.")
    return int(match["units"]) * 10**digits + int(fraction.ljust(digits, "0") or "0")


@functools.cache
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse("en")


# CLDR's currency spacing: a symbol made of letters ("RWF", "KES") is parted from the digits
# by a no-break space, as "RWF 2,500"; Babel's patterns leave that step to the caller.
_LETTER_THEN_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)")


def format_money(amount: int, currency: str | None = None, *, language: str | None = None) -> str:
    """An amount of minor units as people read it in `language` (default: the active one),
    by CLDR: 174120 INR -> "₹1,741.20", 2500 RWF -> "RWF 2,500" (no decimals: RWF has no
    minor unit), 120000 KES -> "KES 1,200.00". For people, never for machines."""
    currency = (currency or default_currency()).upper()
    major = Decimal(amount).scaleb(-exponent(currency))
    locale = _locale(language or translation.get_language() or settings.LANGUAGE_CODE)
    text = format_currency(major, currency, locale=locale)
    return _LETTER_THEN_DIGIT.sub("\u00a0", text, count=1)


def split_commission(amount: int, commission_bp: int) -> tuple[int, int]:
    """Split a sale into (company share, platform commission).

    The commission is `amount × commission_bp / 10 000` rounded down to the minor unit (floor
    division on integers): the company never loses a fraction of a paisa to rounding, and the
    two shares always add up to the amount exactly.
    """
    commission = amount * commission_bp // 10_000
    return amount - commission, commission
