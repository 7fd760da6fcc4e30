"""Quotas: who may book in each, how many passengers a PNR holds, and when booking opens
(the horizons, Tatkal's opening, the dates search offers)."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models import Quota
from .passengers import Traveller, is_senior

GENERAL = Quota.GENERAL
LADIES = Quota.LADIES
SENIOR = Quota.SENIOR
TATKAL = Quota.TATKAL
FOREIGN_TOURIST = Quota.FOREIGN_TOURIST
RAC = Quota.RAC

MAX_PASSENGERS = 6
MAX_TATKAL_PASSENGERS = 4
MAX_SENIOR_PASSENGERS = 2
BOOKING_HORIZON_DAYS = 60
FOREIGN_TOURIST_HORIZON_DAYS = 365
# The furthest ahead any quota is on sale with any operator (a horizon is at most 365
# days): search offers no later date.
SEARCH_HORIZON_DAYS = max(BOOKING_HORIZON_DAYS, FOREIGN_TOURIST_HORIZON_DAYS)
# Tatkal opens the day before the journey: AC classes at 10:00, the others at 11:00.
AC_CLASSES = frozenset({"1A", "2A", "3A", "3E", "CC", "EC", "EA"})
TATKAL_OPENS_AC = time(10, 0)
TATKAL_OPENS_OTHER = time(11, 0)

# Trip search answers dates in this range only: no timetable runs outside it, and there a
# day's bounds, widened by a route's offsets, stay inside what a datetime can hold.
SEARCH_FIRST_DATE = date(1900, 1, 1)
SEARCH_LAST_DATE = date(2999, 12, 31)


def max_passengers(quota: str, *, limit: int = MAX_PASSENGERS) -> int:
    """The most passengers one PNR in `quota` holds: the operator's `limit` (6 unless it
    allows fewer), and for TATKAL at most `MAX_TATKAL_PASSENGERS` (4)."""
    limit = min(limit, MAX_PASSENGERS)
    return min(limit, MAX_TATKAL_PASSENGERS) if quota == TATKAL else limit


def quota_eligible(quota: str, travellers: Sequence[Traveller]) -> bool:
    """Whether the whole PNR may use `quota`'s earmarked seats (else it falls back to
    GENERAL). LADIES: every passenger a woman. SENIOR: one or two passengers, all seniors."""
    if quota == LADIES:
        return all(t.gender == "F" for t in travellers)
    if quota == SENIOR:
        return len(travellers) <= MAX_SENIOR_PASSENGERS and all(map(is_senior, travellers))
    return True


def booking_opens_at(
    *,
    quota: str,
    class_code: str,
    travel_date: date,
    tz: ZoneInfo,
    horizon_days: int = BOOKING_HORIZON_DAYS,
) -> datetime:
    """When booking this journey opens (aware, in the boarding station's zone).

    TATKAL: the day before `travel_date` at 10:00 (AC classes) or 11:00. FOREIGN_TOURIST:
    365 days ahead; everything else `horizon_days` ahead (the operator's booking horizon,
    60 unless it sets another), not counting the journey day.
    """
    if quota == TATKAL:
        opens = TATKAL_OPENS_AC if class_code in AC_CLASSES else TATKAL_OPENS_OTHER
        return datetime.combine(travel_date - timedelta(days=1), opens, tzinfo=tz)
    days = FOREIGN_TOURIST_HORIZON_DAYS if quota == FOREIGN_TOURIST else horizon_days
    return datetime.combine(travel_date - timedelta(days=days), time(), tzinfo=tz)


def search_dates(*, now: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The first and last journey dates search offers at `now` (aware) from a station in
    `tz`: its local today, to `SEARCH_HORIZON_DAYS` later, the last date on which some quota
    is on sale now (`booking_opens_at` counts the same days, in the same zone)."""
    today = now.astimezone(tz).date()
    return today, today + timedelta(days=SEARCH_HORIZON_DAYS)
