"""A trip's vehicle swap refused, with nothing changed: a new vehicle too small for the seats
sold, after departure, another company's vehicle, a cancelled or charted trip, and the
vehicle changed by a plain trip update once seats are sold (DESIGN.md 5, Bus swap)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from fleet.exceptions import TripLocked
from fleet.models import Company, Trip, TripStatus
from fleet.services import (
    VEHICLE_SWAP_NEEDED,
    trip_update,
)
from fleet.tests.factories import CompanyFactory

from ..exceptions import VehicleSwapRefused
from ..lifecycle.services.charting import chart_prepare
from ..lifecycle.services.swap import vehicle_swap
from ..lifecycle.services.trips import trip_cancel
from .swaps import bus, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def test_a_smaller_bus_is_refused_when_more_seats_are_sold_and_nothing_changes(bus_trip, sell):
    trip = bus_trip(rows=3)  # 12 seats
    sell(trip, 9, destination="ST2")  # 9 on leg 0
    sell(trip, 4, origin="ST2")  # 4 on leg 1
    small = bus(trip.route.company, "BUS-2", 2)  # 8 seats
    before = snapshot(trip)

    with pytest.raises(VehicleSwapRefused) as refused:
        vehicle_swap(trip=trip, vehicle=small, by=None)

    assert refused.value.message == (
        f"Trip {trip.route.number} of 07 Jan 2030 cannot move to BUS-2: STANDARD: 9 seats are "
        "sold on the busiest leg (Station ST1 → Station ST2), BUS-2 has 8. Nothing was "
        "changed."
    )
    assert refused.value.code == "vehicle_swap_refused"
    assert snapshot(trip) == before


def test_swap_is_refused_after_departure_and_to_another_company_vehicle(bus_trip, sell):
    trip = bus_trip(rows=2)
    sell(trip, 2)
    theirs = bus(CompanyFactory(kind=Company.Kind.BUS), "THEIRS", 3)
    bigger = bus(trip.route.company, "BUS-3", 3)
    before = snapshot(trip)

    with pytest.raises(VehicleSwapRefused) as foreign:
        vehicle_swap(trip=trip, vehicle=theirs, by=None)
    Trip.objects.filter(pk=trip.pk).update(
        status=TripStatus.DEPARTED, status_changed_at=trip.departure_at
    )
    with pytest.raises(TripLocked) as departed:
        vehicle_swap(trip=trip, vehicle=bigger, by=None)

    assert foreign.value.message == "THEIRS is not a vehicle of Volcano Express."
    assert departed.value.message == (
        f"Trip {trip.route.number} of 07 Jan 2030 departed on 07 Jan 2030 04:30 CAT; a departed "
        "trip can no longer be changed."
    )
    assert snapshot(trip) == before


def test_a_cancelled_trip_cannot_change_vehicle(bus_trip, sell):
    trip = bus_trip(rows=2)
    sell(trip, 1)
    trip_cancel(trip=trip, by=None, reason="Flood", now=trip.departure_at - timedelta(days=1))

    with pytest.raises(TripLocked):
        vehicle_swap(trip=trip, vehicle=bus(trip.route.company, "BUS-3", 3), by=None)


def test_a_charted_trip_keeps_its_vehicle(bus_trip, sell):
    trip = bus_trip(rows=2)
    Company.objects.filter(pk=trip.route.company_id).update(charting=True)
    sell(trip, 1)
    chart_prepare(trip=trip, now=trip.departure_at - timedelta(hours=2))
    before = snapshot(trip)

    with pytest.raises(VehicleSwapRefused) as refused:
        vehicle_swap(trip=trip, vehicle=bus(trip.route.company, "BUS-3", 3), by=None)

    assert refused.value.message == (
        f"The chart of trip {trip.route.number} of 07 Jan 2030 is prepared: its berths are "
        "printed and cannot move to another vehicle."
    )
    assert snapshot(trip) == before


def test_trip_update_refuses_to_change_the_vehicle_once_seats_are_sold(bus_trip, sell):
    trip = bus_trip(rows=2)
    sell(trip, 1)
    other = bus(trip.route.company, "BUS-3", 3)

    with pytest.raises(ValidationError) as refused:
        trip_update(trip=trip, vehicle=other)

    assert refused.value.message_dict == {"vehicle": [VEHICLE_SWAP_NEEDED]}
    assert Trip.objects.get(pk=trip.pk).vehicle.code == "BUS-2"
