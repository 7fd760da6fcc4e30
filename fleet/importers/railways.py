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

from collections import defaultdict
from pathlib import Path

from django.db import transaction

from ..models import Company
from .base import ImportFailed, ImportReport, ProgressFactory, no_progress
from .railways_read import (
    CLASS_FLAGS,
    TIME_ZONE,
    read_json,
    read_running_days,
    read_timetable,
    train_number,
)
from .railways_write import import_routes, import_stations, import_stops, import_vehicles


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
    stations_geo = read_json(directory / "datameet" / "stations.json")["features"]
    trains_meta = {
        train_number(f["properties"]["number"]): f["properties"]
        for f in read_json(directory / "datameet" / "trains.json")["features"]
    }
    report.read["datameet stations"] = len(stations_geo)
    report.read["datameet stations with coordinates"] = sum(
        1 for f in stations_geo if f.get("geometry")
    )
    report.read["datameet trains"] = len(trains_meta)
    trains = read_timetable(directory, report, names)
    running_days = read_running_days(directory, report)
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
        station_ids = import_stations(stations_geo, names, used_codes, report, progress)
        vehicle_ids = import_vehicles(
            company, trains, trains_meta, coaches_per_class, default_flags, report, progress
        )
        route_ids = import_routes(
            company, trains, trains_meta, running_days, vehicle_ids, report, progress
        )
        import_stops(trains, route_ids, station_ids, report, progress)
    return report
