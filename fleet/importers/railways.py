"""Import the Indian Railways timetable: `manage.py import_railways DIR`.

DIR holds the third-party files described in its README (each may be gzipped or not):

- `datameet/stations.json`: station codes, names, states and coordinates (GeoJSON);
- `datameet/trains.json`: per train, its name and class flags (sleeper, third_ac, ...);
- `datagovin/Train_details_*.csv`: the per-stop timetable (the routes and their stops);
- `bhanuteella/trains_dict.json` (optional): running days per train.

It creates or updates one rail operator, the stations (shared by every operator), their
aliases, one route per train with its stops, and one rake per train with a coach per class
flag. Quirks of the timetable it handles: train numbers that lost their leading zeros,
names with stray spaces, no day column (a time earlier than the previous one is the next
day), and `00:00:00` standing for "none" at the first arrival and the last departure.

Idempotent by natural keys (station code; company and train number; route and stop
sequence; vehicle code; vehicle and coach code): a second run over the same files creates,
updates and deletes nothing. One transaction: a failed import writes nothing.
"""

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from ..layouts import build_seats
from ..models import (
    ALL_DAYS,
    Coach,
    Company,
    Route,
    RouteStop,
    Seat,
    SeatLayout,
    Station,
    StationAlias,
    Vehicle,
    format_departure_times,
)
from ..services import standard_layout, travel_class_standard
from ..text import fold_name
from .base import (
    Counts,
    ImportFailed,
    ImportReport,
    ProgressFactory,
    bulk_create,
    chunked,
    no_progress,
    open_text,
    sync_rows,
)

TIME_ZONE = "Asia/Kolkata"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

# datameet class flag -> coach code letter, travel class, layout (rake order: AC first).
CLASS_FLAGS = [
    ("first_ac", "H", "1A", SeatLayout.Kind.AC1),
    ("second_ac", "A", "2A", SeatLayout.Kind.AC2_48),
    ("third_ac", "B", "3A", SeatLayout.Kind.AC3),
    ("first_class", "F", "FC", SeatLayout.Kind.AC1),
    ("chair_car", "C", "CC", SeatLayout.Kind.CC),
    ("sleeper", "S", "SL", SeatLayout.Kind.SL),
]

CSV_COLUMNS = [
    "Train No",
    "Train Name",
    "SEQ",
    "Station Code",
    "Station Name",
    "Arrival time",
    "Departure Time",
    "Distance",
    "Source Station",
    "Source Station Name",
    "Destination Station",
    "Destination Station Name",
]


def train_number(raw: str) -> str:
    """The timetable lost leading zeros (107 is train 00107): pad to five digits."""
    raw = raw.strip()
    return raw.zfill(5) if raw.isdigit() else raw


def clean_name(raw: str) -> str:
    return " ".join(raw.split())


def clock_minutes(value: str) -> int:
    """'23:58:00' -> 1438. Raises ValueError for anything else."""
    parts = value.strip().split(":")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a time: {value!r}")
    hours, minutes = int(parts[0]), int(parts[1])
    if hours > 23 or minutes > 59:
        raise ValueError(f"not a time of day: {value!r}")
    return hours * 60 + minutes


def stop_offsets(times: list[tuple[str | None, str | None]]) -> tuple[int, list[tuple]]:
    """From per-stop (arrival, departure) clock times, the origin's departure (minutes after
    midnight) and per stop (arrival, departure) offsets in minutes from it.

    There is no day column: a time earlier than the one before it is on the next day (a
    train may roll over several midnights). None stays None.
    """
    first = clock_minutes(times[0][1])
    previous, day_start, offsets = first, 0, []
    for pair in times:
        stop = []
        for value in pair:
            if value is None:
                stop.append(None)
                continue
            moment = day_start + clock_minutes(value)
            while moment < previous:
                day_start += 1440
                moment += 1440
            previous = moment
            stop.append(moment - first)
        offsets.append(tuple(stop))
    return first, offsets


@dataclass
class Train:
    number: str
    name: str
    departure: int
    stops: list[tuple[str, Decimal, int | None, int | None]]  # code, km, arrival, departure


def _read_json(path: Path):
    with open_text(path) as f:
        return json.load(f)


def _read_timetable(
    directory: Path, report: ImportReport, names: dict[str, set[str]]
) -> dict[str, Train]:
    folder = directory / "datagovin"
    candidates = sorted(folder.glob("Train_details*.csv*")) if folder.is_dir() else []
    if not candidates:
        raise ImportFailed(f"{folder}/Train_details_*.csv(.gz) is missing.")
    path = candidates[0]
    rows_by_train: dict[str, list[list[str]]] = defaultdict(list)
    csv_names: dict[str, str] = {}
    with open_text(path) as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader)]
        if header[: len(CSV_COLUMNS)] != CSV_COLUMNS:
            raise ImportFailed(f"{path.name}: unexpected columns {header}.")
        count = 0
        for row in reader:
            if not row:
                continue
            count += 1
            number = train_number(row[0])
            rows_by_train[number].append(row)
            csv_names.setdefault(number, clean_name(row[1]))
            for code, name in ((row[3], row[4]), (row[8], row[9]), (row[10], row[11])):
                names[code.strip().upper()].add(clean_name(name))
    report.read["timetable stop rows"] = count
    report.read["timetable trains"] = len(rows_by_train)
    report.read["timetable station codes"] = len(
        {r[3].strip().upper() for rows in rows_by_train.values() for r in rows}
    )

    trains, counts = {}, report["routes"]
    for number, rows in rows_by_train.items():
        rows.sort(key=lambda r: int(r[2]) if r[2].strip().isdigit() else 0)
        if len(rows) < 2:
            counts.skip("fewer than two stops")
            continue
        # 00:00:00 means "none" at the first arrival and the last departure only: elsewhere
        # it is a real midnight (48 trains arrive at an intermediate stop at 00:00).
        times = [
            (None if i == 0 else r[5], None if i == len(rows) - 1 else r[6])
            for i, r in enumerate(rows)
        ]
        try:
            departure, offsets = stop_offsets(times)
            distances = [Decimal(int(r[7])) for r in rows]
        except ValueError as exc:
            counts.skip(f"unreadable time or distance ({exc})")
            continue
        stops = [
            (r[3].strip().upper(), km, arr, dep)
            for r, km, (arr, dep) in zip(rows, distances, offsets, strict=True)
        ]
        trains[number] = Train(number, csv_names[number], departure, stops)
    return trains


def _running_days(directory: Path, report: ImportReport) -> dict[str, int]:
    path = directory / "bhanuteella" / "trains_dict.json"
    if not (path.is_file() or path.with_name(path.name + ".gz").is_file()):
        report.notes.append("bhanuteella/trains_dict.json absent: every train runs daily.")
        return {}
    data = _read_json(path)
    report.read["bhanuteella trains"] = len(data)
    days = {}
    for number, train in data.items():
        runs = train.get("Runs_on") or {}
        mask = sum(1 << i for i, day in enumerate(WEEKDAYS) if runs.get(day))
        if mask:
            days[train_number(number)] = mask
    return days


def import_railways(
    *,
    directory: Path,
    company_slug: str = "indian-railways",
    company_name: str = "Indian Railways",
    coaches_per_class: int = 1,
    default_classes: tuple[str, ...] = (),
    progress: ProgressFactory = no_progress,
) -> ImportReport:
    """Import (or refresh) the timetable in `directory`; see the module docstring.

    Trains without datameet class flags get no rake (they are unreserved services or
    unknown to datameet) unless `default_classes` names the classes to give them
    (e.g. ("SL", "3A")). Raises ImportFailed when a required file is missing or malformed,
    or a class is unknown; writes nothing then.
    """
    flags_by_class = {flag[2]: flag for flag in CLASS_FLAGS}
    unknown = [c for c in default_classes if c not in flags_by_class]
    if unknown:
        raise ImportFailed(
            f"Unknown class {', '.join(unknown)}; choose among {', '.join(flags_by_class)}."
        )
    default_flags = [flag for flag in CLASS_FLAGS if flag[2] in default_classes]
    directory = Path(directory)
    if not directory.is_dir():
        raise ImportFailed(f"{directory} is not a directory.")
    if not 1 <= coaches_per_class <= 24:
        raise ImportFailed("--coaches-per-class must be between 1 and 24.")
    report = ImportReport()
    for entity in (
        "companies",
        "stations",
        "station aliases",
        "vehicles",
        "coaches",
        "seats",
        "routes",
        "route stops",
    ):
        report[entity]  # the report lists entities in this order

    names: dict[str, set[str]] = defaultdict(set)
    stations_geo = _read_json(directory / "datameet" / "stations.json")["features"]
    trains_meta = {
        train_number(f["properties"]["number"]): f["properties"]
        for f in _read_json(directory / "datameet" / "trains.json")["features"]
    }
    report.read["datameet stations"] = len(stations_geo)
    report.read["datameet stations with coordinates"] = sum(
        1 for f in stations_geo if f.get("geometry")
    )
    report.read["datameet trains"] = len(trains_meta)
    trains = _read_timetable(directory, report, names)
    running_days = _running_days(directory, report)
    used_codes = {code for t in trains.values() for code, *_ in t.stops}
    geo_codes = {f["properties"]["code"] for f in stations_geo if f.get("geometry")}
    report.read["timetable station codes found in datameet"] = len(
        used_codes & {f["properties"]["code"] for f in stations_geo}
    )
    report.read["timetable station codes with datameet coordinates"] = len(used_codes & geo_codes)

    with transaction.atomic():
        company, created = Company.objects.get_or_create(
            slug=company_slug,
            defaults={"name": company_name, "kind": Company.Kind.RAIL, "time_zone": TIME_ZONE},
        )
        report["companies"].created += created
        report["companies"].unchanged += not created
        station_ids = _import_stations(stations_geo, names, used_codes, report, progress)
        vehicle_ids = _import_vehicles(
            company, trains, trains_meta, coaches_per_class, default_flags, report, progress
        )
        route_ids = _import_routes(
            company, trains, trains_meta, running_days, vehicle_ids, report, progress
        )
        _import_stops(trains, route_ids, station_ids, report, progress)
    return report


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


def _import_stations(stations_geo, names, used_codes, report, progress) -> dict[str, int]:
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


def _import_vehicles(
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


def _import_routes(
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


def _import_stops(trains, route_ids, station_ids, report, progress) -> None:
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
