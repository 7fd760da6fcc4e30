"""Booking through `booking_create`: RAC and the waiting list, segments sold again, berths and
coaches (lower berths for seniors and women, preferences, one coach when one has room), and
inventory created on the first booking only."""

import pytest

from ...models import Place, TripClass
from ...sales.inventory import inventory_ensure
from ..factories import adult
from .support import (
    SL_FARE,
    seats,
    woman,
)

pytestmark = pytest.mark.django_db


def test_two_rac_passengers_share_one_rac_berth_then_the_waiting_list_starts(small, book):
    # given: the six berths sold
    book(small, [adult(f"C{i}") for i in range(6)])

    # when
    rac = book(small, [adult("R1"), adult("R2")])
    wl = book(small, [adult("W1")])

    # then
    assert seats(rac) == [("RAC", "GENERAL", "7", 1), ("RAC", "GENERAL", "7", 2)]
    assert seats(wl) == [("WL", "GENERAL", None, 0)]
    assert wl.total_fare == SL_FARE  # the waiting list pays too
    halves = Place.objects.filter(trip_class__trip=small, seat__number="7")
    assert sorted(halves.values_list("half", "legs_low")) == [(1, 0b111), (2, 0b111)]


def test_a_pnr_is_allocated_in_order_and_can_end_up_mixed(small, book):
    book(small, [adult(f"C{i}") for i in range(5)])

    pnr = book(small, [adult(f"P{i}") for i in range(4)])

    assert [s[0] for s in seats(pnr)] == ["CNF", "RAC", "RAC", "WL"]


def test_a_berth_sold_a_to_b_is_sold_again_b_to_c(make_sleeper_trip, book):
    # given: one berth
    trip = make_sleeper_trip(berths=1, quotas={})

    # when
    first = book(trip, destination="ST2")
    second = book(trip, origin="ST2", destination="ST4")
    third = book(trip, destination="ST3")

    # then
    assert seats(first) == seats(second) == [("CNF", "GENERAL", "1", 0)]
    assert seats(third) == [("WL", "GENERAL", None, 0)]
    assert Place.objects.get(trip_class__trip=trip).legs_low == 0b111
    assert (first.legs_low, second.legs_low) == (0b001, 0b110)


# --- Berths and coaches ---------------------------------------------------------------------


def test_seniors_and_women_from_45_get_lower_berths_without_asking(small, book):
    pnr = book(small, [woman("Asha", 45), adult("Ravi", 30), adult("Hari", 65)])

    assert [(s[2], s[0]) for s in seats(pnr)] == [("1", "CNF"), ("2", "CNF"), ("4", "CNF")]


def test_a_berth_preference_is_honoured(small, book):
    pnr = book(
        small, [adult("A", berth_preference="UB"), adult("B", berth_preference="MB"), adult("C")]
    )

    assert [s[2] for s in seats(pnr)] == ["3", "2", "1"]


def test_a_pnr_is_seated_in_one_coach_when_one_has_room(make_sleeper_trip, book):
    # given: S1 with two berths left, S2 empty
    trip = make_sleeper_trip(berths=7, coaches=("S1", "S2"), quotas={})
    book(trip, [adult(f"C{i}") for i in range(4)])

    # when
    pnr = book(trip, [adult(f"P{i}") for i in range(3)])

    # then
    assert [
        (p.seat.coach.code, p.seat.number) for p in pnr.passengers.select_related("seat__coach")
    ] == [("S2", "1"), ("S2", "2"), ("S2", "3")]


# --- Lazy inventory ---------------------------------------------------------------------------


def test_inventory_is_created_on_the_first_booking_only(make_sleeper_trip, book):
    # given: two trips, never booked
    trip = make_sleeper_trip()
    other = make_sleeper_trip(code_prefix="OT")
    assert TripClass.objects.count() == Place.objects.count() == 0

    # when
    book(trip)
    places = list(Place.objects.order_by("pk").values_list("pk", flat=True))
    book(trip)

    # then: 65 berths and 7 RAC berths of two halves; nothing for the other trip
    assert len(places) == 65 + 2 * 7
    assert list(Place.objects.order_by("pk").values_list("pk", flat=True)) == places
    assert TripClass.objects.filter(trip=trip).count() == 1
    assert not TripClass.objects.filter(trip=other).exists()
    assert inventory_ensure(trip_id=trip.pk) is False
