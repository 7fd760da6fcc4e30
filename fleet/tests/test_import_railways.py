import gzip
import shutil
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fleet.importers.base import ImportFailed
from fleet.importers.railways import import_railways
from fleet.importers.railways_read import stop_offsets
from fleet.models import (
    Coach,
    Company,
    Route,
    RouteStop,
    Seat,
    Station,
    StationAlias,
    Vehicle,
    Weekday,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rail_dir(fixtures_dir):
    return fixtures_dir / "railways"


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (Company, Station, StationAlias, Route, RouteStop, Vehicle, Coach, Seat)
    }


def _stops(number):
    return list(
        RouteStop.objects.filter(route__code=number)
        .order_by("sequence")
        .values_list("station__code", "distance_km", "arrival_offset", "departure_offset")
    )


def test_import_reports_what_it_read_and_created(rail_dir):
    report = import_railways(directory=rail_dir)

    assert report.read == {
        "datameet stations": 9,
        "datameet stations with coordinates": 7,
        "datameet trains": 4,
        "timetable stop rows": 13,
        "timetable trains": 4,
        "timetable station codes": 9,
        "bhanuteella trains": 1,
        "timetable station codes found in datameet": 8,
        "timetable station codes with datameet coordinates": 7,
    }
    summary = {
        name: (c.created, c.updated, c.unchanged, dict(c.skipped))
        for name, c in report.entities.items()
    }
    assert summary == {
        "companies": (1, 0, 0, {}),
        "stations": (9, 0, 0, {"datameet placeholder code (XX-/YY-)": 1}),
        "station aliases": (1, 0, 0, {}),
        "vehicles": (
            2,
            0,
            0,
            {
                "train not in datameet trains.json (no class information)": 1,
                "no reserved class in datameet (unreserved service)": 1,
                "datameet train not in the timetable": 1,
            },
        ),
        "coaches": (4, 0, 0, {}),
        "seats": (216, 0, 0, {}),
        "routes": (4, 0, 0, {}),
        "route stops": (13, 0, 0, {}),
    }
    assert _counts() == {
        "Company": 1,
        "Station": 9,
        "StationAlias": 1,
        "Route": 4,
        "RouteStop": 13,
        "Vehicle": 2,
        "Coach": 4,
        "Seat": 216,
    }


def test_timetable_quirks_are_handled(rail_dir):
    import_railways(directory=rail_dir)

    # 107 lost its leading zeros; datameet names the train; 00:00:00 ends are "none".
    route = Route.objects.get(code="00107")
    assert (route.number, route.name, route.departure_times) == (
        "00107",
        "Sawantwadi Madgaon Passenger",
        "10:25",
    )
    assert _stops("00107") == [
        ("SWV", Decimal("0"), None, 0),
        ("THVM", Decimal("32"), 41, 43),
        ("MAO", Decimal("78"), 105, None),
    ]
    # Midnight roll-over, including a real 00:00 departure from an intermediate stop.
    assert _stops("12302") == [
        ("NDLS", Decimal("0"), None, 0),
        ("CNB", Decimal("440"), 280, 285),
        ("ALD", Decimal("634"), 423, 425),
        ("MGS", Decimal("787"), 545, 555),
        ("HWH", Decimal("1451"), 1020, None),
    ]
    # A last stop reached at midnight keeps its 00:00 arrival; stray spaces are dropped.
    late = Route.objects.get(code="04001")
    assert (late.name, late.departure_times) == ("LATE LOCAL", "23:40")
    assert _stops("04001")[-1] == ("ALD", Decimal("20"), 20, None)


def test_running_days_come_from_bhanuteella_else_daily(rail_dir):
    import_railways(directory=rail_dir)

    days = dict(Route.objects.values_list("code", "running_days"))
    assert days == {"00107": 127, "12302": 127 & ~Weekday.WEDNESDAY, "04001": 127, "12001": 127}


def test_stations_get_coordinates_aliases_and_timetable_names(rail_dir):
    import_railways(directory=rail_dir)

    stations = {s.code: s for s in Station.objects.all()}
    assert (stations["NDLS"].latitude, stations["NDLS"].longitude) == (28.6429, 77.2191)
    assert (stations["NOGEO"].latitude, stations["MGS"].latitude) == (None, None)
    assert stations["MGS"].name == "Mughal Sarai"
    assert {s.time_zone for s in stations.values()} == {"Asia/Kolkata"}
    assert {s.company_id for s in stations.values()} == {None}
    assert list(StationAlias.objects.values_list("station__code", "name")) == [
        ("MAO", "MADGOAN JN.")
    ]


def test_rakes_get_a_coach_per_datameet_class_flag(rail_dir):
    import_railways(directory=rail_dir)

    coaches = list(
        Coach.objects.order_by("vehicle__code", "position").values_list(
            "vehicle__code", "code", "travel_class__code"
        )
    )
    assert coaches == [
        ("RAKE-00107", "S1", "SL"),
        ("RAKE-12302", "H1", "1A"),
        ("RAKE-12302", "A1", "2A"),
        ("RAKE-12302", "B1", "3A"),
    ]
    assert Route.objects.get(code="12302").default_vehicle.code == "RAKE-12302"
    assert Route.objects.get(code="04001").default_vehicle is None


def test_second_run_creates_nothing(rail_dir):
    import_railways(directory=rail_dir)
    before = _counts()

    report = import_railways(directory=rail_dir)

    assert (report.created, report.changed) == (0, 0)
    assert report["route stops"].unchanged == 13
    assert _counts() == before


def test_changed_timetable_updates_and_removes_stops(rail_dir, tmp_path):
    import_railways(directory=rail_dir)
    changed = tmp_path / "railways"
    shutil.copytree(rail_dir, changed)
    timetable = changed / "datagovin" / "Train_details_test.csv"
    lines = timetable.read_text().splitlines()
    lines = [
        line.replace("11:06:00,11:08:00", "11:10:00,11:12:00")
        for line in lines
        if not line.startswith("4001,LATE  LOCAL,2,")
    ]
    timetable.write_text("\r\n".join(lines) + "\r\n")

    report = import_railways(directory=changed)

    assert (report["route stops"].updated, report["route stops"].deleted) == (2, 1)
    assert _stops("00107")[1] == ("THVM", Decimal("32"), 45, 47)
    assert [s[0] for s in _stops("04001")] == ["HWH", "ALD"]


def test_gzipped_sources_read_like_plain_ones(rail_dir, tmp_path):
    zipped = tmp_path / "railways"
    shutil.copytree(rail_dir, zipped)
    for path in [
        zipped / "datameet" / "stations.json",
        zipped / "datagovin" / "Train_details_test.csv",
    ]:
        with path.open("rb") as src, gzip.open(f"{path}.gz", "wb") as dst:
            dst.write(src.read())
        path.unlink()

    report = import_railways(directory=zipped)

    assert (report["stations"].created, report["route stops"].created) == (9, 13)


def test_missing_timetable_writes_nothing(rail_dir, tmp_path):
    broken = tmp_path / "railways"
    shutil.copytree(rail_dir, broken)
    (broken / "datagovin" / "Train_details_test.csv").unlink()

    with pytest.raises(ImportFailed):
        import_railways(directory=broken)

    assert _counts() == {name: 0 for name in _counts()}


def test_command_prints_the_report(rail_dir):
    out = StringIO()

    call_command("import_railways", str(rail_dir), stdout=out, verbosity=1)

    text = out.getvalue()
    assert "  route stops: 13 created, 0 updated, 0 unchanged" in text
    assert "      skipped 1: datameet placeholder code (XX-/YY-)" in text


def test_command_refuses_a_missing_directory(tmp_path):
    with pytest.raises(CommandError):
        call_command("import_railways", str(tmp_path / "nowhere"), verbosity=0)


def test_offsets_roll_over_every_midnight():
    departure, offsets = stop_offsets(
        [(None, "23:00:00"), ("23:30:00", "00:10:00"), ("22:00:00", "22:05:00"), ("01:00:00", None)]
    )

    assert departure == 23 * 60
    assert offsets == [(None, 0), (30, 70), (1380, 1385), (1560, None)]
