"""The operator cancels a trip: every booking on it is cancelled with a full refund and each
holder is told why, once, even when run twice or cut short (DESIGN.md 5, Refunds)."""

from datetime import timedelta

import pytest

from fleet.models import Trip, TripEvent, TripStatus
from ttms.invariants import broken_invariants
from ttms.notifications.models import OutboxMessage

from ...exceptions import Busy
from ...lifecycle.services import trips
from ...lifecycle.services.cancellation import booking_cancel
from ...lifecycle.services.trips import trip_cancel
from ...models import Cancellation, Passenger, TripClass
from .support import FARE, FUNDS, REASON, balance, statuses

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def test_trip_cancel_refunds_every_pnr_in_full_and_tells_each_holder(bus_trip, sold):
    now = bus_trip.departure_at - timedelta(hours=3)  # the tiered policy would keep it all
    asha, ravi, pnrs = sold["asha"], sold["ravi"], sold["pnrs"]
    assert (balance(asha), balance(ravi)) == (FUNDS - 2 * FARE - 10_000, FUNDS - FARE)

    result = trip_cancel(trip=bus_trip, by=None, reason=f"  {REASON} ", now=now)

    bus_trip.refresh_from_db()
    assert bus_trip.status == TripStatus.CANCELLED
    assert (result.resumed, result.reason, result.pending) == (False, REASON, [])
    assert [c.pnr_id for c in result.cancellations] == [p.pk for p in pnrs]
    assert result.refunded == 2 * FARE + FARE + 10_000
    assert [statuses(p) for p in pnrs] == [["CAN", "CAN"], ["CAN"], ["CAN"]]
    assert all(p.refund == p.fare for p in Passenger.objects.all())
    assert list(Cancellation.objects.order_by("pk").values_list("cause", "refund", "charge")) == [
        ("trip_cancelled", 2 * FARE, 0),
        ("trip_cancelled", FARE, 0),
        ("trip_cancelled", 10_000, 0),
    ]
    assert (balance(asha), balance(ravi)) == (FUNDS, FUNDS)
    told = OutboxMessage.objects.filter(topic="trip.cancelled").order_by("pk")
    assert [(m.user_id, m.payload) for m in told] == [
        (
            asha.pk,
            {
                "pnr": pnrs[0].number,
                "trip": bus_trip.pk,
                "number": bus_trip.route.number,
                "service_date": "2030-01-07",
                "reason": REASON,
                "refund": 2 * FARE,
                "currency": "INR",
                "passengers": [1, 2],
            },
        ),
        (
            ravi.pk,
            {
                "pnr": pnrs[1].number,
                "trip": bus_trip.pk,
                "number": bus_trip.route.number,
                "service_date": "2030-01-07",
                "reason": REASON,
                "refund": FARE,
                "currency": "INR",
                "passengers": [1],
            },
        ),
        (
            asha.pk,
            {
                "pnr": pnrs[2].number,
                "trip": bus_trip.pk,
                "number": bus_trip.route.number,
                "service_date": "2030-01-07",
                "reason": REASON,
                "refund": 10_000,
                "currency": "INR",
                "passengers": [1],
            },
        ),
    ]
    assert OutboxMessage.objects.filter(topic="pnr.cancelled").count() == 3
    event = TripEvent.objects.get(trip=bus_trip)
    assert (event.to_status, event.reason) == (TripStatus.CANCELLED, REASON)
    assert list(TripClass.objects.filter(trip=bus_trip).values_list("closed", "promotion_due")) == [
        (True, False)
    ]
    assert broken_invariants() == {}


def test_a_passenger_already_cancelled_is_not_paid_again(bus_trip, sold):
    first = sold["pnrs"][0]
    kiran = Passenger.objects.get(pnr=first, index=2)
    early = booking_cancel(
        pnr=first,
        by=sold["asha"],
        passenger_ids=[kiran.pk],
        now=bus_trip.departure_at - timedelta(days=2),
    )  # 90 % back

    result = trip_cancel(
        trip=bus_trip, by=None, reason=REASON, now=bus_trip.departure_at - timedelta(hours=1)
    )

    assert early.refund == 18_000
    assert result.cancellations[0].lines == [
        {
            "passenger": Passenger.objects.get(pnr=first, index=1).pk,
            "index": 1,
            "name": "Asha",
            "status": "CNF",
            "fare": FARE,
            "charge": 0,
            "refund": FARE,
            "rule": result.cancellations[0].lines[0]["rule"],
        }
    ]
    assert balance(sold["asha"]) == FUNDS - 2_000
    assert broken_invariants() == {}


def test_running_it_twice_pays_nothing_twice(bus_trip, sold):
    now = bus_trip.departure_at - timedelta(hours=3)
    trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)
    counts = (
        Cancellation.objects.count(),
        OutboxMessage.objects.count(),
        TripEvent.objects.count(),
    )

    again = trip_cancel(trip=bus_trip, by=None, reason="another reason", now=now)

    assert (again.resumed, again.cancellations, again.pending) == (True, [], [])
    assert (
        Cancellation.objects.count(),
        OutboxMessage.objects.count(),
        TripEvent.objects.count(),
    ) == counts
    assert (balance(sold["asha"]), balance(sold["ravi"])) == (FUNDS, FUNDS)
    assert broken_invariants() == {}


def test_a_sweep_cut_short_is_finished_by_cancelling_again(bus_trip, sold, monkeypatch):
    """A crash after the trip was cancelled (step 1) and one PNR refunded: the next call
    cancels the rest, telling them the reason given the first time."""
    calls = []

    def dies_on_the_second(**kwargs):
        calls.append(kwargs["pnr"].number)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return booking_cancel(**kwargs)

    monkeypatch.setattr(trips, "booking_cancel", dies_on_the_second)
    now = bus_trip.departure_at - timedelta(hours=3)
    with pytest.raises(RuntimeError):
        trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)
    pnrs = sold["pnrs"]
    assert [statuses(p) for p in pnrs] == [["CAN", "CAN"], ["CNF"], ["CNF"]]
    assert Trip.objects.get(pk=bus_trip.pk).status == TripStatus.CANCELLED
    monkeypatch.undo()

    result = trip_cancel(trip=bus_trip, by=None, reason="", now=now)

    assert result.resumed is True
    assert [c.pnr_id for c in result.cancellations] == [pnrs[1].pk, pnrs[2].pk]
    assert [statuses(p) for p in pnrs] == [["CAN", "CAN"], ["CAN"], ["CAN"]]
    assert [
        m.payload["reason"]
        for m in OutboxMessage.objects.filter(topic="trip.cancelled").order_by("pk")
    ] == [REASON] * 3
    assert (balance(sold["asha"]), balance(sold["ravi"])) == (FUNDS, FUNDS)
    assert broken_invariants() == {}


def test_a_pnr_that_stays_busy_is_left_for_the_next_call(bus_trip, sold, monkeypatch):
    def busy_for_ravi(**kwargs):
        if kwargs["pnr"].user_id == sold["ravi"].pk:
            raise Busy()
        return booking_cancel(**kwargs)

    monkeypatch.setattr(trips, "booking_cancel", busy_for_ravi)
    now = bus_trip.departure_at - timedelta(hours=3)

    result = trip_cancel(trip=bus_trip, by=None, reason=REASON, now=now)

    assert result.pending == [sold["pnrs"][1].number]
    assert statuses(sold["pnrs"][1]) == ["CNF"]
    monkeypatch.undo()
    assert (
        trip_cancel(trip=bus_trip, by=None, reason="", now=now).cancellations[0].pnr_id
        == sold["pnrs"][1].pk
    )
    assert balance(sold["ravi"]) == FUNDS
