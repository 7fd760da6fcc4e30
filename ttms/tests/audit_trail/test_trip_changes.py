"""The audit trail of trips (DESIGN.md 9): status changes, cancellation with each booking
refunded, a passenger's cancellation, the drivers updated, a vehicle swap, and a deleted
trip's history kept.

Each test performs one service action and asserts the exact entry; each refusal asserts
that no entry was written."""

from datetime import timedelta

import pytest

from booking.lifecycle.services.cancellation import booking_cancel
from booking.lifecycle.services.swap import vehicle_swap
from booking.lifecycle.services.trips import trip_cancel
from booking.models import Pnr
from booking.tests.factories import adult, funded_user
from fleet.exceptions import InvalidStatusTransition
from fleet.models import Trip, TripStatus
from fleet.services import (
    standard_layout,
    travel_class_standard,
    trip_delete,
    trip_transition,
    trip_update,
    vehicle_create,
)
from fleet.tests.factories import staff_user
from ttms.accounts.models import Role

from .support import FARE, book, entries, target

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def test_a_status_change_is_audited_with_the_statuses_and_the_user(bus_trip):
    trip_transition(trip=bus_trip, to_status=TripStatus.BOARDING, by=bus_trip.admin)

    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.status_changed",
            "target": target(bus_trip),
            "company": bus_trip.route.company,
            "data": {"from": "scheduled", "to": "boarding", "reason": ""},
        }
    ]


def test_a_status_change_refused_writes_no_entry(bus_trip):
    with pytest.raises(InvalidStatusTransition):
        trip_transition(trip=bus_trip, to_status=TripStatus.ARRIVED, by=bus_trip.admin)

    assert entries() == []


def test_cancelling_a_trip_audits_the_trip_and_each_booking_refunded(bus_trip):
    holder = funded_user()
    pnr = book(bus_trip, [adult("Asha", 34, "F"), adult("Ravi")], user=holder)

    trip_cancel(trip=bus_trip, by=bus_trip.admin, reason="Landslide near ST2")

    company = bus_trip.route.company
    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.cancelled",
            "target": target(Trip.objects.get(pk=bus_trip.pk)),
            "company": company,
            "data": {"from": "scheduled", "to": "cancelled", "reason": "Landslide near ST2"},
        },
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "booking.cancelled",
            "target": target(pnr),
            "company": company,
            "data": {
                "cause": "trip_cancelled",
                "passengers": [1, 2],
                "policy": "full",
                "fare": 2 * FARE,
                "charge": 0,
                "refund": 2 * FARE,
                "currency": "INR",
            },
        },
    ]


def test_a_passengers_cancellation_is_audited_with_the_refund_by_policy(bus_trip):
    holder = funded_user(email="asha@example.test")
    pnr = book(bus_trip, [adult("Asha", 34, "F"), adult("Ravi")], user=holder)
    passenger = pnr.passengers.get(index=2)

    cancellation = booking_cancel(
        pnr=pnr,
        by=holder,
        passenger_ids=[passenger.pk],
        now=bus_trip.departure_at - timedelta(hours=30),
    )

    assert (cancellation.fare, cancellation.refund) == (FARE, 15_000)  # tiered: 24 h, 75 %
    assert entries() == [
        {
            "actor": holder,
            "actor_name": "asha@example.test",
            "action": "booking.cancelled",
            "target": target(Pnr.objects.get(pk=pnr.pk)),
            "company": bus_trip.route.company,
            "data": {
                "cause": "passenger",
                "passengers": [2],
                "policy": "tiered",
                "fare": FARE,
                "charge": 5_000,
                "refund": 15_000,
                "currency": "INR",
            },
        }
    ]


def test_updating_a_trips_drivers_is_audited_with_before_and_after(bus_trip):
    first = staff_user(bus_trip.route.company, role=Role.DRIVER)
    second = staff_user(bus_trip.route.company, role=Role.DRIVER)
    bus_trip.drivers.add(first)

    trip_update(trip=bus_trip, by=bus_trip.admin, drivers=[second], reason="Rota")

    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.updated",
            "target": target(bus_trip),
            "company": bus_trip.route.company,
            "data": {"drivers": [[first.pk], [second.pk]], "reason": "Rota"},
        }
    ]


def test_an_update_that_changes_nothing_writes_no_entry(bus_trip):
    trip_update(trip=bus_trip, by=bus_trip.admin, vehicle=bus_trip.vehicle)

    assert entries() == []


def spare_bus(company, code="SPARE", rows=10):
    return vehicle_create(
        company=company,
        code=code,
        kind="bus",
        coaches=[
            ("B1", travel_class_standard(code="STANDARD"), standard_layout(kind="BUS22", rows=rows))
        ],
    )


def test_a_vehicle_swap_is_audited_with_the_vehicles_and_the_reseating(bus_trip):
    book(bus_trip, [adult("Asha", 34, "F")])
    before = bus_trip.vehicle_id
    spare = spare_bus(bus_trip.route.company)

    vehicle_swap(trip=bus_trip, vehicle=spare, by=bus_trip.admin, reason="Breakdown")

    assert entries("trip.") == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.vehicle_swapped",
            "target": target(Trip.objects.get(pk=bus_trip.pk)),
            "company": bus_trip.route.company,
            "data": {
                "vehicle": [before, spare.pk],
                "reason": "Breakdown",
                "seats": {"STANDARD": 41},
                "kept": 1,
                "reseated": 0,
                "renumbered": [],
            },
        }
    ]


def test_a_vehicle_swap_refused_writes_no_entry(bus_trip):
    book(bus_trip, [adult(f"P{i}") for i in range(6)])
    small = spare_bus(bus_trip.route.company, code="MINI", rows=1)

    with pytest.raises(Exception) as refused:
        vehicle_swap(trip=bus_trip, vehicle=small, by=bus_trip.admin)

    assert refused.value.code == "vehicle_swap_refused"
    assert entries() == []


def test_deleting_a_trip_keeps_its_history(bus_trip):
    trip_pk, shown = bus_trip.pk, str(bus_trip)

    trip_delete(trip=bus_trip, by=bus_trip.admin)

    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.deleted",
            "target": (Trip, str(trip_pk), shown),
            "company": bus_trip.route.company,
            "data": {
                "route": bus_trip.route.number,
                "service_date": "2030-01-07",
                "departure_at": "2030-01-07T02:30:00+00:00",
            },
        }
    ]
