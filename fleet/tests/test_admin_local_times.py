"""Trips in the admin at the local time of their stations, the zone named: the 06:00 Kigali
bus is "06:00 CAT", never "4 a.m."; the day filters count each trip's day in its zone."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleet.models import Trip
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from .admin_pages import admin_url
from .factories import CompanyFactory, StationFactory, make_route, staff_user

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:fleet_trip_changelist")


def _route(company, number, zones):
    stations = [StationFactory(time_zone=zone) for zone in zones]
    stops = [
        (station, 100 * i, None if i == 0 else 60 * i, None if i == len(zones) - 1 else 60 * i)
        for i, station in enumerate(stations)
    ]
    return make_route(company, stops, code=number)


def _trip(route, service_date, departure_utc, hours=2):
    return Trip.objects.create(
        route=route,
        service_date=service_date,
        departure_at=departure_utc,
        arrival_at=departure_utc + timedelta(hours=hours),
    )


@pytest.fixture
def kigali():
    return CompanyFactory(name="Volcano Express", time_zone="Africa/Kigali")


@pytest.fixture
def india():
    return CompanyFactory(name="Konkan Rail", time_zone="Asia/Kolkata")


@pytest.fixture
def kigali_trip(kigali):
    route = _route(kigali, "K101", ["Africa/Kigali", "Africa/Kigali"])
    return _trip(route, date(2026, 12, 4), datetime(2026, 12, 4, 4, 0, tzinfo=UTC))


@pytest.fixture
def indian_trip(india):
    route = _route(india, "I202", ["Asia/Kolkata", "Asia/Kolkata"])
    return _trip(route, date(2026, 12, 4), datetime(2026, 12, 4, 4, 0, tzinfo=UTC))


@pytest.fixture
def platform_admin():
    return UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)


def test_a_trip_is_named_by_its_local_departure_with_the_zone(kigali_trip, indian_trip):
    assert str(kigali_trip) == "K101 04 Dec 2026 06:00 CAT"
    assert str(indian_trip) == "I202 04 Dec 2026 09:30 IST"


def test_trips_change_list_shows_departure_and_arrival_in_the_stations_zone(
    client, platform_admin, kigali_trip, indian_trip
):
    client.force_login(platform_admin)

    response = client.get(CHANGELIST)

    rows = {
        trip.route.number: (trip.departure_zone_name, trip.arrival_zone_name)
        for trip in response.context["cl"].result_list
    }
    html = response.content.decode()
    assert rows == {
        "K101": ("Africa/Kigali", "Africa/Kigali"),
        "I202": ("Asia/Kolkata", "Asia/Kolkata"),
    }
    assert "04 Dec 2026 06:00 CAT" in html
    assert "04 Dec 2026 08:00 CAT" in html
    assert "04 Dec 2026 09:30 IST" in html
    assert "04 Dec 2026 11:30 IST" in html
    assert "Departure (first stop&#x27;s local time)" in html
    assert "4 a.m." not in html


def test_a_cross_border_trip_arrives_in_its_last_stops_zone(client, platform_admin, kigali):
    route = _route(kigali, "K300", ["Africa/Kigali", "Africa/Kampala"])
    _trip(route, date(2026, 12, 4), datetime(2026, 12, 4, 4, 0, tzinfo=UTC), hours=8)
    client.force_login(platform_admin)

    html = client.get(CHANGELIST).content.decode()

    assert "04 Dec 2026 06:00 CAT" in html
    assert "04 Dec 2026 15:00 EAT" in html


def test_trip_change_page_shows_local_times_with_the_zone(client, kigali, kigali_trip):
    client.force_login(staff_user(kigali, Role.SCHEDULER))

    response = client.get(admin_url(kigali_trip))

    html = response.content.decode()
    assert response.status_code == 200
    assert "04 Dec 2026 06:00 CAT" in html
    assert "04 Dec 2026 08:00 CAT" in html
    assert "04:00" not in html.split('id="content"')[1].split("</form>")[0]


def test_the_change_list_costs_the_same_queries_for_one_trip_or_many(
    client, platform_admin, kigali
):
    route = _route(kigali, "K500", ["Africa/Kigali", "Africa/Kigali"])
    _trip(route, date(2026, 12, 4), datetime(2026, 12, 4, 4, 0, tzinfo=UTC))
    client.force_login(platform_admin)
    client.get(CHANGELIST)  # the session and content types, loaded once

    with CaptureQueriesContext(connection) as one:
        client.get(CHANGELIST)
    for day in range(5, 10):
        _trip(route, date(2026, 12, day), datetime(2026, 12, day, 4, 0, tzinfo=UTC))
    with CaptureQueriesContext(connection) as six:
        client.get(CHANGELIST)

    assert len(six) == len(one)


@pytest.fixture
def four_trips(kigali, india):
    """At 19:00 UTC on 3 Dec it is 21:00 on the 3rd in Kigali and 00:30 on the 4th in India."""
    k_route = _route(kigali, "K1", ["Africa/Kigali", "Africa/Kigali"])
    i_route = _route(india, "I1", ["Asia/Kolkata", "Asia/Kolkata"])
    return {
        "kigali_3": _trip(k_route, date(2026, 12, 3), datetime(2026, 12, 3, 20, 30, tzinfo=UTC)),
        "kigali_4": _trip(k_route, date(2026, 12, 4), datetime(2026, 12, 4, 4, 0, tzinfo=UTC)),
        "india_3": _trip(i_route, date(2026, 12, 3), datetime(2026, 12, 3, 2, 30, tzinfo=UTC)),
        "india_4": _trip(i_route, date(2026, 12, 4), datetime(2026, 12, 4, 2, 30, tzinfo=UTC)),
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("today", {"kigali_3", "india_4"}),
        ("tomorrow", {"kigali_4"}),
        ("next7", {"kigali_3", "kigali_4", "india_4"}),
        ("past7", {"kigali_3", "india_3", "india_4"}),
    ],
)
def test_the_departure_day_filter_counts_each_trips_day_in_its_zone(
    client, platform_admin, four_trips, choice, expected
):
    client.force_login(platform_admin)
    names = {trip.pk: name for name, trip in four_trips.items()}

    with time_machine.travel(datetime(2026, 12, 3, 19, 0, tzinfo=UTC), tick=False):
        response = client.get(CHANGELIST, {"departure_day": choice})

    assert response.status_code == 200
    assert {names[trip.pk] for trip in response.context["cl"].result_list} == expected


def test_today_in_kigali_is_the_trip_whose_local_date_is_today(client, kigali, four_trips):
    client.force_login(staff_user(kigali, Role.SCHEDULER))

    with time_machine.travel(datetime(2026, 12, 3, 23, 30, tzinfo=UTC), tick=False):
        # 01:30 on 4 Dec in Kigali: the 06:00 bus of the 4th is today's.
        response = client.get(CHANGELIST, {"departure_day": "today"})

    assert [trip.pk for trip in response.context["cl"].result_list] == [four_trips["kigali_4"].pk]


@pytest.mark.parametrize("value", ["yesterday", "", "1"])
def test_an_unknown_day_choice_redirects_to_the_unfiltered_list(client, platform_admin, value):
    client.force_login(platform_admin)

    response = client.get(CHANGELIST, {"departure_day": value})

    assert (response.status_code, response["Location"]) == (302, f"{CHANGELIST}?e=1")
