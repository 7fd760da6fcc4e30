"""The calendar rules of the assistant's phrases, relative to the passenger's `today`.

Every function is pure: the same words on the same day give the same date, so the tests
name their day and the search page passes the station's local today.
"""

import calendar
from datetime import date, time, timedelta

SATURDAY = 5


def weekday_coming(today: date, weekday: int) -> date:
    """ "friday", "this friday": the next such day strictly after today (1 to 7 days ahead),
    since asking on a Friday for "friday" means the one a week on, not the day being lived."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def weekday_next_week(today: date, weekday: int) -> date:
    """ "next friday": that day in the next calendar week (weeks start on Monday), which on
    a Friday is a week on, and "next monday" is three days on."""
    next_monday = today + timedelta(days=7 - today.weekday())
    return next_monday + timedelta(days=weekday)


def weekend_coming(today: date) -> date:
    """ "this weekend": the coming Saturday, or today when the weekend has begun."""
    if today.weekday() >= SATURDAY:
        return today
    return today + timedelta(days=SATURDAY - today.weekday())


def weekend_next_week(today: date) -> date:
    """ "next weekend": the Saturday of the next calendar week."""
    return weekday_next_week(today, SATURDAY)


def day_of_month(today: date, day: int) -> date | None:
    """ "on the 5th": day `day` of this month unless that is already past, then of the next
    month that has such a day (the 31st after 31 January is 31 March). None for a day no
    month has."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def day_and_month(today: date, day: int, month: int, year: int | None = None) -> date | None:
    """ "5/12", "5 Dec", "Dec 5": that day this year unless already past, then next year; a
    year the passenger wrote is kept ("5/12/27" is 2027). None for an impossible date."""
    if year is not None and year < 100:
        year += 2000
    for candidate_year in (year,) if year else (today.year, today.year + 1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if year or candidate >= today:
            return candidate
    return None


def iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat("-".join(part.zfill(2) for part in value.split("-")))
    except ValueError:
        return None


def clock(hour: int, minute: int = 0, meridiem: str | None = None) -> time | None:
    """A time from what was written: 6 pm -> 18:00, 12 am -> 00:00, 12 pm -> 12:00, 18:00 as
    it is. None when it cannot be a time (25:00, 13 pm)."""
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)
