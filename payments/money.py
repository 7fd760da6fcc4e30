"""Money as integers in the currency's minor unit, and the few conversions it needs.

Every amount in TTMS is an `int` of minor units (paise for INR, cents for USD). Conversions
to and from a provider's decimal strings ("123.45") work on digits, never through a binary
floating-point number, which cannot hold 0.1 exactly.
"""

import re

from django.conf import settings

# ISO 4217 minor-unit exponents that are not 2; every other currency has 2 decimals.
_EXPONENTS = {
    "BHD": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}
_SYMBOLS = {"INR": "₹", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
_MAJOR = re.compile(r"^(?P<units>\d+)(?:\.(?P<fraction>\d+))?$")

# Large enough for any fare or top-up, small enough that sums of many never overflow a
# PostgreSQL bigint (9.2e18).
MAX_AMOUNT = 10**15


def default_currency() -> str:
    return settings.TTMS_CURRENCY


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


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


def format_money(amount: int, currency: str | None = None) -> str:
    """12345 -> "₹123.45", with thousands separators; for people, never for machines."""
    currency = currency or default_currency()
    text = to_major_string(abs(amount), currency)
    units, _, fraction = text.partition(".")
    units = f"{int(units):,}"
    symbol = _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = "−" if amount < 0 else ""
    return f"{sign}{symbol}{units}{'.' + fraction if fraction else ''}"


def split_commission(amount: int, commission_bp: int) -> tuple[int, int]:
    """Split a sale into (company share, platform commission).

    The commission is `amount × commission_bp / 10 000` rounded down to the minor unit (floor
    division on integers): the company never loses a fraction of a paisa to rounding, and the
    two shares always add up to the amount exactly.
    """
    commission = amount * commission_bp // 10_000
    return amount - commission, commission
