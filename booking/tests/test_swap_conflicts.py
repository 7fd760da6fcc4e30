"""A vehicle swap never puts the new vehicle on two trips at once: a bus already on a trip
whose times overlap (the turnaround included) is refused by the service, the admin's action
and the operator API, naming that trip, with nothing changed."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from fleet.exceptions import AssignmentConflict
from fleet.models import Trip, TripStatus
from fleet.tests.factories import staff_user
from ttms.accounts.models import Role

from ..lifecycle.services.swap import vehicle_swap
from .swaps import bus, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


@pytest.fixture
def busy_bus(bus_trip, sell):
    """A trip (08:00-10:10 IST, bus BUS-2) with 3 seats sold, and BUS-3 on another run of
    its route leaving at 09:00 IST: (trip, BUS-3, that run, the message naming it)."""
    trip = bus_trip(rows=2)
    sell(trip, 3)
    other_bus = bus(trip.route.company, "BUS-3", 3)
    other = Trip.objects.create(
        route=trip.route,
        service_date=trip.service_date,
        departure_at=trip.departure_at + timedelta(hours=1),
        arrival_at=trip.arrival_at + timedelta(hours=1),
        vehicle=other_bus,
    )
    message = (
        f"Vehicle BUS-3 is already on trip {trip.route.number} leaving 07 Jan 2030 09:00 IST "
        "and arriving 07 Jan 2030 11:10 IST; a vehicle needs 20 minutes between trips."
    )
    return trip, other_bus, other, message


def test_swap_to_a_bus_on_an_overlapping_trip_is_refused_naming_it(busy_bus):
    trip, other_bus, _, message = busy_bus
    before = snapshot(trip)

    with pytest.raises(AssignmentConflict) as refused:
        vehicle_swap(trip=trip, vehicle=other_bus, by=None)

    assert refused.value.message == message
    assert refused.value.fields == {"vehicle": [message]}
    assert snapshot(trip) == before


def test_swap_of_a_trip_nobody_has_booked_is_refused_too(bus_trip):
    trip = bus_trip(rows=2)
    other_bus = bus(trip.route.company, "BUS-3", 3)
    Trip.objects.create(
        route=trip.route,
        service_date=trip.service_date,
        departure_at=trip.arrival_at + timedelta(minutes=19),
        arrival_at=trip.arrival_at + timedelta(hours=2),
        vehicle=other_bus,
    )

    with pytest.raises(AssignmentConflict):
        vehicle_swap(trip=trip, vehicle=other_bus, by=None)

    assert Trip.objects.get(pk=trip.pk).vehicle.code == "BUS-2"


def test_swap_to_a_bus_whose_overlapping_trip_is_cancelled_goes_ahead(busy_bus):
    trip, other_bus, other, _ = busy_bus
    Trip.objects.filter(pk=other.pk).update(status=TripStatus.CANCELLED)

    result = vehicle_swap(trip=trip, vehicle=other_bus, by=None)

    assert (result.kept, Trip.objects.get(pk=trip.pk).vehicle_id) == (3, other_bus.pk)


def test_admin_swap_action_reports_the_overlapping_trip(client, busy_bus):
    trip, other_bus, _, message = busy_bus
    before = snapshot(trip)
    client.force_login(staff_user(trip.route.company, Role.SCHEDULER))

    done = client.post(
        reverse("admin:fleet_trip_changelist"),
        {"action": "swap_vehicle", "_selected_action": [trip.pk], "vehicle": other_bus.pk},
        follow=True,
    )

    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        f"{Trip.objects.get(pk=trip.pk)}: {message}"
    ]
    assert snapshot(trip) == before


def test_operator_api_swap_answers_409_naming_the_overlapping_trip(api_client, busy_bus):
    trip, other_bus, _, message = busy_bus
    before = snapshot(trip)
    api_client.force_authenticate(staff_user(trip.route.company, Role.SCHEDULER))

    response = api_client.post(
        f"/api/v1/operator/trips/{trip.pk}/vehicle/", {"vehicle": other_bus.pk}
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "assignment_conflict",
            "message": message,
            "fields": {"vehicle": [message]},
        }
    }
    assert snapshot(trip) == before
