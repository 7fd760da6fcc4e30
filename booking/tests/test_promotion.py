"""Promotion after a cancellation: RAC → CNF, WL → RAC/CNF, first come first served among
those whose legs fit the freed place (DESIGN.md section 5, Waitlist and promotion)."""

from datetime import timedelta

import pytest

from ttms.invariants import broken_invariants
from ttms.notifications.models import OutboxMessage

from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.promotion import promote_waitlist
from ..models import Passenger, Place, Promotion, TripClass
from .factories import adult

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def status(pnr) -> list[tuple]:
    return [
        (p.status, p.seat.number if p.seat_id else None, p.half)
        for p in Passenger.objects.filter(pnr=pnr).select_related("seat").order_by("index")
    ]


@pytest.fixture
def full_train(make_sleeper_trip, book):
    """Seven plain berths and one RAC berth on a 4-stop route, every berth sold ST1→ST4
    except berth 1, sold ST1→ST2 (P1) and ST2→ST4 (P2); both RAC halves sold ST1→ST4."""
    trip = make_sleeper_trip(berths=8, quotas={})
    sold = {"p1": book(trip, destination="ST2"), "p2": book(trip, origin="ST2")}
    sold["full"] = [book(trip) for _ in range(6)]
    sold["rac"] = [book(trip), book(trip)]
    assert status(sold["p1"]) == [("CNF", "1", 0)] and status(sold["p2"]) == [("CNF", "1", 0)]
    assert [status(p)[0][0] for p in sold["full"]] == ["CNF"] * 6
    assert [status(p) for p in sold["rac"]] == [[("RAC", "7", 1)], [("RAC", "7", 2)]]
    return trip, sold


def test_a_freed_place_goes_to_the_first_waiting_passenger_whose_legs_fit(
    full_train, book, django_capture_on_commit_callbacks
):
    trip, sold = full_train
    whole = book(trip)  # WL 1, ST1→ST4: does not fit a place freed on leg 0 only
    first_leg = book(trip, destination="ST2")  # WL 2, ST1→ST2: fits
    also_first_leg = book(trip, destination="ST2")  # WL 3, fits, but comes later

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(
            pnr=sold["p1"], by=sold["p1"].user, now=trip.departure_at - timedelta(days=2)
        )

    assert status(whole) == [("WL", None, 0)]  # skipped, not blocking
    assert status(first_leg) == [("CNF", "1", 0)]
    assert status(also_first_leg) == [("WL", None, 0)]
    assert [status(p)[0][0] for p in sold["rac"]] == ["RAC", "RAC"]  # they ride ST1→ST4
    promotion = Promotion.objects.get()
    assert (
        promotion.passenger.pnr_id,
        promotion.from_status,
        promotion.to_status,
        promotion.cause,
    ) == (first_leg.pk, "WL", "CNF", "cancellation")
    message = OutboxMessage.objects.get(topic="passenger.promoted")
    assert message.user_id == first_leg.user_id
    assert message.payload == {
        "pnr": first_leg.number,
        "passenger": 1,
        "name": "Ravi",
        "from": "WL",
        "to": "CNF",
        "coach": "S1",
        "seat": "1",
        "berth": "LB",
    }
    assert TripClass.objects.get(trip=trip).promotion_due is False
    assert broken_invariants() == {}


def test_rac_halves_are_handed_on_and_rejoin(full_train, book, django_capture_on_commit_callbacks):
    trip, sold = full_train
    waiting = [book(trip), book(trip, destination="ST2")]  # WL 1 (whole), WL 2 (leg 0)
    now = trip.departure_at - timedelta(days=2)

    # An RAC passenger cancels: the first waiting passenger takes the half berth.
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(pnr=sold["rac"][0], by=None, now=now)
    assert status(waiting[0]) == [("RAC", "7", 1)]
    assert status(waiting[1]) == [("WL", None, 0)]

    # A confirmed passenger cancels: the first RAC passenger (booked first) is confirmed on
    # that berth, and their half goes to the next waiting passenger who fits.
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(pnr=sold["full"][0], by=None, now=now)
    freed_seat = status(sold["full"][0])[0]
    assert freed_seat[0] == "CAN"
    assert status(sold["rac"][1]) == [("CNF", "2", 0)]
    assert status(waiting[0]) == [("RAC", "7", 1)]
    assert status(waiting[1]) == [("RAC", "7", 2)]
    assert [
        (p.half, p.legs_low)
        for p in Place.objects.filter(trip_class__trip=trip, seat__number="7").order_by("half")
    ] == [(1, 0b111), (2, 0b001)]
    assert broken_invariants() == {}


def test_passengers_of_one_pnr_are_promoted_in_order(
    full_train, book, django_capture_on_commit_callbacks
):
    trip, sold = full_train
    family = book(trip, [adult("A"), adult("B"), adult("C")])
    assert [s for s, *_ in status(family)] == ["WL", "WL", "WL"]

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(pnr=sold["full"][1], by=None, now=trip.departure_at - timedelta(days=2))

    # The first RAC passenger is confirmed; the family's first passenger takes the half.
    assert status(sold["rac"][0])[0][0] == "CNF"
    assert status(family) == [("RAC", "7", 1), ("WL", None, 0), ("WL", None, 0)]


def test_promotion_is_idempotent(full_train, book):
    trip, sold = full_train
    waiting = book(trip, destination="ST2")
    booking_cancel(pnr=sold["p1"], by=None, now=trip.departure_at - timedelta(days=2))
    trip_class = TripClass.objects.get(trip=trip)
    assert trip_class.promotion_due  # the task runs on commit, which this test never reaches

    first = promote_waitlist(trip_class_id=trip_class.pk)
    second = promote_waitlist(trip_class_id=trip_class.pk)

    assert [p.passenger.pnr_id for p in first] == [waiting.pk]
    assert second == []
    assert Promotion.objects.count() == 1
    assert broken_invariants() == {}


def test_a_booking_arriving_before_the_promotion_lets_those_waiting_go_first(full_train, book):
    trip, sold = full_train
    waiting = book(trip, destination="ST2")
    booking_cancel(pnr=sold["p1"], by=None, now=trip.departure_at - timedelta(days=2))

    newcomer = book(trip, destination="ST2")  # the promotion task has not run yet

    assert status(waiting) == [("CNF", "1", 0)]
    assert status(newcomer) == [("WL", None, 0)]
    assert TripClass.objects.get(trip=trip).promotion_due is False
    assert broken_invariants() == {}
