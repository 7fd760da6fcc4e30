"""Import a GTFS feed (bus or rail): `manage.py import_gtfs FEED --company SLUG`.

FEED is a folder or a zip of GTFS text files (the zip may keep them in a subfolder). What
becomes what:

- agency.txt: the company when it does not exist yet (name, time zone; rail if a route is a
  train, else bus; its currency: `--currency`, else fare_attributes.txt's currency_type,
  else the currency of the country of the agency's time zone, by CLDR: Africa/Nairobi
  sells in KES, else TTMS_CURRENCY);
- stops.txt: stations coded PREFIX:stop_id (PREFIX defaults to the company slug); platforms
  (stops with a parent_station) are merged into their station, entrances and other nodes
  are skipped;
- trips.txt with stop_times.txt: one route per trip (code = trip_id, number = the trip's
  short name or its route's), times as offsets from the first departure (hours past 24 are
  fine); missing times between timepoints are interpolated;
- frequencies.txt: expanded into the route's departure times (start, start + headway, ...
  before end);
- calendar.txt: running weekdays and validity; calendar_dates.txt: per-date exceptions.

shape_dist_traveled is ignored (the spec leaves its unit to each feed): distances are
great-circle between consecutive stops. Idempotent by natural keys (station code, company and
trip id, route and stop sequence, route and date).
"""

from contextlib import ExitStack
from pathlib import Path

from babel.core import get_global
from babel.numbers import get_territory_currencies
from django.db import transaction

from ttms.money import default_currency, is_known_currency

from ..models import Company, validate_time_zone
from .base import ImportFailed, ImportReport, ProgressFactory, no_progress
from .gtfs_read import RAIL_ROUTE_TYPES, Feed, plan_routes, read_services
from .gtfs_write import import_stations, sync_routes


def import_gtfs(
    *,
    feed: Path,
    company_slug: str,
    company_name: str | None = None,
    code_prefix: str | None = None,
    currency: str | None = None,
    progress: ProgressFactory = no_progress,
) -> ImportReport:
    """Import (or refresh) the GTFS feed at `feed` for the company `company_slug`, created
    from agency.txt when it does not exist. See the module docstring.

    Raises ImportFailed for a missing required file or an unreadable feed; nothing is
    written then (one transaction).
    """
    feed = Path(feed)
    if not feed.exists():
        raise ImportFailed(f"{feed} does not exist.")
    report = ImportReport()
    with ExitStack() as stack:
        source = Feed(feed, stack)
        agencies = source.rows("agency.txt")
        stops = source.rows("stops.txt")
        gtfs_routes = {r["route_id"]: r for r in source.rows("routes.txt")}
        trips = source.rows("trips.txt")
        stop_times = source.rows("stop_times.txt")
        calendar = source.rows("calendar.txt", required=False)
        calendar_dates = source.rows("calendar_dates.txt", required=False)
        frequencies = source.rows("frequencies.txt", required=False)
        fares = source.rows("fare_attributes.txt", required=False)
    if currency is not None and not is_known_currency(currency):
        raise ImportFailed(f"--currency {currency!r} is not an ISO 4217 currency code.")
    if not calendar and not calendar_dates:
        raise ImportFailed(f"{feed}: neither calendar.txt nor calendar_dates.txt is present.")
    if not agencies:
        raise ImportFailed(f"{feed}: agency.txt has no agency.")
    for name, rows in (
        ("agency", agencies),
        ("stops", stops),
        ("routes", gtfs_routes),
        ("trips", trips),
        ("stop_times", stop_times),
        ("calendar", calendar),
        ("calendar_dates", calendar_dates),
        ("frequencies", frequencies),
    ):
        report.read[name] = len(rows)

    agency_tz = agencies[0].get("agency_timezone", "")
    try:
        validate_time_zone(agency_tz)
    except Exception as exc:
        raise ImportFailed(f"{feed}: agency_timezone {agency_tz!r} is not a time zone.") from exc
    is_rail = any(r.get("route_type") in RAIL_ROUTE_TYPES for r in gtfs_routes.values())

    with transaction.atomic():
        company, created = Company.objects.get_or_create(
            slug=company_slug,
            defaults={
                "name": (company_name or agencies[0].get("agency_name") or company_slug)[:120],
                "kind": Company.Kind.RAIL if is_rail else Company.Kind.BUS,
                "time_zone": agency_tz,
                "currency": currency or feed_currency(fares, agency_tz),
            },
        )
        report["companies"].created += created
        report["companies"].unchanged += not created
        prefix = (code_prefix or company.slug).upper()
        station_of_stop, coordinates = import_stations(
            company, prefix, agency_tz, stops, report, progress
        )
        services = read_services(calendar, calendar_dates)
        route_rows, stop_rows, exception_rows = plan_routes(
            company,
            trips,
            stop_times,
            frequencies,
            gtfs_routes,
            services,
            calendar_dates,
            station_of_stop,
            coordinates,
            report,
        )
        sync_routes(company, route_rows, stop_rows, exception_rows, report, progress)
    return report


def feed_currency(fares: list[dict], time_zone: str) -> str:
    """The currency of a feed's operator: its fares' currency_type when they name one,
    else the currency of the country its time zone is in (CLDR), else TTMS_CURRENCY."""
    named = {row.get("currency_type", "").strip().upper() for row in fares} - {""}
    if len(named) == 1 and is_known_currency(code := named.pop()):
        return code
    territory = get_global("zone_territories").get(time_zone)
    local = get_territory_currencies(territory) if territory else []
    return local[0] if local and is_known_currency(local[0]) else default_currency()
