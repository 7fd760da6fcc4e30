"""Fixtures of the fleet tests: two bus companies with staff, a route and a trip of each.

Tests marked `fulldata` read the real third-party data under settings.TTMS_DATA_DIR and are
skipped, saying why, when it is absent.
"""

from pathlib import Path

import pytest
from django.conf import settings

from fleet.models import Station
from fleet.selectors import station_names_cache_clear
from fleet.services import station_upsert
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from .factories import (
    CompanyFactory,
    StationFactory,
    TripFactory,
    VehicleFactory,
    make_route,
    staff_user,
)

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _skip_without_full_data(request):
    if request.node.get_closest_marker("fulldata") is None:
        return
    needed = [settings.TTMS_DATA_DIR / "indian-railways", settings.TTMS_DATA_DIR / "gtfs"]
    missing = [str(p) for p in needed if not p.is_dir()]
    if missing:
        pytest.skip(f"the real data is absent ({', '.join(missing)}); set TTMS_DATA_DIR")


@pytest.fixture(autouse=True)
def _fresh_station_names():
    """Fuzzy station lookup caches names per process: never across tests."""
    station_names_cache_clear()
    yield
    station_names_cache_clear()


@pytest.fixture
def fixtures_dir() -> Path:
    return DATA


@pytest.fixture
def company_a(db):
    return CompanyFactory(slug="alpha-bus", name="Alpha Bus")


@pytest.fixture
def company_b(db):
    return CompanyFactory(slug="beta-bus", name="Beta Bus")


@pytest.fixture
def admin_a(company_a):
    return staff_user(company_a, Role.COMPANY_ADMIN, email="admin@alpha.example")


@pytest.fixture
def scheduler_a(company_a):
    return staff_user(company_a, Role.SCHEDULER, email="scheduler@alpha.example")


@pytest.fixture
def agent_a(company_a):
    return staff_user(company_a, Role.AGENT, email="agent@alpha.example")


@pytest.fixture
def driver_a(company_a):
    return staff_user(company_a, Role.DRIVER, email="driver@alpha.example")


@pytest.fixture
def driver_b(company_b):
    return staff_user(company_b, Role.DRIVER, email="driver@beta.example")


@pytest.fixture
def admin_b(company_b):
    return staff_user(company_b, Role.COMPANY_ADMIN, email="admin@beta.example")


@pytest.fixture
def platform_admin(db):
    return UserFactory(
        role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True, email="owner@example.com"
    )


@pytest.fixture
def passenger(db):
    return UserFactory(role=Role.PASSENGER, email="rider@example.com")


def _line(company, prefix):
    stations = [
        station_upsert(
            code=f"{prefix}-{n}",
            name=f"{prefix.title()} {name}",
            time_zone="Africa/Kigali",
            latitude=-1.9,
            longitude=30.0,
            company=company,
        )
        for n, name in enumerate(["Central", "Market", "Lake"], start=1)
    ]
    vehicle = VehicleFactory(company=company, code=f"{prefix} BUS 1")
    route = make_route(
        company,
        [(stations[0], 0, None, 0), (stations[1], 20, 30, 32), (stations[2], 50, 70, None)],
        code=f"{prefix}-R1",
        number=f"{prefix}1",
        default_vehicle=vehicle,
    )
    return stations, vehicle, route


@pytest.fixture
def line_a(company_a):
    """Company A's stations, bus and route (A-1 → A-2 → A-3)."""
    return _line(company_a, "A")


@pytest.fixture
def line_b(company_b):
    return _line(company_b, "B")


@pytest.fixture
def trip_a(line_a):
    _, vehicle, route = line_a
    return TripFactory(route=route, vehicle=vehicle)


@pytest.fixture
def trip_b(line_b):
    _, vehicle, route = line_b
    return TripFactory(route=route, vehicle=vehicle)


@pytest.fixture
def shared_station(db) -> Station:
    return StationFactory(code="NDLS", name="New Delhi", company=None)
