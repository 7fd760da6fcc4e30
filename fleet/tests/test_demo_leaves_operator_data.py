"""`make run` loads the demo on every start: a second and third `load_demo` touch only the
demo's own objects, never what an operator made or changed since."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from fleet.models import Company, CompanyMembership, Route, Trip, TripEvent, Vehicle
from fleet.services import route_create, trip_update, trips_generate
from ttms.accounts.models import Role, User

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db

START = datetime(2030, 1, 7, 0, 5, tzinfo=ZoneInfo("UTC"))
TODAY = date(2030, 1, 7)


def _load_demo(at: datetime = START) -> None:
    with time_machine.travel(at, tick=False):
        call_command("load_demo", "--force", stdout=StringIO())


@pytest.fixture
def demo(settings):
    # Argon2 is slow on purpose; the demo accounts need no real hashing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _load_demo()
    return Company.objects.get(slug="rwanda-intercity")


@pytest.fixture
def operators_line(demo):
    """What the demo bus company's admin made in the admin after the first start: a bus, a
    route of their own between two demo stops, and three days of its trips, no driver yet."""
    bus = VehicleFactory(company=demo, code="RAE 900 B")
    stops = {s.code: s for s in demo.stations.filter(code__in=["RW-NYB", "RW-MUH"])}
    route = route_create(
        company=demo,
        code="OP-7",
        number="7",
        name="Kigali – Muhanga express",
        departure_times="07:15 17:15",
        default_vehicle=bus,
        stops=[(stops["RW-NYB"], 0, None, 0), (stops["RW-MUH"], 50, 55, None)],
    )
    with time_machine.travel(START, tick=False):
        trips_generate(
            start=TODAY, end=TODAY + timedelta(days=2), routes=Route.objects.filter(pk=route.pk)
        )
    return bus, route


def _snapshot(bus: Vehicle, route: Route) -> dict:
    trips = Trip.objects.filter(route=route).order_by("pk")
    return {
        "bus": Vehicle.objects.filter(pk=bus.pk).values().get(),
        "route": Route.objects.filter(pk=route.pk).values().get(),
        "stops": list(route.stops.order_by("sequence").values()),
        "trips": list(trips.values()),
        "drivers": [list(t.drivers.values_list("pk", flat=True)) for t in trips],
        "events": TripEvent.objects.filter(trip__route=route).count(),
    }


def test_loading_the_demo_again_leaves_an_operators_route_trips_and_bus_alone(operators_line):
    bus, route = operators_line
    before = _snapshot(bus, route)
    assert len(before["trips"]) == 6 and before["drivers"] == [[]] * 6

    _load_demo()
    _load_demo(START + timedelta(days=1))  # the next day's start adds that day's demo trips

    assert _snapshot(bus, route) == before


def test_a_demo_trip_whose_driver_an_operator_removed_keeps_no_driver(demo):
    trip = (
        Trip.objects.filter(route__company=demo, route__code="RIC-101")
        .order_by("departure_at")
        .first()
    )
    admin = User.objects.get(email="company@example.com")
    trip_update(trip=trip, by=admin, drivers=[], reason="the driver is ill")

    _load_demo()

    assert list(trip.drivers.all()) == []


def test_a_demo_account_whose_role_an_operator_changed_keeps_the_change(demo):
    scheduler = User.objects.get(email="scheduler@example.com")
    membership = CompanyMembership.objects.get(user=scheduler)
    CompanyMembership.objects.filter(pk=membership.pk).update(role=Role.AGENT)
    driver = User.objects.get(email="jean.habimana@example.com")
    CompanyMembership.objects.filter(user=driver).delete()

    _load_demo()

    assert CompanyMembership.objects.get(pk=membership.pk).role == Role.AGENT
    assert not CompanyMembership.objects.filter(user=driver).exists()
