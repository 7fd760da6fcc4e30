"""The trip status machine and the refusal of every edit once a trip has departed."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from fleet.exceptions import InvalidStatusTransition, RouteInService, TripLocked
from fleet.models import Trip, TripEvent, TripStatus
from fleet.services import (
    TRANSITIONS,
    route_check_editable,
    trip_delete,
    trip_mark_cancelled,
    trip_transition,
    trip_update,
)

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db
S = TripStatus

ALLOWED = [(s, t) for s, targets in TRANSITIONS.items() for t in sorted(targets)]
REFUSED = [(s, t) for s in S.values for t in S.values if t not in TRANSITIONS[s]]
LOCKED = [S.DEPARTED, S.ARRIVED, S.CANCELLED]


def _set_status(trip, status):
    Trip.objects.filter(pk=trip.pk).update(status=status)
    trip.refresh_from_db()


def test_the_machine_allows_exactly_these_moves():
    assert ALLOWED == [
        (S.SCHEDULED, S.BOARDING),
        (S.SCHEDULED, S.CANCELLED),
        (S.BOARDING, S.CANCELLED),
        (S.BOARDING, S.DEPARTED),
        (S.DEPARTED, S.ARRIVED),
    ]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_transition_changes_status_and_records_who_and_why(
    trip_a, admin_a, current, target
):
    _set_status(trip_a, current)

    with time_machine.travel(datetime(2030, 1, 7, 2, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        result = trip_transition(trip=trip_a, to_status=target, by=admin_a, reason="because")

    trip_a.refresh_from_db()
    assert (result.status, trip_a.status) == (target, target)
    assert trip_a.status_changed_at == datetime(2030, 1, 7, 2, 0, tzinfo=ZoneInfo("UTC"))
    assert list(
        TripEvent.objects.values_list("action", "from_status", "to_status", "by", "reason")
    ) == [("status", current, target, admin_a.pk, "because")]


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_refused_transition_changes_nothing(trip_a, admin_a, current, target):
    _set_status(trip_a, current)
    expected = TripLocked if current in LOCKED else InvalidStatusTransition

    with pytest.raises(expected):
        trip_transition(trip=trip_a, to_status=target, by=admin_a, reason="because")

    trip_a.refresh_from_db()
    assert trip_a.status == current
    assert trip_a.status_changed_at is None
    assert not TripEvent.objects.exists()


def test_invalid_transition_says_what_is_possible(trip_a):
    with pytest.raises(InvalidStatusTransition) as exc:
        trip_transition(trip=trip_a, to_status=S.ARRIVED)

    assert exc.value.message == (
        "A scheduled trip cannot become arrived; it can become: boarding, cancelled."
    )


def test_cancelling_needs_a_reason(trip_a):
    with pytest.raises(ValidationError) as exc:
        trip_mark_cancelled(trip=trip_a, reason="  ")

    assert exc.value.message_dict == {
        "reason": ["Say why the trip is cancelled; passengers are told."]
    }
    trip_a.refresh_from_db()
    assert trip_a.status == S.SCHEDULED


def test_unknown_status_is_a_field_error(trip_a):
    with pytest.raises(ValidationError) as exc:
        trip_transition(trip=trip_a, to_status="flying")

    assert exc.value.message_dict == {"status": ["'flying' is not a trip status."]}


# --- Edits after departure ---------------------------------------------------------------------


def test_departed_trip_refusal_says_when_it_departed(trip_a, admin_a):
    trip_transition(trip=trip_a, to_status=S.BOARDING)
    with time_machine.travel(datetime(2030, 1, 7, 2, 35, tzinfo=ZoneInfo("UTC")), tick=False):
        trip_transition(trip=trip_a, to_status=S.DEPARTED)

    with pytest.raises(TripLocked) as exc:
        trip_update(trip=trip_a, by=admin_a, vehicle=None)

    # 02:35 UTC is 04:35 in Kigali, the company's time zone.
    assert exc.value.message == (
        "Trip A1 of 07 Jan 2030 departed on 07 Jan 2030 04:35 CAT; "
        "a departed trip can no longer be changed."
    )
    assert exc.value.code == "trip_locked"


@pytest.mark.parametrize("status", LOCKED)
def test_vehicle_change_is_refused_after_departure(trip_a, admin_a, status):
    other = VehicleFactory(company=trip_a.route.company)
    _set_status(trip_a, status)

    with pytest.raises(TripLocked):
        trip_update(trip=trip_a, by=admin_a, vehicle=other)

    trip_a.refresh_from_db()
    assert trip_a.vehicle.code == "A BUS 1"
    assert not TripEvent.objects.exists()


@pytest.mark.parametrize("status", LOCKED)
def test_driver_change_is_refused_after_departure(trip_a, admin_a, driver_a, status):
    _set_status(trip_a, status)

    with pytest.raises(TripLocked):
        trip_update(trip=trip_a, by=admin_a, drivers=[driver_a])

    assert list(trip_a.drivers.all()) == []
    assert not TripEvent.objects.exists()


@pytest.mark.parametrize("status", LOCKED)
def test_deletion_is_refused_after_departure(trip_a, admin_a, status):
    _set_status(trip_a, status)

    with pytest.raises(TripLocked):
        trip_delete(trip=trip_a, by=admin_a)

    assert Trip.objects.filter(pk=trip_a.pk).exists()


@pytest.mark.parametrize("status", [S.DEPARTED, S.ARRIVED])
def test_cancellation_is_refused_after_departure(trip_a, admin_a, status):
    _set_status(trip_a, status)

    with pytest.raises(TripLocked):
        trip_mark_cancelled(trip=trip_a, by=admin_a, reason="storm")

    trip_a.refresh_from_db()
    assert trip_a.status == status


@pytest.mark.parametrize("status", [S.BOARDING, S.DEPARTED])
def test_route_stops_cannot_change_while_a_trip_is_on_its_way(trip_a, status):
    _set_status(trip_a, status)

    with pytest.raises(RouteInService):
        route_check_editable(route=trip_a.route)


def test_route_stops_can_change_when_no_trip_is_on_its_way(trip_a):
    route_check_editable(route=trip_a.route)


# --- Edits before departure --------------------------------------------------------------------


def test_update_before_departure_changes_vehicle_and_drivers_and_records_it(
    trip_a, admin_a, driver_a
):
    other = VehicleFactory(company=trip_a.route.company)

    trip_update(trip=trip_a, by=admin_a, vehicle=other, drivers=[driver_a], reason="swap")

    trip_a.refresh_from_db()
    assert trip_a.vehicle == other
    assert list(trip_a.drivers.all()) == [driver_a]
    event = TripEvent.objects.get()
    assert (event.action, event.by, event.reason) == ("update", admin_a, "swap")
    assert event.details == {
        "vehicle": [trip_a.route.default_vehicle_id, other.pk],
        "drivers": [[], [driver_a.pk]],
    }


def test_update_refuses_a_vehicle_of_another_company(trip_a, line_b):
    _, vehicle_b, _ = line_b

    with pytest.raises(ValidationError) as exc:
        trip_update(trip=trip_a, vehicle=vehicle_b)

    assert exc.value.message_dict == {"vehicle": ["Choose an active vehicle of this company."]}
    trip_a.refresh_from_db()
    assert trip_a.vehicle.code == "A BUS 1"


def test_update_refuses_drivers_who_do_not_drive_for_the_company(trip_a, driver_b, agent_a):
    with pytest.raises(ValidationError) as exc:
        trip_update(trip=trip_a, drivers=[driver_b, agent_a])

    assert exc.value.message_dict == {"drivers": ["Not a driver of this company."]}
    assert list(trip_a.drivers.all()) == []


def test_delete_before_departure_removes_the_trip(trip_a):
    trip_delete(trip=trip_a)

    assert not Trip.objects.filter(pk=trip_a.pk).exists()
