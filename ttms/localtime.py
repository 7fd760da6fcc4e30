"""Moments shown to people: in a station's (or an operator's) time zone, with the zone named.

Times are stored as aware datetimes in UTC; every page, admin list, export, statement and
message shows them through these helpers, so "06:00 CAT" in Kigali is never "04:00" with no
zone beside it. A day (a filter's, a report's, a settlement's) is a local day of a zone:
`day_bounds` turns it into the UTC instants a query compares with.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from django.conf import settings
from django.utils import timezone, translation


def zone(name: str | None) -> ZoneInfo:
    """The time zone named `name` (TTMS_DISPLAY_TIME_ZONE without one; UTC for a name the
    tz database does not know)."""
    try:
        return ZoneInfo(name or settings.TTMS_DISPLAY_TIME_ZONE)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def local(moment: datetime, zone_name: str | None) -> datetime:
    """`moment` in the time zone `zone_name`."""
    return moment.astimezone(zone(zone_name))


def _babel(moment: datetime, pattern: str) -> str:
    language = (translation.get_language() or settings.LANGUAGE_CODE).replace("-", "_")
    try:
        return format_datetime(moment, pattern, locale=language)
    except ValueError:  # a language Babel does not know
        return format_datetime(moment, pattern, locale="en")


def local_time(moment: datetime | None, zone_name: str | None, *, short: bool = False) -> str:
    """ "Thu 4 Dec, 06:00 CAT (Africa/Kigali)": `moment` in the time zone `zone_name` (a
    station's; TTMS_DISPLAY_TIME_ZONE without one), the weekday and month in the active
    language, the zone named both ways ("Thu 4 Dec, 06:00 CAT" when `short`, for SMS)."""
    if moment is None:
        return ""
    tz = zone(zone_name)
    moment = moment.astimezone(tz)
    text = _babel(moment, "EEE d MMM, HH:mm")
    if short:
        return f"{text} {moment.tzname()}"
    return f"{text} {moment.tzname()} ({tz.key})"


def local_datetime(moment: datetime | None, zone_name: str | None) -> str:
    """ "04 Dec 2026 06:00 CAT": `moment` with its year, for lists and statements, the zone
    abbreviated (the column or the page names the zone in full where it matters)."""
    if moment is None:
        return ""
    moment = moment.astimezone(zone(zone_name))
    return f"{_babel(moment, 'dd MMM yyyy HH:mm')} {moment.tzname()}"


def day_bounds(day: date, zone_name: str | None) -> tuple[datetime, datetime]:
    """[`day` 00:00, the next day 00:00) in the time zone `zone_name`, as aware datetimes
    (a day of a daylight-saving change is 23 or 25 hours long)."""
    tz = zone(zone_name)
    return (
        datetime.combine(day, time.min, tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz),
    )


def today(zone_name: str | None) -> date:
    """Today's date in the time zone `zone_name`."""
    return timezone.now().astimezone(zone(zone_name)).date()
