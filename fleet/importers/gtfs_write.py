"""Writing what `gtfs_read` planned: the feed's stations (platforms merged into them), and
its routes, stops and exceptions, each synced by natural key in batches."""

from ..models import Route, RouteException, RouteStop, Station
from ..text import fold_name
from .base import chunked, sync_rows


def import_stations(company, prefix, agency_tz, stops, report, progress):
    counts = report["stations"]
    by_id = {s["stop_id"]: s for s in stops}
    rows, station_of_stop, merged = {}, {}, 0
    for stop in stops:
        location_type = stop.get("location_type") or "0"
        if location_type not in ("0", "1"):
            counts.skip("entrance, generic node or boarding area (location_type 2-4)")
            continue
        parent = stop.get("parent_station")
        if location_type == "0" and parent and parent in by_id:
            merged += 1
            continue
        code = f"{prefix}:{stop['stop_id']}".upper()
        if len(code) > 64:
            counts.skip("code longer than 64 characters")
            continue
        if code in rows:
            counts.skip("stop_id differs from another only by letter case")
            continue
        try:
            lat, lon = float(stop.get("stop_lat") or ""), float(stop.get("stop_lon") or "")
        except ValueError:
            lat = lon = None
        tz = stop.get("stop_timezone") or agency_tz
        name = " ".join((stop.get("stop_name") or stop["stop_id"]).split())[:150]
        rows[code] = {
            "code": code,
            "name": name,
            "search_name": fold_name(name),
            "latitude": lat,
            "longitude": lon,
            "time_zone": tz,
            "company": company,
        }
        station_of_stop[stop["stop_id"]] = code
    for stop in stops:
        parent = stop.get("parent_station")
        if (stop.get("location_type") or "0") == "0" and parent in station_of_stop:
            station_of_stop[stop["stop_id"]] = station_of_stop[parent]
    if merged:
        report.notes.append(f"{merged:,} platforms merged into their parent station.")

    fields = ["name", "search_name", "latitude", "longitude", "time_zone"]
    existing, foreign = {}, set()
    for code, pk, company_id, *values in Station.objects.filter(code__in=list(rows)).values_list(
        "code", "pk", "company_id", *fields
    ):
        if company_id != company.pk:
            foreign.add(code)
        else:
            existing[code] = (pk, *values)
    for code in foreign:
        counts.skip("code already used by a station of another operator")
        del rows[code]
    bar = progress(len(rows), "stations")
    sync_rows(Station, rows, existing, fields, counts, bar)
    bar.close()
    ids = dict(Station.objects.filter(code__in=list(rows)).values_list("code", "pk"))
    coordinates = {
        ids[c]: (r["latitude"], r["longitude"])
        for c, r in rows.items()
        if r["latitude"] is not None
    }
    return (
        {stop_id: ids[code] for stop_id, code in station_of_stop.items() if code in ids},
        coordinates,
    )


ROUTE_FIELDS = ["number", "name", "departure_times", "running_days", "valid_from", "valid_to"]
STOP_FIELDS = ["station_id", "distance_km", "arrival_offset", "departure_offset"]


def sync_routes(company, route_rows, stop_rows, exception_rows, report, progress):
    existing = {
        row[0]: row[1:]
        for row in Route.objects.filter(company=company).values_list("code", "pk", *ROUTE_FIELDS)
    }
    absent = len(set(existing) - set(route_rows))
    if absent:
        report.notes.append(
            f"{absent:,} routes of {company} are not in this feed; left as they are."
        )
    bar = progress(len(route_rows), "routes")
    sync_rows(Route, route_rows, existing, ROUTE_FIELDS, report["routes"], bar)
    bar.close()
    route_ids = dict(
        Route.objects.filter(company=company, code__in=list(route_rows)).values_list("code", "pk")
    )

    rows = {}
    for code, stops in stop_rows.items():
        for stop in stops:
            key = (route_ids[code], stop["sequence"])
            rows[key] = {"route_id": key[0], **stop}
    existing, current_exceptions = {}, {}
    for ids in chunked(list(route_ids.values()), 5000):
        for row in RouteStop.objects.filter(route_id__in=ids).values_list(
            "route_id", "sequence", "pk", *STOP_FIELDS
        ):
            existing[(row[0], row[1])] = row[2:]
        for route_id, day, pk, kind in RouteException.objects.filter(route_id__in=ids).values_list(
            "route_id", "date", "pk", "kind"
        ):
            current_exceptions[(route_id, day)] = (pk, kind)
    surplus = [values[0] for key, values in existing.items() if key not in rows]
    for pks in chunked(surplus):
        RouteStop.objects.filter(pk__in=pks).delete()
    report["route stops"].deleted += len(surplus)
    bar = progress(len(rows), "route stops")
    sync_rows(RouteStop, rows, existing, STOP_FIELDS, report["route stops"], bar)
    bar.close()

    wanted = {
        (route_ids[code], day): {"route_id": route_ids[code], "date": day, "kind": kind}
        for code, dates in exception_rows.items()
        for day, kind in dates.items()
    }
    surplus = [values[0] for key, values in current_exceptions.items() if key not in wanted]
    for pks in chunked(surplus):
        RouteException.objects.filter(pk__in=pks).delete()
    report["route exceptions"].deleted += len(surplus)
    sync_rows(RouteException, wanted, current_exceptions, ["kind"], report["route exceptions"])
