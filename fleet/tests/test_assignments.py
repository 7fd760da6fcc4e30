"""A vehicle or a driver is never on two trips at once: their times overlap once the
turnaround (TTMS_TURNAROUND_MINUTES, 20 by default) is added to each arrival. Refused by
trip_update (the admin's and the operator API's path), with a message naming the other trip
in its first stop's local time; nothing changes on a refusal."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fleet.conflicts import assignment_conflicts
from fleet.exceptions import AssignmentConflict
from fleet.models import Trip, TripEvent, TripStatus
from fleet.services import trip_update, trip_vehicle_set
from ttms.accounts.models import Role
from ttms.audit.models import AuditEntry

from .factories import TripFactory, VehicleFactory, staff_user

pytestmark = pytest.mark.django_db

KIGALI = ZoneInfo("Africa/Kigali")

BUS_MESSAGE = (
    "Vehicle A BUS 1 is already on trip A1 leaving 07 Jan 2030 06:00 CAT and arriving "
    "07 Jan 2030 09:20 CAT; a vehicle needs 20 minutes between trips."
)


def kigali(hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 1, 7, hour, minute, tzinfo=KIGALI)


def run(route, leaves: datetime, minutes: int = 200, **kwargs) -> Trip:
    return TripFactory(
        route=route, departure_at=leaves, arrival_at=leaves + timedelta(minutes=minutes), **kwargs
    )


@pytest.fixture
def early(line_a):
    """Company A's bus on the 06:00-09:20 (Kigali) run of route A1."""
    _, bus, route = line_a
    return run(route, kigali(6), vehicle=bus)


@pytest.fixture
def driver(company_a):
    return staff_user(company_a, Role.DRIVER, full_name="Aline Uwase", email="aline@alpha.example")


def _unchanged(trip: Trip, *, vehicle_id, drivers) -> None:
    trip.refresh_from_db()
    assert trip.vehicle_id == vehicle_id
    assert sorted(trip.drivers.values_list("pk", flat=True)) == drivers
    assert not TripEvent.objects.filter(trip=trip).exists()
    assert not AuditEntry.objects.filter(action="trip.updated").exists()


def test_update_refuses_a_bus_already_on_an_overlapping_trip_naming_that_trip(line_a, early):
    _, bus, route = line_a
    later = run(route, kigali(8))

    with pytest.raises(AssignmentConflict) as refused:
        trip_update(trip=later, vehicle=bus)

    assert refused.value.message == BUS_MESSAGE
    assert refused.value.code == "assignment_conflict"
    assert refused.value.status_code == 409
    assert refused.value.fields == {"vehicle": [BUS_MESSAGE]}
    _unchanged(later, vehicle_id=None, drivers=[])


def test_update_refuses_a_driver_already_driving_an_overlapping_trip(line_a, early, driver):
    _, _, route = line_a
    early.drivers.add(driver)
    later = run(route, kigali(8))

    with pytest.raises(AssignmentConflict) as refused:
        trip_update(trip=later, drivers=[driver])

    message = (
        "Driver Aline Uwase already drives trip A1 leaving 07 Jan 2030 06:00 CAT and arriving "
        "07 Jan 2030 09:20 CAT; a driver needs 20 minutes between trips."
    )
    assert refused.value.message == message
    assert refused.value.fields == {"drivers": [message]}
    _unchanged(later, vehicle_id=None, drivers=[])


def test_a_bus_and_a_driver_both_taken_are_both_named(line_a, early, driver):
    _, bus, route = line_a
    early.drivers.add(driver)
    later = run(route, kigali(9))

    with pytest.raises(AssignmentConflict) as refused:
        trip_update(trip=later, vehicle=bus, drivers=[driver])

    assert list(refused.value.fields) == ["vehicle", "drivers"]
    assert refused.value.message.startswith(BUS_MESSAGE + " Driver Aline Uwase already drives")
    _unchanged(later, vehicle_id=None, drivers=[])


def test_the_turnaround_separates_an_arrival_from_the_next_departure(line_a, early, settings):
    _, bus, route = line_a
    too_soon = run(route, kigali(9, 39))  # 19 minutes after the 09:20 arrival
    in_time = run(route, kigali(9, 40))  # 20 minutes after

    with pytest.raises(AssignmentConflict):
        trip_update(trip=too_soon, vehicle=bus)
    trip_update(trip=in_time, vehicle=bus)
    trip_update(trip=in_time, vehicle=None)
    settings.TTMS_TURNAROUND_MINUTES = 0
    trip_update(trip=too_soon, vehicle=bus)

    assert Trip.objects.get(pk=too_soon.pk).vehicle_id == bus.pk


def test_a_trip_ending_before_the_other_leaves_also_counts(line_a, early):
    """The rule is symmetric: a new trip leaving before the bus's trip and arriving less
    than the turnaround before it leaves is refused too."""
    _, bus, route = line_a
    before = run(route, kigali(3), minutes=170)  # arrives 05:50, 10 minutes before 06:00

    with pytest.raises(AssignmentConflict) as refused:
        trip_update(trip=before, vehicle=bus)

    assert refused.value.message == BUS_MESSAGE


def test_a_cancelled_trip_holds_no_bus_or_driver(line_a, early, driver):
    _, bus, route = line_a
    early.drivers.add(driver)
    Trip.objects.filter(pk=early.pk).update(status=TripStatus.CANCELLED)
    later = run(route, kigali(8))

    trip_update(trip=later, vehicle=bus, drivers=[driver])

    later.refresh_from_db()
    assert (later.vehicle_id, list(later.drivers.all())) == (bus.pk, [driver])


def test_a_conflict_already_there_blocks_neither_unrelated_edits_nor_its_fix(line_a, early, driver):
    _, bus, route = line_a
    later = run(route, kigali(8), vehicle=bus)  # written around the rule, as old data may be

    trip_update(trip=later, drivers=[driver], reason="driver only")
    trip_update(trip=later, vehicle=None, reason="the bus is on the 06:00")

    later.refresh_from_db()
    assert (later.vehicle_id, list(later.drivers.all())) == (None, [driver])


def test_trip_vehicle_set_refuses_a_bus_on_an_overlapping_trip(line_a, early):
    _, _, route = line_a
    spare = VehicleFactory(company=route.company, code="SPARE")
    later = run(route, kigali(8), vehicle=spare)

    with pytest.raises(AssignmentConflict) as refused:
        trip_vehicle_set(trip=later, vehicle=early.vehicle)

    assert refused.value.message == BUS_MESSAGE
    _unchanged(later, vehicle_id=spare.pk, drivers=[])


def test_conflicts_are_listed_vehicle_first_then_each_driver_in_departure_order(
    line_a, early, driver
):
    _, bus, route = line_a
    second = run(route, kigali(10), vehicle=bus)
    early.drivers.add(driver)
    second.drivers.add(driver)

    conflicts = assignment_conflicts(
        vehicle=bus, drivers=[driver], departure_at=kigali(7), arrival_at=kigali(10, 30)
    )

    assert [(c.kind, c.who, c.trip_id) for c in conflicts] == [
        ("vehicle", "A BUS 1", early.pk),
        ("vehicle", "A BUS 1", second.pk),
        ("driver", "Aline Uwase", early.pk),
        ("driver", "Aline Uwase", second.pk),
    ]
