from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from fleet.models import RouteException, Trip, Weekday
from fleet.services import trips_generate

from .factories import StationFactory, make_route

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")
UTC = ZoneInfo("UTC")
MONDAY = date(2030, 1, 7)


@pytest.fixture
def stations():
    return [StationFactory(code=c, time_zone="Asia/Kolkata") for c in ("AAA", "BBB")]


def _route(company, stations, **kwargs):
    a, b = stations
    return make_route(company, [(a, 0, None, 0), (b, 300, 1000, None)], **kwargs)


def _trips(route):
    return list(
        Trip.objects.filter(route=route)
        .order_by("departure_at")
        .values_list("service_date", "departure_at", "arrival_at")
    )


def test_trips_follow_running_days_and_departure_times(company_a, stations):
    route = _route(
        company_a,
        stations,
        departure_times="06:00 22:30",
        running_days=Weekday.MONDAY | Weekday.WEDNESDAY | Weekday.FRIDAY,
    )

    report = trips_generate(start=MONDAY, end=MONDAY + timedelta(days=6))

    assert (report.routes, report.created, report.existing) == (1, 6, 0)
    expected = []
    for day in (MONDAY, MONDAY + timedelta(days=2), MONDAY + timedelta(days=4)):
        for hour, minute in ((6, 0), (22, 30)):
            leaves = datetime(day.year, day.month, day.day, hour, minute, tzinfo=IST)
            expected.append((day, leaves, leaves + timedelta(minutes=1000)))
    assert _trips(route) == expected


def test_generation_is_idempotent(company_a, stations):
    route = _route(company_a, stations)
    trips_generate(start=MONDAY, end=MONDAY + timedelta(days=2))
    before = _trips(route)

    report = trips_generate(start=MONDAY, end=MONDAY + timedelta(days=2))

    assert (report.created, report.existing) == (0, 3)
    assert _trips(route) == before


def test_a_wider_range_adds_only_the_missing_days(company_a, stations):
    route = _route(company_a, stations)
    trips_generate(start=MONDAY, end=MONDAY + timedelta(days=1))

    report = trips_generate(start=MONDAY, end=MONDAY + timedelta(days=3))

    assert (report.created, report.existing) == (2, 2)
    assert len(_trips(route)) == 4


def test_exceptions_add_and_remove_dates(company_a, stations):
    route = _route(company_a, stations, running_days=Weekday.MONDAY)
    RouteException.objects.create(route=route, date=MONDAY, kind=RouteException.Kind.REMOVED)
    RouteException.objects.create(
        route=route, date=MONDAY + timedelta(days=3), kind=RouteException.Kind.ADDED
    )

    trips_generate(start=MONDAY, end=MONDAY + timedelta(days=13))

    assert [t[0] for t in _trips(route)] == [MONDAY + timedelta(days=3), MONDAY + timedelta(days=7)]


def test_validity_bounds_the_dates(company_a, stations):
    route = _route(
        company_a,
        stations,
        valid_from=MONDAY + timedelta(days=1),
        valid_to=MONDAY + timedelta(days=2),
    )

    trips_generate(start=MONDAY, end=MONDAY + timedelta(days=5))

    assert [t[0] for t in _trips(route)] == [MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)]


def test_departure_past_midnight_belongs_to_the_previous_service_day(company_a, stations):
    route = _route(company_a, stations, departure_times="25:30")

    trips_generate(start=MONDAY, end=MONDAY)

    assert _trips(route)[0][:2] == (MONDAY, datetime(2030, 1, 8, 1, 30, tzinfo=IST))


def test_departure_keeps_local_wall_time_across_daylight_saving(company_a):
    a = StationFactory(time_zone="America/Los_Angeles")
    b = StationFactory(time_zone="America/Los_Angeles")
    route = make_route(company_a, [(a, 0, None, 0), (b, 10, 20, None)])

    trips_generate(start=date(2030, 3, 9), end=date(2030, 3, 11))

    # Clocks go forward on Sunday 10 March 2030: 08:00 is 16:00 UTC before, 15:00 after.
    assert [t[1].astimezone(UTC).hour for t in _trips(route)] == [16, 15, 15]


def test_trips_get_the_default_vehicle_and_inactive_routes_none(company_a, stations, line_a):
    _, vehicle, bus_route = line_a
    inactive = _route(company_a, stations, is_active=False)

    trips_generate(start=MONDAY, end=MONDAY)

    assert list(Trip.objects.filter(route=bus_route).values_list("vehicle", flat=True)) == [
        vehicle.pk
    ]
    assert _trips(inactive) == []


def test_a_range_that_ends_before_it_starts_is_refused(company_a, stations):
    _route(company_a, stations)

    with pytest.raises(ValidationError):
        trips_generate(start=MONDAY, end=MONDAY - timedelta(days=1))

    assert not Trip.objects.exists()


def test_command_generates_then_finds_everything(company_a, stations):
    _route(company_a, stations)
    out = StringIO()

    call_command(
        "generate_trips",
        "--start",
        "2030-01-07",
        "--days",
        "3",
        "--company",
        "alpha-bus",
        stdout=out,
        verbosity=1,
    )
    call_command("generate_trips", "--start", "2030-01-07", "--days", "3", stdout=out, verbosity=1)

    lines = [line.split(" (")[0] for line in out.getvalue().splitlines()]
    assert lines == [
        "2030-01-07..2030-01-09: 1 routes: 3 trips created, 0 already there",
        "2030-01-07..2030-01-09: 1 routes: 0 trips created, 3 already there",
    ]


def test_admin_action_generates_the_next_60_days(client, admin_a, line_a):
    _, _, route = line_a
    client.force_login(admin_a)

    response = client.post(
        reverse("admin:fleet_route_changelist"),
        {"action": "generate_trips", "_selected_action": [route.pk]},
    )

    assert response.status_code == 302
    assert Trip.objects.filter(route=route).count() == 60


def test_nightly_task_keeps_sixty_days_ahead(company_a, stations):
    from fleet.tasks import trips_generate_task

    route = _route(company_a, stations)

    first = trips_generate_task.apply().get()
    second = trips_generate_task.apply().get()

    assert (first, second) == (
        "1 routes: 60 trips created, 0 already there",
        "1 routes: 0 trips created, 60 already there",
    )
    assert len(_trips(route)) == 60
