"""A trip's vehicle swapped before it departs: passengers keep their seat numbers where the new
layout has them, the others are reseated deterministically and told, those waiting are
promoted into any extra seats, RAC passengers keep their half berths, and bookings racing the
swap all land on the new vehicle (DESIGN.md 5, Bus swap)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection

from fleet.models import Company, Seat, Trip, TripEvent
from fleet.services import (
    standard_layout,
    travel_class_standard,
    vehicle_create,
)
from fleet.tests.factories import CompanyFactory
from ttms.invariants import broken_invariants
from ttms.notifications.models import OutboxMessage

from ..exceptions import Busy, VehicleSwapRefused
from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.swap import vehicle_swap
from ..models import Passenger, Place, Promotion, TripClass
from ..sales.services.create import booking_create
from .factories import adult, funded_user, make_trip
from .swaps import bus, seats, snapshot

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


# --- Accepted swaps ------------------------------------------------------------------------------


def test_a_bigger_bus_keeps_seat_numbers_and_promotes_the_waitlist(
    bus_trip, sell, django_capture_on_commit_callbacks
):
    trip = bus_trip(rows=2)  # 8 seats
    # An operator that charts keeps a waiting list (a bus operator's default has none).
    Company.objects.filter(pk=trip.route.company_id).update(charting=True)
    seated = sell(trip, 8)
    waiting = sell(trip, 3)
    assert [s for s, *_ in seats(waiting)] == ["WL", "WL", "WL"]
    bigger = bus(trip.route.company, "BUS-3", 3)  # 12 seats

    with django_capture_on_commit_callbacks(execute=True):
        result = vehicle_swap(
            trip=trip,
            vehicle=bigger,
            by=None,
            reason="Full trip",
            now=trip.departure_at - timedelta(days=1),
        )

    assert (result.kept, result.reseated, result.seats) == (8, [], {"STANDARD": 12})
    assert seats(seated) == [("CNF", "B1", str(n)) for n in range(1, 9)]
    assert seats(waiting) == [("CNF", "B1", "9"), ("CNF", "B1", "10"), ("CNF", "B1", "11")]
    assert all(
        p.seat.coach.vehicle_id == bigger.pk
        for p in Passenger.objects.select_related("seat__coach")
    )
    assert (
        list(Promotion.objects.values_list("from_status", "to_status", "cause"))
        == [("WL", "CNF", "vehicle_swap")] * 3
    )
    trip_class = TripClass.objects.get(trip=trip)
    assert (trip_class.seats, trip_class.promotion_due) == (12, False)
    assert set(Place.objects.values_list("seat__coach__vehicle__code", flat=True)) == {"BUS-3"}
    assert Place.objects.count() == 12
    assert Trip.objects.get(pk=trip.pk).vehicle == bigger
    event = TripEvent.objects.get(trip=trip)
    assert (event.action, event.reason, event.details) == (
        "vehicle_swap",
        "Full trip",
        {
            "vehicle": [trip.vehicle_id, bigger.pk],
            "seats": {"STANDARD": 12},
            "kept": 8,
            "reseated": 0,
            "renumbered": [],
        },
    )
    assert not OutboxMessage.objects.filter(topic="passenger.reseated").exists()
    assert OutboxMessage.objects.filter(topic="passenger.promoted").count() == 3
    assert broken_invariants() == {}


def test_a_passenger_whose_seat_number_is_missing_is_reseated_and_told(bus_trip, sell, book):
    trip = bus_trip(rows=3)  # seats 1-12
    sold = sell(trip, 12)
    now = trip.departure_at - timedelta(days=2)

    for pnr in (sold[1], sold[2], sold[4], sold[5]):  # seats 2, 3, 5, 6 free again
        booking_cancel(pnr=pnr, by=None, now=now)
    left = [sold[i] for i in (0, 3, 6, 7, 8, 9, 10, 11)]
    assert seats(left) == [("CNF", "B1", str(n)) for n in (1, 4, 7, 8, 9, 10, 11, 12)]
    small = bus(trip.route.company, "BUS-2", 2)  # seats 1-8

    result = vehicle_swap(trip=trip, vehicle=small, by=None, now=now)

    assert seats(left) == [("CNF", "B1", str(n)) for n in (1, 4, 7, 8, 2, 3, 5, 6)]
    assert (result.kept, result.renumbered_classes) == (4, [])
    assert [(r.pnr, r.before.seat, r.after.seat) for r in result.reseated] == [
        (sold[8].number, "9", "2"),
        (sold[9].number, "10", "3"),
        (sold[10].number, "11", "5"),
        (sold[11].number, "12", "6"),
    ]
    told = OutboxMessage.objects.filter(topic="passenger.reseated").order_by("pk")
    first = told.first()
    assert (first.user_id, first.payload) == (
        sold[8].user_id,
        {
            "pnr": sold[8].number,
            "passenger": 1,
            "name": "P8",
            "class": "STANDARD",
            "vehicle": "BUS-2",
            "from": {"coach": "B1", "seat": "9", "berth": "WINDOW", "half": 0},
            "to": {"coach": "B1", "seat": "2", "berth": "AISLE", "half": 0},
        },
    )
    assert [m.user_id for m in told] == [sold[i].user_id for i in (8, 9, 10, 11)]
    assert TripClass.objects.get(trip=trip).seats == 8
    assert broken_invariants() == {}


def test_segment_bookings_sharing_a_seat_keep_it(bus_trip, sell):
    trip = bus_trip(rows=2)
    first, second = sell(trip, destination="ST2")[0], sell(trip, origin="ST2")[0]
    assert seats([first, second]) == [("CNF", "B1", "1"), ("CNF", "B1", "1")]

    vehicle_swap(trip=trip, vehicle=bus(trip.route.company, "BUS-3", 3), by=None)

    assert seats([first, second]) == [("CNF", "B1", "1"), ("CNF", "B1", "1")]
    assert Place.objects.get(seat__number="1").legs_low == 0b11
    assert broken_invariants() == {}


def test_a_smaller_bus_fits_when_the_busiest_leg_fits(bus_trip, sell):
    """Eight ride ST1→ST2 and eight others ST2→ST3 on a 12-seat bus: 16 tickets, but at most
    eight on a leg, so an 8-seat bus carries them."""
    trip = bus_trip(rows=3)
    early, late = sell(trip, 8, destination="ST2"), sell(trip, 8, origin="ST2")

    result = vehicle_swap(trip=trip, vehicle=bus(trip.route.company, "BUS-2", 2), by=None)

    assert result.kept == 16
    assert seats(early) == seats(late) == [("CNF", "B1", str(n)) for n in range(1, 9)]
    assert broken_invariants() == {}


def test_everyone_is_reseated_from_scratch_when_booking_order_leaves_someone_out(bus_trip, sell):
    """Two seats on the new bus (coach B2: no number is kept), four passengers on a 4-stop
    route: at most two on any leg, but seating them in booking order would leave the last
    without a seat; seated by boarding stop, all fit."""
    trip = bus_trip(rows=2, stops=4)
    r1 = sell(trip, origin="ST1", destination="ST2")[0]  # leg 0
    r2 = sell(trip, origin="ST3", destination="ST4")[0]  # leg 2
    r3 = sell(trip, origin="ST2", destination="ST4")[0]  # legs 1-2
    r4 = sell(trip, origin="ST1", destination="ST3")[0]  # legs 0-1
    pair = bus(trip.route.company, "PAIR", 0, coach="B2", grid="AB")

    result = vehicle_swap(trip=trip, vehicle=pair, by=None)

    assert result.renumbered_classes == ["STANDARD"]
    assert seats([r1, r2, r3, r4]) == [
        ("CNF", "B2", "1"),
        ("CNF", "B2", "2"),
        ("CNF", "B2", "1"),
        ("CNF", "B2", "2"),
    ]
    assert len(result.reseated) == 4
    assert broken_invariants() == {}


def test_a_trip_nobody_booked_simply_changes_vehicle(bus_trip):
    trip = bus_trip(rows=2)
    bigger = bus(trip.route.company, "BUS-3", 3)

    result = vehicle_swap(trip=trip, vehicle=bigger, by=None)

    assert (result.kept, result.reseated) == (0, [])
    assert Trip.objects.get(pk=trip.pk).vehicle == bigger
    assert not TripClass.objects.exists()
    assert TripEvent.objects.get().details == {
        "vehicle": [trip.vehicle_id, bigger.pk],
        "seats": {"STANDARD": 12},
    }


# --- RAC berths -------------------------------------------------------------------------------


def sleeper_rake(company, code: str, berths: int):
    """A rake of one SL coach S1 keeping its first `berths` berths (berth 7 is the first
    RAC side lower)."""
    rake = vehicle_create(
        company=company,
        code=code,
        kind="train",
        coaches=[("S1", travel_class_standard(code="SL"), standard_layout(kind="SL"))],
    )
    Seat.objects.filter(
        coach__vehicle=rake,
        pk__in=list(
            Seat.objects.filter(coach__vehicle=rake)
            .order_by("row", "column", "pk")
            .values_list("pk", flat=True)
        )[berths:],
    ).delete()
    return rake


def test_rac_passengers_keep_their_half_berths_and_are_confirmed_on_a_bigger_rake(
    make_sleeper_trip, book, django_capture_on_commit_callbacks
):
    trip = make_sleeper_trip(berths=8, quotas={})  # 7 berths and RAC berth 7 (two halves)
    confirmed = [book(trip) for _ in range(7)]
    rac = [book(trip), book(trip)]
    assert [seats([p])[0] for p in rac] == [("RAC", "S1", "7"), ("RAC", "S1", "7")]
    bigger = sleeper_rake(trip.route.company, "RAKE-16", 16)  # berths 1-16, RAC: 7 and 15

    with django_capture_on_commit_callbacks(execute=True):
        result = vehicle_swap(trip=trip, vehicle=bigger, by=None)

    assert (result.kept, result.reseated) == (9, [])
    # Kept first (berth 7, halves 1 and 2), then promoted into the new berths.
    assert [seats([p])[0] for p in confirmed] == [
        ("CNF", "S1", str(n)) for n in (1, 2, 3, 4, 5, 6, 8)
    ]
    assert [seats([p])[0] for p in rac] == [("CNF", "S1", "9"), ("CNF", "S1", "10")]
    assert broken_invariants() == {}


def test_rac_passengers_need_rac_berths_on_the_new_rake(make_sleeper_trip, book):
    trip = make_sleeper_trip(berths=8, quotas={})
    for _ in range(9):
        book(trip)  # 7 CNF, 2 RAC
    no_rac = sleeper_rake(trip.route.company, "RAKE-6", 6)  # berths 1-6, none RAC
    before = snapshot(trip)

    with pytest.raises(VehicleSwapRefused) as refused:
        vehicle_swap(trip=trip, vehicle=no_rac, by=None)

    assert refused.value.message == (
        f"Trip {trip.route.number} of 07 Jan 2030 cannot move to RAKE-6: SL: 7 seats are sold "
        "on the busiest leg (Station ST1 → Station ST2), RAKE-6 has 6; SL: 2 RAC passengers "
        "ride on the busiest leg (Station ST1 → Station ST2), RAKE-6 has 0 RAC half berths. "
        "Nothing was changed."
    )
    assert snapshot(trip) == before


# --- Concurrency (PostgreSQL) -------------------------------------------------------------------

THREADS = 16


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_bookings_racing_a_swap_all_land_on_the_new_bus():
    """16 threads book one seat each on a 12-seat bus while it is swapped for a 16-seat
    one: everyone ends up confirmed on the new bus's seats, the books balance."""
    company = CompanyFactory(kind=Company.Kind.BUS)
    trip = make_trip(company=company, coaches=[("B1", "STANDARD")], stops=3)
    Trip.objects.filter(pk=trip.pk).update(vehicle=bus(company, "BUS-3", 3))
    bigger = bus(company, "BUS-4", 4)
    users = [funded_user(10_000_000) for _ in range(THREADS)]
    now = trip.departure_at - timedelta(days=1)
    barrier = threading.Barrier(THREADS + 1)

    def book(i: int) -> str:
        try:
            barrier.wait()
            for _ in range(5):
                try:
                    booking_create(
                        user=users[i],
                        trip_id=trip.pk,
                        origin_code="ST1",
                        destination_code="ST3",
                        class_code="STANDARD",
                        quota="GENERAL",
                        passengers=[adult(f"T{i}")],
                        now=now,
                    )
                    return "booked"
                except Busy:
                    continue
            return "busy"
        finally:
            connection.close()

    def swap() -> None:
        try:
            barrier.wait()
            for _ in range(5):
                try:
                    vehicle_swap(trip=trip, vehicle=bigger, by=None, now=now)
                    return
                except Busy:
                    continue
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS + 1) as pool:
        swapping = pool.submit(swap)
        outcomes = list(pool.map(book, range(THREADS)))
        swapping.result()

    assert outcomes == ["booked"] * THREADS
    assert Trip.objects.get(pk=trip.pk).vehicle == bigger
    assert (
        sorted(Passenger.objects.values_list("status", "seat__coach__vehicle__code"))
        == [("CNF", "BUS-4")] * THREADS
    )
    assert broken_invariants() == {}
