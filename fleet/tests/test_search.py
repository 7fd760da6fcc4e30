"""trip_search and GET /api/v1/trips/search/: the journey date is the boarding date."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from fleet.models import Trip, TripStatus
from fleet.selectors import trip_search
from fleet.services import trips_generate

from .factories import CompanyFactory, StationFactory, VehicleFactory, make_route

pytestmark = pytest.mark.django_db

MONDAY = date(2030, 1, 7)
SUNDAY = MONDAY - timedelta(days=1)
URL = "/api/v1/trips/search/"


@pytest.fixture
def rail():
    """A-B-C-D: R1 leaves A at 22:00 (B 23:30, C 01:00 next day, D 03:00); R2 runs back
    D-C-B-A at 10:00. Trips generated for Sunday to Wednesday."""
    company = CompanyFactory(slug="rail", name="Rail", kind="rail", time_zone="Asia/Kolkata")
    a, b, c, d = (
        StationFactory(code=code, name=name)
        for code, name in [("AAA", "Alpha"), ("BBB", "Bravo"), ("CCC", "Charlie"), ("DDD", "Delta")]
    )
    rake = VehicleFactory(company=company, code="RAKE-1", kind="train", classes=("SL", "3A", "1A"))
    r1 = make_route(
        company,
        [(a, 0, None, 0), (b, 120, 90, 95), (c, 250, 180, 185), (d, 400, 300, None)],
        code="12001",
        number="12001",
        name="Night Mail",
        departure_times="22:00",
        default_vehicle=rake,
    )
    r2 = make_route(
        company,
        [(d, 0, None, 0), (c, 150, 60, 62), (b, 280, 150, 152), (a, 400, 240, None)],
        code="12002",
        number="12002",
        name="Day Express",
        departure_times="10:00",
    )
    trips_generate(start=SUNDAY, end=MONDAY + timedelta(days=2))
    return {"stations": (a, b, c, d), "r1": r1, "r2": r2}


def _found(origin, destination, day):
    return [
        (o.trip.route.number, o.trip.service_date)
        for o in trip_search(origin=origin, destination=destination, travel_date=day)
    ]


def test_intermediate_pair_in_order_finds_the_trip_leaving_that_day(rail):
    a, _, c, _ = rail["stations"]

    options = trip_search(origin=a, destination=c, travel_date=MONDAY)

    assert [(o.trip.route.number, o.trip.service_date) for o in options] == [("12001", MONDAY)]
    option = options[0]
    assert option.local_departure.isoformat() == "2030-01-07T22:00:00+05:30"
    assert option.local_arrival.isoformat() == "2030-01-08T01:00:00+05:30"
    assert option.distance_km == Decimal("250")
    assert option.duration == timedelta(hours=3)
    assert option.classes == ["1A", "3A", "SL"]


def test_train_that_left_its_origin_the_day_before_counts_on_the_boarding_date(rail):
    _, b, c, d = rail["stations"]

    # The 22:00 of Sunday calls at Charlie at 01:00 on Monday.
    assert _found(c, d, MONDAY) == [("12001", SUNDAY)]
    # Bravo at 23:30 is still the day the train left.
    assert _found(b, d, MONDAY) == [("12001", MONDAY)]


def test_stations_in_the_wrong_order_find_only_trains_running_that_way(rail):
    a, _, c, d = rail["stations"]

    assert _found(c, a, MONDAY) == [("12002", MONDAY)]
    assert _found(d, a, MONDAY) == [("12002", MONDAY)]


def test_same_station_or_no_common_route_finds_nothing(rail):
    a, *_ = rail["stations"]
    elsewhere = StationFactory(code="ZZZ")

    assert _found(a, a, MONDAY) == []
    assert _found(a, elsewhere, MONDAY) == []


def test_cancelled_trips_are_left_out(rail):
    a, _, _, d = rail["stations"]
    Trip.objects.filter(route=rail["r1"], service_date=MONDAY).update(status=TripStatus.CANCELLED)

    assert _found(a, d, MONDAY) == []


def test_boarding_date_is_local_to_the_origin_station(db):
    company = CompanyFactory(slug="kivu", time_zone="Africa/Kigali")
    x = StationFactory(code="KGL", time_zone="Africa/Kigali")
    y = StationFactory(code="HUY", time_zone="Africa/Kigali")
    make_route(company, [(x, 0, None, 0), (y, 135, 170, None)], departure_times="00:30 23:30")
    trips_generate(start=MONDAY, end=MONDAY + timedelta(days=1))

    options = trip_search(origin=x, destination=y, travel_date=MONDAY)

    # 23:30 in Kigali is 21:30 UTC: still Monday there; 00:30 Tuesday is 22:30 UTC Monday.
    assert [o.local_departure.isoformat() for o in options] == [
        "2030-01-07T00:30:00+02:00",
        "2030-01-07T23:30:00+02:00",
    ]


def test_search_api_lists_trips_with_local_times(api_client, rail):
    trip = Trip.objects.get(route=rail["r1"], service_date=SUNDAY)

    response = api_client.get(URL, {"from": "ccc", "to": "DDD", "date": "2030-01-07"})

    assert response.status_code == 200
    body = response.json()
    assert (body["date"], body["from"]["code"], body["to"]["code"], body["count"]) == (
        "2030-01-07",
        "CCC",
        "DDD",
        1,
    )
    # Seat availability per class comes from the booking app (booking/tests/test_api.py).
    availability = body["results"][0].pop("availability")
    assert [a["class"] for a in availability] == ["1A", "3A", "SL"]
    assert body["results"] == [
        {
            "id": trip.pk,
            "number": "12001",
            "name": "Night Mail",
            "company": {"slug": "rail", "name": "Rail"},
            "kind": "rail",
            "currency": "INR",
            "rules": {
                "quotas": ["GENERAL", "LADIES", "SENIOR", "TATKAL", "FOREIGN_TOURIST"],
                "rac": True,
                "waitlist": True,
                "max_passengers": 6,
            },
            "service_date": "2030-01-06",
            "status": "scheduled",
            "departure": "2030-01-07T01:05:00+05:30",
            "arrival": "2030-01-07T03:00:00+05:30",
            "duration_minutes": 115,
            "distance_km": "150.0",
            "classes": ["1A", "3A", "SL"],
            "vehicle": "RAKE-1",
            "bookable": True,
            "not_bookable_reason": None,
        }
    ]


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        (
            {"from": "AAA", "to": "NOPE", "date": "2030-01-07"},
            {"to": ["No station has the code 'NOPE'."]},
        ),
        (
            {"from": "AAA", "to": "aaa", "date": "2030-01-07"},
            {"to": ["Choose a destination other than the origin."]},
        ),
        (
            {"from": "AAA", "to": "DDD", "date": "07/01/2030"},
            {"date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        ({"to": "DDD"}, {"from": ["This field is required."], "date": ["This field is required."]}),
    ],
)
def test_search_api_explains_bad_queries(api_client, rail, params, fields):
    response = api_client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields
