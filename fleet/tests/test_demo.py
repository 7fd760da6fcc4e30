from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from fleet.conflicts import assignment_conflicts_existing
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


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The demo loaded twice, once for the module, in a transaction rolled back after it
    (each test runs in a savepoint of it)."""
    with (
        django_db_blocker.unblock(),
        # Argon2 is slow on purpose; the demo accounts need no real hashing here.
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        with time_machine.travel(datetime(2030, 1, 7, 0, 5, tzinfo=ZoneInfo("UTC")), tick=False):
            accounts_demo_load(password="a-long-demo-pass")
            first = demo_load(password="a-long-demo-pass")
            second = demo_load(password="a-long-demo-pass")
        yield first, second
        transaction.set_rollback(True)


def _counts():
    return [m.objects.count() for m in (Company, Station, Vehicle, Route, Trip, CompanyMembership)]


def test_demo_creates_four_operators_in_their_currencies_and_fourteen_days_of_trips(loaded):
    first, _ = loaded

    assert _counts() == [4, 36, 29, 20, 976, 24]
    assert dict(Company.objects.values_list("slug", "currency")) == {
        "indian-railways": "INR",
        "rwanda-intercity": "RWF",
        "virunga-express": "RWF",
        "nairobi-metro-shuttle": "KES",
    }
    assert "staff memberships given: 3" in first
    # Generation gives a bus route's bus only to the runs it can make; the rota then
    # gives every bus trip a free bus.
    assert (
        "trips for 2030-01-07..2030-01-20: 20 routes: 976 trips created, 0 already there; "
        "196 left without a vehicle (the route's is on another trip then)"
    ) in first
    assert [line for line in first if "given a bus and a driver" in line] == [
        "rwanda-intercity: bus trips given a bus and a driver: 336",
        "virunga-express: bus trips given a bus and a driver: 168",
        "nairobi-metro-shuttle: bus trips given a bus and a driver: 392",
    ]
    assert not Trip.objects.filter(route__company__kind="bus", drivers__isnull=True).exists()


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
            "rail stations: 0 created, 16 exist",
            "company rwanda-intercity: exists",
            "rwanda-intercity stations: 0 created, 11 exist",
            "rwanda-intercity: driver memberships given: 0",
            "company virunga-express: exists",
            "virunga-express stations: 0 created, 2 exist",
            "virunga-express: driver memberships given: 0",
            "company nairobi-metro-shuttle: exists",
            "nairobi-metro-shuttle stations: 0 created, 7 exist",
            "nairobi-metro-shuttle: driver memberships given: 0",
            "vehicles: 0 created; routes: 0 created",
            "staff memberships given: 0",
            "trips for 2030-01-07..2030-01-20: 20 routes: 0 trips created, 976 already there",
            "rwanda-intercity: bus trips given a bus and a driver: 0",
            "virunga-express: bus trips given a bus and a driver: 0",
            "nairobi-metro-shuttle: bus trips given a bus and a driver: 0",
        ]
    )


def test_demo_bus_trips_are_found_between_intermediate_stops(loaded):
    kigali, musanze = station_get_by_code("RW-NYB"), station_get_by_code("RW-MUS")

    options = trip_search(origin=kigali, destination=musanze, travel_date=MONDAY)

    assert [
        (o.trip.route.company.slug, o.local_departure.strftime("%H:%M"), o.classes) for o in options
    ] == [
        ("rwanda-intercity", "06:00", ["STANDARD"]),
        ("rwanda-intercity", "07:00", ["VIP"]),
        ("virunga-express", "07:00", ["STANDARD"]),
        ("rwanda-intercity", "08:00", ["STANDARD"]),
        ("rwanda-intercity", "10:00", ["STANDARD"]),
        ("virunga-express", "10:00", ["STANDARD"]),
        ("rwanda-intercity", "12:00", ["STANDARD"]),
        ("virunga-express", "13:00", ["STANDARD"]),
        ("rwanda-intercity", "14:00", ["STANDARD"]),
        ("rwanda-intercity", "15:00", ["VIP"]),
        ("rwanda-intercity", "16:00", ["STANDARD"]),
        ("virunga-express", "16:00", ["STANDARD"]),
    ]
    assert {o.distance_km for o in options} == {94}


def test_demo_rail_corridor_answers_an_intermediate_pair(loaded):
    kanpur, allahabad = station_get_by_code("CNB"), station_get_by_code("ALD")

    options = trip_search(origin=kanpur, destination=allahabad, travel_date=MONDAY)

    assert [(o.trip.route.number, o.local_departure.strftime("%H:%M")) for o in options] == [
        ("12302", "21:40")
    ]
    # Allahabad is Prayagraj now: the alias finds it.
    assert station_get_by_code("ALD").aliases.filter(name="PRYJ").exists()


def test_the_demo_puts_no_vehicle_or_driver_on_two_trips_at_once(loaded):
    assert Trip.objects.count() == 976
    assert assignment_conflicts_existing(companies=Company.objects.all()) == []
