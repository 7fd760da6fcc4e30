import shutil
import zipfile
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fleet.importers.base import ImportFailed
from fleet.importers.gtfs import feed_currency, import_gtfs
from fleet.importers.gtfs_read import haversine_km
from fleet.models import Company, Route, RouteException, RouteStop, Station
from fleet.selectors import station_get_by_code, trip_search
from fleet.services import trips_generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(fixtures_dir):
    return fixtures_dir / "gtfs" / "mini"


def _import(feed, **kwargs):
    return import_gtfs(feed=feed, company_slug="kivu-belt", code_prefix="KVB", **kwargs)


def _stops(code):
    return list(
        RouteStop.objects.filter(route__code=code)
        .order_by("sequence")
        .values_list("station__code", "arrival_offset", "departure_offset")
    )


def _counts():
    return [m.objects.count() for m in (Company, Station, Route, RouteStop, RouteException)]


def test_feed_import_reports_what_it_read_and_created(feed):
    report = _import(feed)

    assert report.read == {
        "agency": 1,
        "stops": 6,
        "routes": 2,
        "trips": 4,
        "stop_times": 11,
        "calendar": 3,
        "calendar_dates": 3,
        "frequencies": 1,
        "departures per service day (frequencies expanded)": 5,
    }
    summary = {
        name: (c.created, c.updated, c.unchanged, dict(c.skipped))
        for name, c in report.entities.items()
    }
    assert summary == {
        "companies": (1, 0, 0, {}),
        "stations": (4, 0, 0, {"entrance, generic node or boarding area (location_type 2-4)": 1}),
        "routes": (4, 0, 0, {}),
        "route stops": (11, 0, 0, {}),
        "route exceptions": (4, 0, 0, {}),
    }
    assert report.notes == ["1 platforms merged into their parent station."]


def test_company_comes_from_the_agency(feed):
    _import(feed)

    company = Company.objects.get(slug="kivu-belt")
    assert (company.name, company.kind, company.time_zone, company.currency) == (
        "Kivu Belt Bus",
        "bus",
        "Africa/Kigali",
        "RWF",
    )


def test_a_new_operator_sells_in_the_currency_given_else_the_feeds_fares(feed, tmp_path):
    _import(feed, currency="UGX")
    assert Company.objects.get(slug="kivu-belt").currency == "UGX"

    priced = tmp_path / "priced"
    shutil.copytree(feed, priced)
    (priced / "fare_attributes.txt").write_text(
        "fare_id,price,currency_type,payment_method,transfers\nF1,1500,bif,0,0\n"
    )
    import_gtfs(feed=priced, company_slug="priced", code_prefix="PRC")
    assert Company.objects.get(slug="priced").currency == "BIF"


@pytest.mark.parametrize(
    ("fares", "time_zone", "currency"),
    [
        ([], "Africa/Nairobi", "KES"),
        ([], "Asia/Kolkata", "INR"),
        ([], "Etc/UTC", "INR"),  # no country: TTMS_CURRENCY
        ([{"currency_type": "USD"}, {"currency_type": "EUR"}], "Africa/Kigali", "RWF"),
    ],
)
def test_a_feeds_currency_falls_back_to_its_time_zones_country(fares, time_zone, currency):
    assert feed_currency(fares, time_zone) == currency


def test_an_unknown_currency_is_refused_and_nothing_is_written(feed):
    with pytest.raises(ImportFailed, match="'XYZ' is not an ISO 4217 currency code"):
        _import(feed, currency="XYZ")
    assert not Company.objects.exists()


def test_platforms_map_to_their_station_and_missing_times_are_interpolated(feed):
    _import(feed)

    assert _stops("S1") == [("KVB:KGL", None, 0), ("KVB:MUH", 60, 60), ("KVB:HUY", 120, None)]
    kgl, muh = station_get_by_code("KVB:KGL"), station_get_by_code("KVB:MUH")
    assert RouteStop.objects.get(route__code="S1", sequence=2).distance_km == Decimal(
        f"{haversine_km((kgl.latitude, kgl.longitude), (muh.latitude, muh.longitude)):.1f}"
    )


def test_frequencies_become_departure_times_and_late_trips_keep_hours_past_24(feed):
    _import(feed)

    routes = {r.code: r for r in Route.objects.all()}
    assert {code: r.departure_times for code, r in routes.items()} == {
        "S1": "07:00",
        "S2": "10:00 11:00",
        "W1": "06:30",
        "SN": "23:50",
    }
    assert _stops("S2") == [("KVB:KGL", None, 0), ("KVB:MUH", 65, 75), ("KVB:HUY", 160, None)]
    assert _stops("SN") == [("KVB:KGL", None, 0), ("KVB:MUH", 70, 70), ("KVB:HUY", 140, None)]
    assert (routes["W1"].number, routes["S1"].number) == ("X9", "201")
    assert routes["S1"].name == "Kigali - Huye – Huye"


def test_calendar_gives_running_days_validity_and_exceptions(feed):
    _import(feed)

    s1 = Route.objects.get(code="S1")
    assert (s1.running_days, s1.valid_from, s1.valid_to) == (
        31,
        date(2030, 1, 1),
        date(2030, 12, 31),
    )
    assert list(s1.exceptions.values_list("date", "kind")) == [
        (date(2030, 1, 7), "removed"),
        (date(2030, 1, 12), "added"),
    ]


def test_imported_trips_appear_in_search(feed):
    _import(feed)
    trips_generate(start=date(2030, 1, 5), end=date(2030, 1, 13))
    kgl, muh, huy = (station_get_by_code(f"KVB:{c}") for c in ("KGL", "MUH", "HUY"))

    def times(origin, destination, day):
        return [
            (o.trip.route.code, o.local_departure.strftime("%d %H:%M"))
            for o in trip_search(origin=origin, destination=destination, travel_date=day)
        ]

    # Tuesday: the weekday trips, the frequency-based one twice.
    assert times(kgl, huy, date(2030, 1, 8)) == [
        ("S1", "08 07:00"),
        ("S2", "08 10:00"),
        ("S2", "08 11:00"),
    ]
    # Monday 7 January is removed from the weekday service.
    assert times(kgl, huy, date(2030, 1, 7)) == []
    # Saturday 12 January is added; the weekend night bus leaves at 23:50...
    assert times(kgl, huy, date(2030, 1, 12)) == [
        ("S1", "12 07:00"),
        ("S2", "12 10:00"),
        ("S2", "12 11:00"),
        ("SN", "12 23:50"),
    ]
    # ...and calls at Muhanga at 01:00 on Sunday: it counts on Sunday there.
    assert times(muh, huy, date(2030, 1, 13)) == [("SN", "13 01:00")]


def test_second_run_creates_nothing(feed):
    _import(feed)
    before = _counts()

    report = _import(feed)

    assert report.changed == 0
    assert _counts() == before


def test_zipped_feed_with_a_subfolder_imports_the_same(feed, tmp_path):
    archive = tmp_path / "feed.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in feed.iterdir():
            z.write(path, f"gtfs/{path.name}")

    report = _import(archive)

    assert (report["routes"].created, report["route stops"].created) == (4, 11)


def test_feed_without_stop_times_writes_nothing(feed, tmp_path):
    broken = tmp_path / "feed"
    shutil.copytree(feed, broken)
    (broken / "stop_times.txt").unlink()

    with pytest.raises(ImportFailed) as exc:
        _import(broken)

    assert str(exc.value).endswith("stop_times.txt is missing.")
    assert _counts() == [0, 0, 0, 0, 0]


def test_command_imports_and_reports(feed):
    out = StringIO()

    call_command("import_gtfs", str(feed), "--company", "kivu-belt", stdout=out, verbosity=1)

    assert "  routes: 4 created, 0 updated, 0 unchanged" in out.getvalue()
    assert Station.objects.filter(code="KIVU-BELT:KGL").exists()


def test_command_refuses_what_is_not_a_feed(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")

    with pytest.raises(CommandError):
        call_command("import_gtfs", str(tmp_path / "notes.txt"), "--company", "x", verbosity=0)
