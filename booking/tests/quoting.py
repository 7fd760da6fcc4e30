"""Refund quotes at a time written as people read it: a preset's quote for a fare at "h:mm" or
"h:mm:ss" before a fixed departure ("-1:00" is an hour after it)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ..lifecycle.refunds import PRESETS, Quote, quote

DEPARTURE = datetime(2025, 3, 15, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))

# irctc2015's rule for RAC and waitlisted passengers, as a quote names it.
WAITING = "RAC and waitlisted tickets"
CLERKAGE = f"{WAITING}, at least 30 min before departure: fare less ₹60.00 clerkage."


def before(text: str) -> timedelta:
    """ "47:59" -> 47 h 59 min, "0:29:59" -> 29 min 59 s, "-1:00" -> minus one hour."""
    sign = -1 if text.startswith("-") else 1
    hours, minutes, *seconds = (int(part) for part in text.lstrip("-").split(":"))
    return sign * timedelta(hours=hours, minutes=minutes, seconds=seconds[0] if seconds else 0)


def quote_at(
    preset: str,
    when: str,
    *,
    fare: int,
    class_code: str = "SL",
    status: str = "CNF",
    pnr_quota: str = "GENERAL",
    charted: bool = False,
) -> Quote:
    return quote(
        PRESETS[preset],
        fare=fare,
        class_code=class_code,
        status=status,
        pnr_quota=pnr_quota,
        departure_at=DEPARTURE,
        now=DEPARTURE - before(when),
        charted=charted,
        currency="INR",
    )
