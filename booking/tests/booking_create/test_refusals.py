"""Booking through `booking_create`, refusals that write nothing: only if all confirmed, only in
one coach, and without the money."""

import pytest

from payments.exceptions import InsufficientFunds

from ...exceptions import (
    NotAllConfirmed,
    NotOneCoach,
)
from ..factories import adult, funded_user
from .support import (
    SL_FARE,
    seats,
    snapshot,
)

pytestmark = pytest.mark.django_db


def test_only_if_all_confirmed_refuses_a_partly_confirmed_booking(small, book):
    # given: five berths sold
    user = funded_user()
    book(small, [adult(f"C{i}") for i in range(5)])
    before = snapshot(small, user)

    # when
    with pytest.raises(NotAllConfirmed) as refused:
        book(small, [adult("A"), adult("B")], user=user, only_if_all_confirmed=True)

    # then
    assert refused.value.code == "not_all_confirmed"
    assert snapshot(small, user) == before
    assert [s[0] for s in seats(book(small, [adult("A"), adult("B")]))] == ["CNF", "RAC"]


@pytest.fixture
def two_coaches(make_sleeper_trip, book):
    """S1 and S2 of seven berths each (six GENERAL, one RAC); five sold in each."""
    trip = make_sleeper_trip(berths=7, coaches=("S1", "S2"), quotas={})
    for _ in range(2):
        book(trip, [adult(f"C{i}") for i in range(5)])
    return trip


def test_only_in_one_coach_refuses_to_split_a_pnr(two_coaches, book):
    user = funded_user()
    before = snapshot(two_coaches, user)

    with pytest.raises(NotOneCoach) as refused:
        book(two_coaches, [adult("A"), adult("B")], user=user, only_in_one_coach=True)

    assert refused.value.code == "not_one_coach"
    assert snapshot(two_coaches, user) == before
    split = book(two_coaches, [adult("A"), adult("B")])
    assert [
        (p.seat.coach.code, p.seat.number) for p in split.passengers.select_related("seat__coach")
    ] == [("S1", "6"), ("S2", "6")]


def test_only_in_one_coach_also_refuses_rac_or_waitlisted_passengers(small, book):
    user = funded_user()
    book(small, [adult(f"C{i}") for i in range(5)])
    before = snapshot(small, user)

    with pytest.raises(NotOneCoach):
        book(small, [adult("A"), adult("B")], user=user, only_in_one_coach=True)

    assert snapshot(small, user) == before


def test_without_the_money_nothing_is_booked_or_charged(trip, book):
    # given: a wallet one paisa short, and the inventory in place
    user = funded_user(SL_FARE - 1)
    book(trip)
    before = snapshot(trip, user)

    # when
    with pytest.raises(InsufficientFunds) as refused:
        book(trip, user=user)

    # then
    assert refused.value.message == (
        "Your wallet holds ₹134.99; this payment needs ₹135.00. Top up and try again."
    )
    assert snapshot(trip, user) == before
    assert before["balance"] == SL_FARE - 1
