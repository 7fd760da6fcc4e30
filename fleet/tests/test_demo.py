from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fleet.demo import demo_load
from fleet.models import (
    Company,
    CompanyMembership,
    Route,
    Station,
    Trip,
    Vehicle,
)
from fleet.selectors import station_get_by_code, trip_search
from ttms.accounts.demo import demo_load as accounts_demo_load

pytestmark = pytest.mark.django_db

MONDAY = date(2030, 1, 7)


@pytest.fixture
def loaded(settings):
    # Argon2 is slow on purpose; the demo accounts need no real hashing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(datetime(2030, 1, 7, 0, 5, tzinfo=ZoneInfo("UTC")), tick=False):
        accounts_demo_load(password="a-long-demo-pass")
        first = demo_load(password="a-long-demo-pass")
        second = demo_load(password="a-long-demo-pass")
    return first, second


def _counts():
    return [m.objects.count() for m in (Company, Station, Vehicle, Route, Trip, CompanyMembership)]


def test_demo_creates_two_operators_and_fourteen_days_of_trips(loaded):
    first, _ = loaded

    assert _counts() == [2, 27, 12, 10, 360, 7]
    assert "memberships given: 7" in first
    assert "trips for 2030-01-07..2030-01-20: 10 routes: 360 trips created, 0 already there" in (
        first
    )
    assert (
        Trip.objects.filter(route__company__slug="rwanda-intercity", drivers__isnull=True).count()
        == 0
    )


def test_demo_is_idempotent(loaded):
    _, second = loaded
    before = _counts()

    with time_machine.travel(datetime(2030, 1, 7, 0, 5, tzinfo=ZoneInfo("UTC")), tick=False):
        third = demo_load(password="a-long-demo-pass")

    assert _counts() == before
    assert (
        third
        == second
        == [
            "company indian-railways: exists",
            "company rwanda-intercity: exists",
            "rail stations: 0 created, 16 exist",
            "bus stations: 0 created, 11 exist",
            "vehicles: 0 created; routes: 0 created",
            "memberships given: 0",
            "trips for 2030-01-07..2030-01-20: 10 routes: 0 trips created, 360 already there",
            "bus trips given a driver: 0",
        ]
    )


def test_demo_bus_trips_are_found_between_intermediate_stops(loaded):
    kigali, musanze = station_get_by_code("RW-NYB"), station_get_by_code("RW-MUS")

    options = trip_search(origin=kigali, destination=musanze, travel_date=MONDAY)

    assert [o.local_departure.strftime("%H:%M") for o in options] == [
        "06:00",
        "08:00",
        "10:00",
        "12:00",
        "14:00",
        "16:00",
    ]
    assert {o.classes[0] for o in options} == {"STANDARD"}
    assert options[0].distance_km == 94


def test_demo_rail_corridor_answers_an_intermediate_pair(loaded):
    kanpur, allahabad = station_get_by_code("CNB"), station_get_by_code("ALD")

    options = trip_search(origin=kanpur, destination=allahabad, travel_date=MONDAY)

    assert [(o.trip.route.number, o.local_departure.strftime("%H:%M")) for o in options] == [
        ("12302", "21:40")
    ]
    # Allahabad is Prayagraj now: the alias finds it.
    assert station_get_by_code("ALD").aliases.filter(name="PRYJ").exists()
