"""The importers and search on the real third-party data (settings.TTMS_DATA_DIR).

Each data set is imported once per module into the test database, committed, and wiped
when the module ends, so no other test sees it. Skipped, saying why, without the data.
"""

import csv
import gzip
import io
import json
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.db import connection

from fleet.importers.gtfs import import_gtfs
from fleet.importers.railways import import_railways
from fleet.models import (
    Coach,
    Company,
    CompanyMembership,
    Route,
    RouteException,
    RouteStop,
    Seat,
    Station,
    StationAlias,
    Trip,
    TripEvent,
    Vehicle,
)
from fleet.services import trips_generate

pytestmark = [pytest.mark.fulldata, pytest.mark.django_db]

TRAVEL_DATE = date(2030, 1, 9)  # a Wednesday: some trains do not leave their origin that day
WIPE_ORDER = [
    Trip.drivers.through,
    TripEvent,
    Trip,
    RouteException,
    RouteStop,
    Route,
    Seat,
    Coach,
    Vehicle,
    StationAlias,
    Station,
    CompanyMembership,
    Company,
]


def _require_data(*parts):
    path = settings.TTMS_DATA_DIR.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"the real data is absent ({path}); set TTMS_DATA_DIR")
    return path


def _wipe():
    # Raw deletes: the ORM would collect hundreds of thousands of rows to cascade.
    with connection.cursor() as cursor:
        for model in WIPE_ORDER:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")


@pytest.fixture(scope="module")
def railways(django_db_setup, django_db_blocker):
    directory = _require_data("indian-railways")
    with django_db_blocker.unblock():
        try:
            first = import_railways(directory=directory)
            second = import_railways(directory=directory)
            # Trains run up to five days: the trips that call on TRAVEL_DATE left by then.
            trips_generate(
                start=TRAVEL_DATE - timedelta(days=7), end=TRAVEL_DATE + timedelta(days=1)
            )
            yield directory, first, second
        finally:
            _wipe()


def test_railway_import_counts_match_the_data_readme(railways):
    _, first, _ = railways

    assert {
        k: first.read[k]
        for k in (
            "timetable trains",
            "timetable stop rows",
            "timetable station codes",
            "timetable station codes found in datameet",
            "datameet stations",
            "datameet stations with coordinates",
            "datameet trains",
            "bhanuteella trains",
        )
    } == {
        "timetable trains": 11_112,
        "timetable stop rows": 186_119,
        "timetable station codes": 8_148,
        "timetable station codes found in datameet": 7_680,
        "datameet stations": 8_990,
        "datameet stations with coordinates": 8_697,
        "datameet trains": 5_208,
        "bhanuteella trains": 2_858,
    }
    assert (Route.objects.count(), RouteStop.objects.count()) == (11_112, 186_119)
    # Every real datameet code (placeholders XX-/YY- aside) and every timetable code.
    assert Station.objects.count() == 8_990 - 23 + (8_148 - 7_680)
    assert Station.objects.filter(latitude__isnull=False).count() == 8_697


def test_railway_second_run_creates_nothing(railways):
    _, _, second = railways

    assert (second.created, second.changed) == (0, 0)
    assert second["route stops"].unchanged == 186_119


def _timetable(directory):
    with gzip.open(
        directory / "datagovin" / "Train_details_22122017.csv.gz", "rt", newline=""
    ) as f:
        rows = list(csv.reader(io.StringIO(f.read())))[1:]
    trains: dict[str, list] = {}
    for row in rows:
        trains.setdefault(row[0].strip().zfill(5), []).append(row)
    days = {}
    with open(directory / "bhanuteella" / "trains_dict.json") as f:
        for number, train in json.load(f).items():
            runs = [train["Runs_on"][d] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
            if any(runs):
                days[number.zfill(5)] = runs
    return trains, days


def _expected(directory, origin, destination, day):
    """Trains calling at `origin` then `destination` that leave `origin` on `day`, read
    straight from the files (written apart from the importer, to check it)."""
    trains, days = _timetable(directory)
    found = set()
    for number, rows in trains.items():
        rows.sort(key=lambda r: int(r[2]))
        codes = [r[3].strip() for r in rows]
        if origin not in codes[:-1]:
            continue
        i = codes.index(origin)
        if destination not in codes[i + 1 :]:
            continue
        clock, elapsed_days, previous = None, 0, None
        for k, row in enumerate(rows[: i + 1]):
            for column in (5, 6):
                if (k == 0 and column == 5) or (k == len(rows) - 1 and column == 6):
                    continue
                h, m, _ = (int(x) for x in row[column].split(":"))
                clock = h * 60 + m
                if previous is not None and clock < previous:
                    elapsed_days += 1
                previous = clock
        left_origin = day - timedelta(days=elapsed_days)
        runs = days.get(number, [1] * 7)
        if runs[left_origin.weekday()]:
            found.add(number)
    return found


@pytest.mark.parametrize(("origin", "destination"), [("NDLS", "HWH"), ("CNB", "ALD")])
def test_search_lists_exactly_the_trains_the_timetable_says(
    api_client, railways, origin, destination
):
    directory, _, _ = railways

    response = api_client.get(
        "/api/v1/trips/search/",
        {"from": origin, "to": destination, "date": TRAVEL_DATE.isoformat()},
    )

    numbers = [trip["number"] for trip in response.json()["results"]]
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == _expected(directory, origin, destination, TRAVEL_DATE)
    assert all(
        trip["departure"].startswith(TRAVEL_DATE.isoformat()) for trip in response.json()["results"]
    )


FEEDS = [
    # folder or zip, slug, README counts (stops, routes, trips, stop_times), route stops
    ("sample-feed-1", "demo-transit", (9, 5, 11, 28), 28),
    ("usf-bullrunner/bullrunner-gtfs.zip", "usf-bullrunner", (125, 6, 15, 473), 473),
    ("caltrain-511-2023/caltrain-gtfs.zip", "caltrain", (109, 9, 176, 3_498), 3_498),
    # One trip of the Nairobi feed lists the same stop twice in a row: one call.
    (
        "nairobi-digital-matatus-2019/GTFS_FEED_2019.zip",
        "nairobi-matatus",
        (4_284, 136, 272, 7_533),
        7_532,
    ),
]


@pytest.fixture(scope="module")
def feeds(django_db_setup, django_db_blocker):
    root = _require_data("gtfs")
    with django_db_blocker.unblock():
        try:
            reports = {
                slug: (
                    import_gtfs(feed=root / path, company_slug=slug),
                    import_gtfs(feed=root / path, company_slug=slug),
                )
                for path, slug, _, _ in FEEDS
            }
            yield reports
        finally:
            _wipe()


@pytest.mark.parametrize(
    ("path", "slug", "counts", "route_stops"), FEEDS, ids=[f[1] for f in FEEDS]
)
def test_gtfs_feed_imports_with_the_readme_counts(feeds, path, slug, counts, route_stops):
    first, second = feeds[slug]

    assert tuple(first.read[k] for k in ("stops", "routes", "trips", "stop_times")) == counts
    assert Route.objects.filter(company__slug=slug).count() == counts[2]
    assert RouteStop.objects.filter(route__company__slug=slug).count() == route_stops
    assert (second.created, second.changed) == (0, 0)


def test_sample_feed_trips_appear_in_search(api_client, feeds):
    trips_generate(
        start=date(2008, 1, 6),
        end=date(2008, 1, 7),
        routes=Route.objects.filter(company__slug="demo-transit"),
    )

    response = api_client.get(
        "/api/v1/trips/search/",
        {
            "from": "DEMO-TRANSIT:STAGECOACH",
            "to": "DEMO-TRANSIT:BEATTY_AIRPORT",
            "date": "2008-01-07",
        },
    )

    # The STBA shuttle every 30 minutes from 06:00 to 21:30, 20 minutes each way.
    results = response.json()["results"]
    assert [(t["number"], t["departure"][11:16]) for t in results] == [
        ("30", f"{6 + i // 2:02d}:{30 * (i % 2):02d}") for i in range(32)
    ]
    assert {t["duration_minutes"] for t in results} == {20}


def test_each_feeds_operator_sells_in_its_countrys_currency(feeds):
    # sample-feed-1 has fares in USD; the others name none: their time zone's country.
    assert dict(
        Company.objects.filter(slug__in=[f[1] for f in FEEDS]).values_list("slug", "currency")
    ) == {
        "demo-transit": "USD",
        "usf-bullrunner": "USD",
        "caltrain": "USD",
        "nairobi-matatus": "KES",
    }
