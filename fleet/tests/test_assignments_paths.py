"""The overlap rule on every path that assigns a vehicle or a driver: the admin's trip form,
the operator API, trip generation (a run the route's vehicle cannot make is created
without it); and the timetable's conflicts already there, listed by `trip_conflicts` and the
trip admin's "By assignment conflict" filter."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from fleet.conflicts import assignment_conflicts_existing
from fleet.models import Trip, TripEvent, TripStatus
from fleet.services import trips_generate
from ttms.accounts.models import Role

from .admin_pages import admin_url, changelist_url
from .factories import RouteFactory, TripFactory, VehicleFactory, staff_user

pytestmark = pytest.mark.django_db

KIGALI = ZoneInfo("Africa/Kigali")
BUS_MESSAGE = (
    "Vehicle A BUS 1 is already on trip A1 leaving 07 Jan 2030 06:00 CAT and arriving "
    "07 Jan 2030 09:20 CAT; a vehicle needs 20 minutes between trips."
)
DRIVER_MESSAGE = (
    "Driver Aline Uwase already drives trip A1 leaving 07 Jan 2030 06:00 CAT and arriving "
    "07 Jan 2030 09:20 CAT; a driver needs 20 minutes between trips."
)


def run(route, hour: int, minutes: int = 200, **kwargs) -> Trip:
    leaves = datetime(2030, 1, 7, hour, tzinfo=KIGALI)
    return TripFactory(
        route=route, departure_at=leaves, arrival_at=leaves + timedelta(minutes=minutes), **kwargs
    )


@pytest.fixture
def driver(company_a):
    return staff_user(company_a, Role.DRIVER, full_name="Aline Uwase", email="aline@alpha.example")


@pytest.fixture
def clash(line_a, driver):
    """The 06:00-09:20 run with company A's bus and Aline driving; the 08:00 run with
    neither."""
    _, bus, route = line_a
    early = run(route, 6, vehicle=bus)
    early.drivers.add(driver)
    return early, run(route, 8)


# --- The admin's trip form -------------------------------------------------------------------


def _form(trip, **changes):
    data = {
        "vehicle": trip.vehicle_id or "",
        "drivers": [d.pk for d in trip.drivers.all()],
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return data


def test_admin_form_refuses_a_taken_bus_and_driver_naming_the_other_trip(
    client, admin_a, clash, driver
):
    early, later = clash
    client.force_login(admin_a)

    response = client.post(
        admin_url(later), _form(later, vehicle=early.vehicle_id, drivers=[driver.pk])
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {"vehicle": [BUS_MESSAGE], "drivers": [DRIVER_MESSAGE]}
    later.refresh_from_db()
    assert (later.vehicle_id, list(later.drivers.all())) == (None, [])
    assert not TripEvent.objects.filter(trip=later).exists()


def test_admin_saving_after_the_bus_was_taken_meanwhile_says_so_and_writes_nothing(
    client, admin_a, clash, monkeypatch
):
    """The form's check passed, then another save took the bus: the service refuses under
    the locks and the page says why, instead of failing."""
    early, later = clash
    client.force_login(admin_a)
    monkeypatch.setattr("fleet.admin.trips.assignment_conflicts", lambda **kwargs: [])

    response = client.post(admin_url(later), _form(later, vehicle=early.vehicle_id), follow=True)

    assert [str(m) for m in response.context["messages"]] == [BUS_MESSAGE]
    assert Trip.objects.get(pk=later.pk).vehicle_id is None
    assert not TripEvent.objects.filter(trip=later).exists()


# --- The operator API ------------------------------------------------------------------------


def test_api_refuses_a_taken_bus_with_409_naming_the_other_trip(api_client, scheduler_a, clash):
    early, later = clash
    api_client.force_authenticate(scheduler_a)

    response = api_client.patch(
        f"/api/v1/operator/trips/{later.pk}/", {"vehicle": early.vehicle_id}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "assignment_conflict",
            "message": BUS_MESSAGE,
            "fields": {"vehicle": [BUS_MESSAGE]},
        }
    }
    assert Trip.objects.get(pk=later.pk).vehicle_id is None


def test_api_refuses_a_driver_on_an_overlapping_trip(api_client, scheduler_a, clash, driver):
    _, later = clash
    api_client.force_authenticate(scheduler_a)

    response = api_client.patch(
        f"/api/v1/operator/trips/{later.pk}/", {"drivers": [driver.pk]}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"drivers": [DRIVER_MESSAGE]}
    assert not Trip.objects.get(pk=later.pk).drivers.exists()


# --- Generation ------------------------------------------------------------------------------


def test_generation_gives_the_routes_bus_only_to_the_runs_it_can_make(line_a):
    _, bus, route = line_a  # 70 minutes from
    route.departure_times = "06:00 06:30 07:30 08:00"
    route.save()

    report = trips_generate(start=date(2030, 1, 7), end=date(2030, 1, 7))

    runs = Trip.objects.filter(route=route).order_by("departure_at")
    local = [(t.departure_at.astimezone(KIGALI).strftime("%H:%M"), t.vehicle_id) for t in runs]
    # 06:00 arrives 07:10, free again at 07:30; 07:30 arrives 08:40.
    assert local == [("06:00", bus.pk), ("06:30", None), ("07:30", bus.pk), ("08:00", None)]
    assert (report.created, report.without_vehicle) == (4, 2)
    assert str(report) == (
        "1 routes: 4 trips created, 0 already there; 2 left without a vehicle "
        "(the route's is on another trip then)"
    )


def test_generation_leaves_a_run_without_the_bus_another_route_has_then(line_a):
    _, bus, route = line_a
    other_route = RouteFactory(company=route.company, code="O1", is_active=False)
    TripFactory(
        route=other_route,
        departure_at=datetime(2030, 1, 7, 7, tzinfo=KIGALI),
        arrival_at=datetime(2030, 1, 7, 9, tzinfo=KIGALI),
        vehicle=bus,
    )

    report = trips_generate(start=date(2030, 1, 7), end=date(2030, 1, 7))

    generated = Trip.objects.get(route=route)
    assert generated.vehicle_id is None  # 08:00 leaves while the bus is on O1 (07:00-09:00)
    assert report.without_vehicle == 1


def test_a_cancelled_trip_does_not_keep_the_route_bus_from_a_new_run(line_a):
    _, bus, route = line_a
    cancelled = run(route, 7, vehicle=bus)
    Trip.objects.filter(pk=cancelled.pk).update(
        status=TripStatus.CANCELLED, departure_at=datetime(2030, 1, 7, 7, 30, tzinfo=KIGALI)
    )

    report = trips_generate(start=date(2030, 1, 7), end=date(2030, 1, 7))

    assert Trip.objects.get(route=route, status=TripStatus.SCHEDULED).vehicle_id == bus.pk
    assert report.without_vehicle == 0


# --- Conflicts already there -----------------------------------------------------------------


@pytest.fixture
def existing(line_a, driver):
    """Written around the rule, as data from before it: the 06:00 and 08:00 runs share the
    bus, the 06:00 and a 09:00 run on the spare bus share Aline."""
    _, bus, route = line_a
    spare = VehicleFactory(company=route.company, code="SPARE")
    early = run(route, 6, vehicle=bus)
    later = run(route, 8, vehicle=bus)
    nine = run(route, 9, vehicle=spare)
    evening = run(route, 18, vehicle=bus)  # in no conflict
    early.drivers.add(driver)
    nine.drivers.add(driver)
    return early, later, nine, evening


def test_existing_conflicts_are_listed_as_pairs(company_a, existing):
    early, later, nine, _ = existing

    conflicts = assignment_conflicts_existing(companies=[company_a])

    assert [(c.kind, c.who, c.first.pk, c.second.pk) for c in conflicts] == [
        ("vehicle", "A BUS 1", early.pk, later.pk),
        ("driver", "Aline Uwase", early.pk, nine.pk),
    ]


def test_existing_conflicts_of_other_companies_and_of_the_past_are_left_out(
    company_a, company_b, existing
):
    assert assignment_conflicts_existing(companies=[company_b]) == []
    assert (
        assignment_conflicts_existing(
            companies=[company_a], since=datetime(2030, 1, 8, tzinfo=KIGALI)
        )
        == []
    )


def test_trip_conflicts_command_prints_each_pair_and_exits_with_1(existing):
    early, later, nine, _ = existing
    out = StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("trip_conflicts", "--all", stdout=out)

    assert failed.value.returncode == 1
    assert str(failed.value) == (
        "2 conflicting assignment(s): give one trip of each pair another vehicle or driver "
        "(admin: Trips, filter By assignment conflict)."
    )
    assert out.getvalue().splitlines() == [
        f"alpha-bus: vehicle A BUS 1 on trip A1 (id {early.pk}) 07 Jan 2030 06:00 CAT – "
        f"07 Jan 2030 09:20 CAT and trip A1 (id {later.pk}) 07 Jan 2030 08:00 CAT – "
        "07 Jan 2030 11:20 CAT",
        f"alpha-bus: driver Aline Uwase on trip A1 (id {early.pk}) 07 Jan 2030 06:00 CAT – "
        f"07 Jan 2030 09:20 CAT and trip A1 (id {nine.pk}) 07 Jan 2030 09:00 CAT – "
        "07 Jan 2030 12:20 CAT",
    ]


def test_trip_conflicts_command_is_quiet_and_succeeds_without_any(line_a):
    out = StringIO()

    call_command("trip_conflicts", "--all", "--company", "alpha-bus", stdout=out)

    assert out.getvalue() == "No vehicle or driver is on two trips at once.\n"


def test_trip_conflicts_command_refuses_an_unknown_company():
    with pytest.raises(CommandError) as refused:
        call_command("trip_conflicts", "--company", "nowhere")

    assert str(refused.value) == "No company with slug 'nowhere'."


def test_admin_in_conflict_filter_lists_the_trips_in_conflict(client, admin_a, existing):
    early, later, nine, _ = existing
    client.force_login(admin_a)
    url = changelist_url(early)

    listed = {
        kind: {t.pk for t in client.get(url, {"conflict": kind}).context["cl"].result_list}
        for kind in ("any", "vehicle", "driver")
    }
    bad = client.get(url, {"conflict": "nonsense"})

    assert listed == {
        "any": {early.pk, later.pk, nine.pk},
        "vehicle": {early.pk, later.pk},
        "driver": {early.pk, nine.pk},
    }
    assert bad.status_code == 302 and bad.url.endswith("?e=1")
