"""When a trip's chart is due: the railway rule of 2025, or a company's own offset."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# The railway rule of 2025: departures from 05:00 (inclusive) to 14:00 (exclusive), local
# time of the first stop, are charted at 21:00 the day before; the others 8 hours before.
CHART_EVENING_FROM = time(5, 0)
CHART_EVENING_UNTIL = time(14, 0)
CHART_EVENING_AT = time(21, 0)
CHART_LEAD = timedelta(hours=8)
_UTC = ZoneInfo("UTC")


def chart_due_at(*, departure_at: datetime, tz: ZoneInfo, offset_minutes: int | None) -> datetime:
    """When the chart of a trip leaving its first stop at `departure_at` (aware) is due,
    as an aware datetime in `tz`, the first stop's zone.

    `offset_minutes` set (buses, or a company's own choice): that many minutes before
    departure. None, the railway rule: a departure from 05:00 inclusive to 14:00 exclusive
    local time is charted at 21:00 local time the day before; any other departure (14:00
    to 04:59) 8 hours before. Durations are exact (counted in UTC), so a daylight-saving
    change between the chart and the departure does not move them.
    """
    departure_utc = departure_at.astimezone(_UTC)
    if offset_minutes is not None:
        return (departure_utc - timedelta(minutes=offset_minutes)).astimezone(tz)
    local = departure_at.astimezone(tz)
    if CHART_EVENING_FROM <= local.time() < CHART_EVENING_UNTIL:
        return datetime.combine(local.date() - timedelta(days=1), CHART_EVENING_AT, tzinfo=tz)
    return (departure_utc - CHART_LEAD).astimezone(tz)
