"""Reading a GTFS feed (`fleet.importers.gtfs`): its files, times and dates, its services,
and the routes, stops and exceptions planned from its trips, before anything is written."""

import csv
import io
import itertools
import math
import zipfile
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ..models import RouteException, format_departure_times
from .base import ImportFailed

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# route_type values that are trains (GTFS basic types and the extended 1xx rail family).
RAIL_ROUTE_TYPES = {"1", "2", "12"} | {str(n) for n in range(100, 118)}
MAX_START_MINUTES = 48 * 60


class Feed:
    """The text files of a feed, from a folder or a zip."""

    def __init__(self, path: Path, stack: ExitStack):
        self.path = path
        if path.is_dir():
            self._names = {p.name: p for p in path.iterdir() if p.suffix == ".txt"}
            self._zip = None
        elif zipfile.is_zipfile(path):
            self._zip = stack.enter_context(zipfile.ZipFile(path))
            members = [n for n in self._zip.namelist() if n.endswith(".txt")]
            self._names = {n.rsplit("/", 1)[-1]: n for n in members}
        else:
            raise ImportFailed(f"{path} is neither a GTFS folder nor a zip file.")

    def has(self, name: str) -> bool:
        return name in self._names

    def rows(self, name: str, *, required: bool = True) -> list[dict[str, str]]:
        if not self.has(name):
            if required:
                raise ImportFailed(f"{self.path}: {name} is missing.")
            return []
        if self._zip is None:
            raw = open(self._names[name], "rb")  # noqa: SIM115
        else:
            raw = self._zip.open(self._names[name])
        with io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            return [
                dict(zip(header, (v.strip() for v in row), strict=False))
                for row in reader
                if any(v.strip() for v in row)
            ]


def gtfs_seconds(value: str) -> int | None:
    """'6:00:20' or '25:10:00' -> seconds after the service day's noon-minus-12h; '' -> None."""
    if not value:
        return None
    parts = value.split(":")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a GTFS time: {value!r}")
    hours, minutes, seconds = (int(p) for p in parts)
    return hours * 3600 + minutes * 60 + seconds


def gtfs_date(value: str) -> date:
    return datetime.strptime(value, "%Y%m%d").date()


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass
class _Service:
    running_days: int
    valid_from: date | None
    valid_to: date | None


def _interpolate(times: list[int | None]) -> list[int] | None:
    """Fill the gaps between known times linearly by stop count; None if an end is unknown."""
    if times[0] is None or times[-1] is None:
        return None
    known = [i for i, t in enumerate(times) if t is not None]
    filled = list(times)
    for left, right in itertools.pairwise(known):
        for i in range(left + 1, right):
            filled[i] = times[left] + (times[right] - times[left]) * (i - left) // (right - left)
    return filled


def read_services(calendar, calendar_dates) -> dict[str, _Service]:
    services = {}
    for row in calendar:
        mask = sum(1 << i for i, day in enumerate(WEEKDAYS) if row.get(day) == "1")
        services[row["service_id"]] = _Service(
            mask, gtfs_date(row["start_date"]), gtfs_date(row["end_date"])
        )
    for row in calendar_dates:
        # A service defined only by dates runs on no weekday; its added dates carry it.
        services.setdefault(row["service_id"], _Service(0, None, None))
    return services


def plan_routes(
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
):
    counts = report["routes"]
    times_by_trip = defaultdict(list)
    for row in stop_times:
        times_by_trip[row["trip_id"]].append(row)
    starts_by_trip = defaultdict(list)
    for row in frequencies:
        starts_by_trip[row["trip_id"]].append(row)
    dates_by_service = defaultdict(dict)
    for row in calendar_dates:
        kind = (
            RouteException.Kind.ADDED
            if row["exception_type"] == "1"
            else RouteException.Kind.REMOVED
        )
        dates_by_service[row["service_id"]][gtfs_date(row["date"])] = kind

    route_rows, stop_rows, exception_rows = {}, {}, {}
    departures = merged_calls = 0
    for trip in trips:
        trip_id = trip["trip_id"]
        service = services.get(trip["service_id"])
        if service is None:
            counts.skip("service_id in neither calendar.txt nor calendar_dates.txt")
            continue
        if len(trip_id) > 100:
            counts.skip("trip_id longer than 100 characters")
            continue
        try:
            rows = sorted(times_by_trip.get(trip_id, ()), key=lambda r: int(r["stop_sequence"]))
            arrivals = [gtfs_seconds(r.get("arrival_time", "")) for r in rows]
            departures_ = [gtfs_seconds(r.get("departure_time", "")) for r in rows]
        except ValueError as exc:
            counts.skip(f"unreadable stop_times ({exc})")
            continue
        if any(r["stop_id"] not in station_of_stop for r in rows):
            counts.skip("calls at a stop that is not imported")
            continue
        # A stop with one time given uses it for both; gaps are interpolated.
        arrivals = [a if a is not None else d for a, d in zip(arrivals, departures_, strict=True)]
        departures_ = [
            d if d is not None else a for a, d in zip(arrivals, departures_, strict=True)
        ]
        arrivals, departures_ = _interpolate(arrivals), _interpolate(departures_)
        if not rows or arrivals is None or departures_ is None:
            counts.skip("no time at its first or last stop")
            continue
        # Consecutive stops at one station (two platforms of it) are one call.
        calls = []
        for row, arrival, departure in zip(rows, arrivals, departures_, strict=True):
            station_id = station_of_stop[row["stop_id"]]
            if calls and calls[-1][0] == station_id:
                calls[-1][2] = departure
                merged_calls += 1
            else:
                calls.append([station_id, arrival, departure])
        if len(calls) < 2:
            counts.skip("fewer than two stations")
            continue
        first = calls[0][2]
        offsets = [((a - first) // 60, (d - first) // 60) for _, a, d in calls]
        if any(b < a for a, b in offsets) or any(
            offsets[i + 1][0] < offsets[i][1] for i in range(len(offsets) - 1)
        ):
            counts.skip("times go backwards")
            continue

        if trip_id in starts_by_trip:
            starts = set()
            for f in starts_by_trip[trip_id]:
                begin, end = gtfs_seconds(f["start_time"]), gtfs_seconds(f["end_time"])
                headway = int(f["headway_secs"])
                if headway > 0:
                    starts.update(s // 60 for s in range(begin, end, headway))
        else:
            starts = {first // 60}
        starts = {s for s in starts if s < MAX_START_MINUTES}
        if not starts:
            counts.skip("starts 48 hours or more after its service day began")
            continue
        departures += len(starts)

        gtfs_route = gtfs_routes.get(trip["route_id"], {})
        number = (
            trip.get("trip_short_name") or gtfs_route.get("route_short_name") or trip["route_id"]
        )[:20]
        name = gtfs_route.get("route_long_name") or gtfs_route.get("route_short_name") or number
        if trip.get("trip_headsign"):
            name = f"{name} – {trip['trip_headsign']}"
        route_rows[trip_id] = {
            "company": company,
            "code": trip_id,
            "number": number,
            "name": name[:200],
            "departure_times": format_departure_times(sorted(starts)),
            "running_days": service.running_days,
            "valid_from": service.valid_from,
            "valid_to": service.valid_to,
        }
        km, previous = 0.0, None
        stops = []
        for sequence, ((station_id, _, _), (arr, dep)) in enumerate(
            zip(calls, offsets, strict=True), start=1
        ):
            here = coordinates.get(station_id)
            if previous and here:
                km += haversine_km(previous, here)
            previous = here or previous
            stops.append(
                {
                    "sequence": sequence,
                    "station_id": station_id,
                    "distance_km": Decimal(f"{km:.1f}"),
                    "arrival_offset": None if sequence == 1 else arr,
                    "departure_offset": None if sequence == len(calls) else dep,
                }
            )
        stop_rows[trip_id] = stops
        exception_rows[trip_id] = dates_by_service.get(trip["service_id"], {})
    report.read["departures per service day (frequencies expanded)"] = departures
    if merged_calls:
        report.notes.append(
            f"{merged_calls:,} consecutive stop_times at one station merged into one call."
        )
    return route_rows, stop_rows, exception_rows
