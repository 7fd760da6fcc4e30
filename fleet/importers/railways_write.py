"""Writing the Indian Railways timetable read by `railways_read`: stations and aliases, one
rake per train, routes and their stops, each synced by natural key in batches."""

from ..layouts import build_seats
from ..models import (
    ALL_DAYS,
    Coach,
    Route,
    RouteStop,
    Seat,
    Station,
    StationAlias,
    Vehicle,
    format_departure_times,
)
from ..services import standard_layout, travel_class_standard
from ..text import fold_name
from .base import Counts, bulk_create, chunked, sync_rows
from .railways_read import CLASS_FLAGS, TIME_ZONE, clean_name


def _station_rows(stations_geo, names, used_codes, counts: Counts) -> dict[str, dict]:
    rows: dict[str, dict] = {}
    for feature in stations_geo:
        props = feature["properties"]
        code = (props.get("code") or "").strip().upper()
        if not code or code.startswith(("XX-", "YY-")):
            counts.skip("datameet placeholder code (XX-/YY-)")
            continue
        coordinates = (feature.get("geometry") or {}).get("coordinates") or [None, None]
        name = clean_name(props.get("name") or "") or code
        rows[code] = {
            "code": code,
            "name": name[:150],
            "region": (props.get("state") or "")[:100],
            "longitude": coordinates[0],
            "latitude": coordinates[1],
        }
    for code in sorted(used_codes - set(rows)):
        # Not in datameet: the longest name the timetable gives (its Station Name column is
        # cut at 12 characters; the source and destination columns are not).
        name = max(names.get(code) or {code}, key=len).title()
        rows[code] = {
            "code": code,
            "name": name[:150],
            "region": "",
            "longitude": None,
            "latitude": None,
        }
    for row in rows.values():
        row["search_name"] = fold_name(row["name"])
        row["time_zone"] = TIME_ZONE
    return rows


STATION_FIELDS = ["name", "search_name", "region", "latitude", "longitude", "time_zone"]


def import_stations(stations_geo, names, used_codes, report, progress) -> dict[str, int]:
    counts = report["stations"]
    rows = _station_rows(stations_geo, names, used_codes, counts)
    existing = {
        row[0]: row[1:]
        for row in Station.objects.filter(code__in=list(rows))
        .values_list("code", "pk", *STATION_FIELDS)
        .iterator(chunk_size=5000)
    }
    bar = progress(len(rows), "stations")
    sync_rows(Station, rows, existing, STATION_FIELDS, counts, bar)
    bar.close()
    ids = dict(Station.objects.filter(code__in=list(rows)).values_list("code", "pk"))

    # The timetable's spellings that are not the station's name (nor a cut-off prefix of it)
    # become aliases, so that "MADGOAN JN" finds Madgaon.
    alias_counts = report["station aliases"]
    wanted = {}
    for code, spellings in names.items():
        if code not in rows:
            continue
        own = rows[code]["search_name"]
        for spelling in spellings:
            folded = fold_name(spelling)
            if folded and not own.startswith(folded):
                wanted[(ids[code], folded)] = spelling[:150]
    have = set(
        StationAlias.objects.filter(station_id__in=list(ids.values())).values_list(
            "station_id", "search_name"
        )
    )
    new = [
        StationAlias(station_id=sid, name=name, search_name=folded)
        for (sid, folded), name in wanted.items()
        if (sid, folded) not in have
    ]
    bulk_create(StationAlias, new)
    alias_counts.created += len(new)
    alias_counts.unchanged += len(wanted) - len(new)
    return ids


def import_vehicles(
    company, trains, trains_meta, coaches_per_class, default_flags, report, progress
) -> dict[str, int]:
    counts, coach_counts, seat_counts = report["vehicles"], report["coaches"], report["seats"]
    classes = {code: travel_class_standard(code=code) for _, _, code, _ in CLASS_FLAGS}
    layouts = {kind: standard_layout(kind=kind) for _, _, _, kind in CLASS_FLAGS}
    specs = {kind: build_seats(kind) for kind in layouts}

    vehicle_rows, coach_plan = {}, {}
    for number in trains:
        meta = trains_meta.get(number)
        flags = [flag for flag in CLASS_FLAGS if meta and meta.get(flag[0])] or default_flags
        if meta is None and not flags:
            counts.skip("train not in datameet trains.json (no class information)")
            continue
        if not flags:
            counts.skip("no reserved class in datameet (unreserved service)")
            continue
        meta = meta or {"name": trains[number].name}
        code = f"RAKE-{number}"
        vehicle_rows[code] = {
            "company": company,
            "code": code,
            "kind": Vehicle.Kind.TRAIN,
            "name": (clean_name(meta.get("name") or "") or number)[:120],
        }
        coach_plan[code] = flags
    counts.skip("datameet train not in the timetable", len(set(trains_meta) - set(trains)))

    existing = {
        row[0]: row[1:]
        for row in Vehicle.objects.filter(company=company).values_list("code", "pk", "name", "kind")
    }
    sync_rows(Vehicle, vehicle_rows, existing, ["name", "kind"], counts)
    ids = dict(Vehicle.objects.filter(company=company).values_list("code", "pk"))

    coach_rows = {}
    for code, flags in coach_plan.items():
        position = 0
        for _, letter, class_code, kind in flags:
            for n in range(1, coaches_per_class + 1):
                position += 1
                key = (ids[code], f"{letter}{n}")
                coach_rows[key] = {
                    "vehicle_id": key[0],
                    "code": key[1],
                    "travel_class_id": classes[class_code].pk,
                    "layout_id": layouts[kind].pk,
                    "position": position,
                }
    existing = {
        (row[0], row[1]): row[2:]
        for row in Coach.objects.filter(vehicle__company=company).values_list(
            "vehicle_id", "code", "pk", "travel_class_id", "layout_id", "position"
        )
    }
    new_keys = [key for key in coach_rows if key not in existing]
    # A coach whose class or layout changed keeps its seats (tickets may reference them);
    # only new coaches get seats.
    sync_rows(
        Coach, coach_rows, existing, ["travel_class_id", "layout_id", "position"], coach_counts
    )
    coach_ids = {
        (v, c): pk
        for v, c, pk in Coach.objects.filter(vehicle__company=company).values_list(
            "vehicle_id", "code", "pk"
        )
    }
    kinds_by_layout = {layout.pk: kind for kind, layout in layouts.items()}
    seats = []
    for key in new_keys:
        kind = kinds_by_layout[coach_rows[key]["layout_id"]]
        seats += [
            Seat(
                coach_id=coach_ids[key],
                number=s.number,
                berth_type=s.berth_type,
                is_rac=s.is_rac,
                row=s.row,
                column=s.column,
            )
            for s in specs[kind]
        ]
    bar = progress(len(seats), "seats")
    bulk_create(Seat, seats, bar)
    bar.close()
    seat_counts.created += len(seats)
    seat_counts.unchanged += Seat.objects.filter(coach__vehicle__company=company).count() - len(
        seats
    )
    return {code.removeprefix("RAKE-"): pk for code, pk in ids.items()}


ROUTE_FIELDS = ["number", "name", "departure_times", "running_days", "default_vehicle_id"]


def import_routes(
    company, trains, trains_meta, running_days, vehicle_ids, report, progress
) -> dict[str, int]:
    counts = report["routes"]
    rows = {}
    daily_by_default = 0
    for number, train in trains.items():
        meta = trains_meta.get(number) or {}
        name = clean_name(meta.get("name") or "") or train.name
        days = running_days.get(number)
        if days is None:
            daily_by_default += 1
        rows[number] = {
            "company": company,
            "code": number,
            "number": number,
            "name": name[:200],
            "departure_times": format_departure_times([train.departure]),
            "running_days": days or ALL_DAYS,
            "default_vehicle_id": vehicle_ids.get(number),
        }
    if running_days:
        report.notes.append(
            f"{len(rows) - daily_by_default:,} trains have running days from "
            f"BhanuTeella; {daily_by_default:,} without them run daily."
        )
    existing = {
        row[0]: row[1:]
        for row in Route.objects.filter(company=company).values_list("code", "pk", *ROUTE_FIELDS)
    }
    bar = progress(len(rows), "routes")
    sync_rows(Route, rows, existing, ROUTE_FIELDS, counts, bar)
    bar.close()
    return dict(Route.objects.filter(company=company).values_list("code", "pk"))


STOP_FIELDS = ["station_id", "distance_km", "arrival_offset", "departure_offset"]


def import_stops(trains, route_ids, station_ids, report, progress) -> None:
    counts = report["route stops"]
    rows = {}
    for number, train in trains.items():
        route_id = route_ids[number]
        for sequence, (code, km, arrival, departure) in enumerate(train.stops, start=1):
            rows[(route_id, sequence)] = {
                "route_id": route_id,
                "sequence": sequence,
                "station_id": station_ids[code],
                "distance_km": km,
                "arrival_offset": arrival,
                "departure_offset": departure,
            }
    existing = {}
    for ids in chunked(list(route_ids.values()), 5000):
        for row in (
            RouteStop.objects.filter(route_id__in=ids)
            .values_list("route_id", "sequence", "pk", *STOP_FIELDS)
            .iterator(chunk_size=10000)
        ):
            existing[(row[0], row[1])] = row[2:]
    bar = progress(len(rows), "route stops")
    # Stops beyond a train's new length go first, so a shortened route never holds both.
    surplus = [values[0] for key, values in existing.items() if key not in rows]
    for pks in chunked(surplus):
        RouteStop.objects.filter(pk__in=pks).delete()
    counts.deleted += len(surplus)
    sync_rows(RouteStop, rows, existing, STOP_FIELDS, counts, bar)
    bar.close()
