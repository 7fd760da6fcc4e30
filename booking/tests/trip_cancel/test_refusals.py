"""Nothing can be booked on a cancelled trip (through the services or the API, even a first
booking in flight), a departed trip cannot be cancelled, and fleet alone does not cancel a
trip with seats on sale (DESIGN.md 5, Refunds)."""

import uuid
from datetime import timedelta

import pytest
import time_machine

from fleet.exceptions import InvalidStatusTransition, TripLocked
from fleet.models import Trip, TripEvent, TripStatus
from fleet.services import TRIP_CANCEL_NEEDED, trip_mark_cancelled

from ...exceptions import TripNotBookable
from ...lifecycle.services.trips import trip_cancel
from ...models import Cancellation, Pnr, TripClass
from ...sales.inventory import inventory_ensure
from ...sales.services.create import booking_create
from ..factories import adult, funded_user
from .support import FUNDS, REASON, balance, statuses

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def test_bookings_are_refused_once_the_trip_is_cancelled(bus_trip, sold):
    user = funded_user(FUNDS)
    now = bus_trip.departure_at - timedelta(days=1)
    trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)

    with pytest.raises(TripNotBookable) as status_check:
        booking_create(
            user=user,
            trip_id=bus_trip.pk,
            origin_code="ST1",
            destination_code="ST3",
            class_code="STANDARD",
            quota="GENERAL",
            passengers=[adult()],
            now=now,
        )
    # A booking that read the trip before the cancellation committed meets the closed class
    # under its lock.
    Trip.objects.filter(pk=bus_trip.pk).update(status=TripStatus.SCHEDULED)
    with pytest.raises(TripNotBookable) as lock_check:
        booking_create(
            user=user,
            trip_id=bus_trip.pk,
            origin_code="ST1",
            destination_code="ST3",
            class_code="STANDARD",
            quota="GENERAL",
            passengers=[adult()],
            now=now,
        )

    refusal = f"Trip {bus_trip.route.number} of 2030-01-07 is cancelled; it cannot be booked."
    assert (status_check.value.message, lock_check.value.message) == (refusal, refusal)
    assert balance(user) == FUNDS
    assert Pnr.objects.count() == 3


def test_a_trip_nobody_booked_is_closed_to_a_first_booking_in_flight(bus_trip):
    """The first booking creates the inventory under the trip's row lock; one that read the
    trip before it was cancelled is refused there, and creates nothing."""
    user = funded_user(FUNDS)
    now = bus_trip.departure_at - timedelta(days=1)

    trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)
    assert not TripClass.objects.filter(trip=bus_trip).exists()
    # What a booking that checked the trip before the cancellation committed calls next:
    with pytest.raises(TripNotBookable) as refused:
        inventory_ensure(trip_id=bus_trip.pk)

    assert refused.value.message == (
        f"Trip {bus_trip.route.number} of 2030-01-07 is cancelled; it cannot be booked."
    )
    assert not TripClass.objects.filter(trip=bus_trip).exists()
    assert (balance(user), Pnr.objects.count()) == (FUNDS, 0)


def test_the_booking_api_answers_trip_not_bookable(api_client, bus_trip, sold):
    trip_cancel(
        trip=bus_trip, by=None, reason=REASON, now=bus_trip.departure_at - timedelta(days=1)
    )
    api_client.force_authenticate(sold["ravi"])

    with time_machine.travel(bus_trip.departure_at - timedelta(days=1), tick=False):
        response = api_client.post(
            "/api/v1/bookings/",
            {
                "trip": bus_trip.pk,
                "from": "ST1",
                "to": "ST3",
                "class": "STANDARD",
                "passengers": [{"name": "Ravi", "age": 30, "gender": "M"}],
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "trip_not_bookable"
    assert balance(sold["ravi"]) == FUNDS


@pytest.mark.parametrize("status", [TripStatus.DEPARTED, TripStatus.ARRIVED])
def test_a_departed_trip_cannot_be_cancelled_and_nothing_changes(bus_trip, sold, status):
    Trip.objects.filter(pk=bus_trip.pk).update(
        status=status, status_changed_at=bus_trip.departure_at
    )

    with pytest.raises(TripLocked) as refused:
        trip_cancel(trip=bus_trip, by=None, reason=REASON, now=bus_trip.departure_at)

    assert "can no longer be changed" in refused.value.message
    assert [statuses(p) for p in sold["pnrs"]] == [["CNF", "CNF"], ["CNF"], ["CNF"]]
    assert not Cancellation.objects.exists()
    assert not TripClass.objects.filter(closed=True).exists()
    assert not TripEvent.objects.exists()


def test_fleet_alone_refuses_to_cancel_a_trip_with_seats_on_sale(bus_trip, sold):
    with pytest.raises(InvalidStatusTransition) as refused:
        trip_mark_cancelled(trip=bus_trip, reason=REASON)

    assert refused.value.message == TRIP_CANCEL_NEEDED
    assert Trip.objects.get(pk=bus_trip.pk).status == TripStatus.SCHEDULED
    assert not TripEvent.objects.exists()
