"""Every booking event written by the service that makes the change, in its transaction:
one message per PNR (or passenger) with the payload the registry names and a stable key; none
when the change is refused.

Time is never the clock's: every service call names its `now`."""

from datetime import timedelta

import pytest

from payments.exceptions import InsufficientFunds
from ttms.notifications.events import EVENTS
from ttms.notifications.models import OutboxMessage

from ...exceptions import SoldOut, VehicleSwapRefused
from ...lifecycle.services.cancellation import booking_cancel
from ...lifecycle.services.swap import vehicle_swap
from ...lifecycle.services.trips import trip_cancel
from ...models import Cancellation, Pnr
from ..factories import adult, funded_user
from ..swaps import bus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def messages(topic: str) -> list[tuple]:
    return list(
        OutboxMessage.objects.filter(topic=topic)
        .order_by("pk")
        .values_list("user_id", "dedupe_key", "payload")
    )


def test_a_booking_writes_one_confirmation_with_each_passengers_place_and_fare(
    make_sleeper_trip, book
):
    # given: of 7 berths and an RAC berth (two halves), 6 berths sold
    trip = make_sleeper_trip(berths=8, quotas={})
    holder = funded_user()
    first = book(trip, [adult(f"A{i}") for i in range(6)])

    # when
    pnr = book(
        trip, [adult("Asha", 34, "F"), adult("Ravi"), adult("Om"), adult("Uma")], user=holder
    )

    # then
    fare = pnr.total_fare // 4

    def told(index, name, status, seat, berth, position):
        return {
            "index": index,
            "name": name,
            "status": status,
            "coach": "S1" if seat else "",
            "seat": seat,
            "berth": berth,
            "position": position,
            "fare": fare,
        }

    assert messages("booking.confirmed")[1] == (
        holder.pk,
        f"booking.confirmed:{pnr.number}",
        {
            "pnr": pnr.number,
            "passengers": [
                told(1, "Asha", "CNF", "8", "SU", None),
                told(2, "Ravi", "RAC", "7", "SL", 1),
                told(3, "Om", "RAC", "7", "SL", 2),
                told(4, "Uma", "WL", "", "", 1),
            ],
            "fare": pnr.total_fare,
            "currency": "INR",
        },
    )
    assert [k for _, k, _ in messages("booking.confirmed")] == [
        f"booking.confirmed:{first.number}",
        f"booking.confirmed:{pnr.number}",
    ]
    keys = {key.split(":")[0] for key in EVENTS["booking.confirmed"].payload}
    assert set(messages("booking.confirmed")[1][2]) == keys


def test_a_refused_booking_writes_no_message(bus_trip, sell, book):
    trip = bus_trip(rows=2)  # 8 seats, no waiting list (a bus operator's default)

    with pytest.raises(InsufficientFunds):
        book(trip, [adult()], class_code="STANDARD", user=funded_user(0))
    book(trip, [adult(f"A{i}") for i in range(6)], class_code="STANDARD")
    sell(trip, 2)
    with pytest.raises(SoldOut):
        sell(trip, 1)

    # then: the three bookings made are told, the two refused wrote nothing
    assert OutboxMessage.objects.filter(topic="booking.confirmed").count() == 3
    assert Pnr.objects.count() == 3


def test_a_cancellation_tells_the_refund_and_policy_and_the_promoted_passenger_once(
    make_sleeper_trip, book, django_capture_on_commit_callbacks
):
    trip = make_sleeper_trip(berths=8, quotas={})
    seated = book(trip, [adult(f"A{i}") for i in range(6)])
    waiting = book(trip, [adult(f"W{i}") for i in range(4)])  # CNF, RAC, RAC, WL
    now = trip.departure_at - timedelta(days=1)

    with django_capture_on_commit_callbacks(execute=True):
        cancellation = booking_cancel(
            pnr=seated, by=None, passenger_ids=[seated.passengers.get(index=1).pk], now=now
        )

    ((user_id, key, payload),) = messages("pnr.cancelled")
    assert (user_id, key) == (seated.user_id, f"pnr.cancelled:{cancellation.pk}")
    assert payload == {
        "pnr": seated.number,
        "cause": "passenger",
        "refund": cancellation.refund,
        "currency": "INR",
        "passengers": [1],
        "policy": cancellation.policy,
    }
    promoted = messages("passenger.promoted")
    w1, w3 = waiting.passengers.get(index=2), waiting.passengers.get(index=4)
    assert [(u, k, p["to"]) for u, k, p in promoted] == [
        (waiting.user_id, f"passenger.promoted:{w1.pk}:CNF", "CNF"),
        (waiting.user_id, f"passenger.promoted:{w3.pk}:RAC", "RAC"),
    ]


def test_a_trip_cancellation_tells_each_pnr_once_even_when_run_again(make_sleeper_trip, book):
    trip = make_sleeper_trip(berths=8, quotas={})
    a, b = book(trip, [adult("A")]), book(trip, [adult("B")])
    now = trip.departure_at - timedelta(days=1)

    trip_cancel(trip=trip, by=None, reason="Flooded track", now=now)
    trip_cancel(trip=trip, by=None, reason="Flooded track", now=now)

    assert [(u, k, p["reason"]) for u, k, p in messages("trip.cancelled")] == [
        (a.user_id, f"trip.cancelled:{trip.pk}:{a.number}", "Flooded track"),
        (b.user_id, f"trip.cancelled:{trip.pk}:{b.number}", "Flooded track"),
    ]
    assert OutboxMessage.objects.filter(topic="pnr.cancelled").count() == 2


def test_a_vehicle_swap_tells_every_pnr_the_new_plate_and_the_moved_their_seat(bus_trip, sell):
    trip = bus_trip(rows=3)  # 12 seats
    pnrs = sell(trip, 10)
    smaller = bus(trip.route.company, "RAD 123A", 3, grid="")
    now = trip.departure_at - timedelta(days=1)

    vehicle_swap(trip=trip, vehicle=smaller, by=None, reason="Breakdown", now=now)
    back = vehicle_swap(trip=trip, vehicle=bus(trip.route.company, "RAD 9", 3), by=None, now=now)

    swapped = messages("vehicle.swapped")
    assert swapped[0] == (
        pnrs[0].user_id,
        f"vehicle.swapped:{trip.pk}:1:{pnrs[0].number}",
        {"pnr": pnrs[0].number, "trip": trip.pk, "vehicle": "", "plate": "RAD 123A"},
    )
    assert len(swapped) == 20
    assert swapped[10][1:] == (
        f"vehicle.swapped:{trip.pk}:2:{pnrs[0].number}",
        {"pnr": pnrs[0].number, "trip": trip.pk, "vehicle": "", "plate": "RAD 9"},
    )
    assert back.kept == 10


def test_a_refused_swap_tells_nobody(bus_trip, sell):
    trip = bus_trip(rows=3)
    sell(trip, 10)
    tiny = bus(trip.route.company, "TINY", 2)  # 8 seats for 10 passengers

    with pytest.raises(VehicleSwapRefused):
        vehicle_swap(trip=trip, vehicle=tiny, by=None, now=trip.departure_at - timedelta(days=1))

    assert not OutboxMessage.objects.filter(topic__startswith="vehicle.").exists()
    assert not OutboxMessage.objects.filter(topic="passenger.reseated").exists()


def test_charting_dropped_pnr_is_told_its_refund(make_sleeper_trip, book):
    from ...lifecycle.services.charting import chart_prepare

    trip = make_sleeper_trip(berths=8, quotas={})
    seated = book(trip, [adult(f"A{i}") for i in range(6)])
    last = book(trip, [adult("L")])
    rac = book(trip, [adult("R1"), adult("R2")])
    dropped = book(trip, [adult("Wendy", 30, "F")])
    now = trip.departure_at - timedelta(hours=4)

    chart_prepare(trip=trip, now=now)
    chart_prepare(trip=trip, now=now)

    told = {p["pnr"]: (u, k, p) for u, k, p in messages("chart.prepared")}
    assert set(told) == {seated.number, last.number, rac.number, dropped.number}
    refund = Cancellation.objects.get(pnr=dropped).refund
    assert told[dropped.number] == (
        dropped.user_id,
        f"chart.prepared:{trip.pk}:{dropped.number}",
        {
            "pnr": dropped.number,
            "passengers": [
                {
                    "index": 1,
                    "name": "Wendy",
                    "status": "CAN",
                    "coach": "",
                    "seat": "",
                    "berth": "",
                }
            ],
            "refund": refund,
            "currency": "INR",
        },
    )
    assert refund == dropped.total_fare
    assert told[rac.number][2]["passengers"] == [
        {"index": 1, "name": "R1", "status": "RAC", "coach": "S1", "seat": "7", "berth": "SL"},
        {"index": 2, "name": "R2", "status": "RAC", "coach": "S1", "seat": "7", "berth": "SL"},
    ]
    assert told[rac.number][2]["refund"] == 0
