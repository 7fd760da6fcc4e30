"""Reading the Indian Railways files (`fleet.importers.railways`): the timetable's trains and
stops, running days, class flags, and the quirks of each source."""

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..models import SeatLayout
from .base import ImportFailed, ImportReport, open_text

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


def read_json(path: Path):
    with open_text(path) as f:
        return json.load(f)


def read_timetable(
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


def read_running_days(directory: Path, report: ImportReport) -> dict[str, int]:
    path = directory / "bhanuteella" / "trains_dict.json"
    if not (path.is_file() or path.with_name(path.name + ".gz").is_file()):
        report.notes.append("bhanuteella/trains_dict.json absent: every train runs daily.")
        return {}
    data = read_json(path)
    report.read["bhanuteella trains"] = len(data)
    days = {}
    for number, train in data.items():
        runs = train.get("Runs_on") or {}
        mask = sum(1 << i for i, day in enumerate(WEEKDAYS) if runs.get(day))
        if mask:
            days[train_number(number)] = mask
    return days
