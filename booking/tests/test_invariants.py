"""The booking invariants (DESIGN.md 7, items 1, 2, 4, 6): they hold after real bookings,
and each one names what is wrong once the data is corrupted behind the services' back."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from payments.ledger.refunds import booking_refund
from ttms.invariants import CHECKS, broken_invariants, run_checks

from .. import invariants
from ..lifecycle.services.promotion import promote_waitlist
from ..models import Cancellation, Passenger, Place, TripClass
from .factories import adult

pytestmark = pytest.mark.django_db

BOOKING_CHECKS = [path for path in CHECKS if path.startswith("booking.")]


def mark_cancelled(passengers, **changes) -> None:
    """Cancel passengers behind the services' back (no refund, no freed place), with the
    record every cancelled passenger must have."""
    pnr = passengers.first().pnr
    record = Cancellation.objects.create(
        pnr=pnr,
        cause="passenger",
        policy="tiered",
        minutes_before_departure=0,
        fare=0,
        charge=0,
        refund=0,
    )
    passengers.update(status="CAN", cancellation=record, **changes)


@pytest.fixture
def trip(make_sleeper_trip):
    """Berths 1-6 GENERAL (LB MB UB LB MB UB), berth 7 an RAC side lower; stops ST1-ST4."""
    return make_sleeper_trip(berths=7, quotas={})


def label(trip) -> str:
    return f"trip {trip.route.number} of 2030-01-07 (SL)"


def seated(pnr) -> list[tuple[str, str | None, int]]:
    return [
        (p.status, p.seat.number if p.seat else None, p.half)
        for p in Passenger.objects.filter(pnr=pnr).select_related("seat")
    ]


def masks(trip) -> dict[tuple[str, int], int]:
    return {
        (number, half): low
        for number, half, low in Place.objects.filter(trip_class__trip=trip).values_list(
            "seat__number", "half", "legs_low"
        )
    }


@pytest.fixture
def full(trip, book):
    """Six CNF (one PNR of six), two RAC sharing berth 7, two WL; all ST1-ST4 (legs 0-2)."""
    cnf = book(trip, [adult(f"C{i}") for i in range(6)])
    rac = book(trip, [adult("R1"), adult("R2")])
    wl = book(trip, [adult("W1"), adult("W2")])
    return cnf, rac, wl


def test_the_booking_checks_are_registered():
    assert BOOKING_CHECKS == [
        "booking.invariants.no_seat_leg_sold_twice",
        "booking.invariants.place_masks_equal_passenger_legs",
        "booking.invariants.pnr_charges_equal_ledger",
        "booking.invariants.nobody_left_promotable",
        "booking.invariants.waiting_order_is_fifo",
    ]


def test_invariants_hold_after_cnf_rac_wl_and_segment_bookings(trip, full, book):
    # given: the full trip, and a berth sold again for ST3-ST4 once ST1-ST3 is free
    mark_cancelled(Passenger.objects.filter(pnr=full[0], index=1))
    Place.objects.filter(trip_class__trip=trip, seat__number="1").update(legs_low=0)
    first = book(trip, origin="ST1", destination="ST3")
    second = book(trip, origin="ST3", destination="ST4")

    # then
    assert seated(first) == [("CNF", "1", 0)]
    assert seated(second) == [("CNF", "1", 0)]
    assert masks(trip)[("1", 0)] == 0b111
    assert run_checks() == {path: [] for path in CHECKS}


def test_check_invariants_command_runs_the_booking_checks(trip, full, capsys):
    # given: sound bookings
    call_command("check_invariants")
    assert [f"ok    {path}" for path in BOOKING_CHECKS] == [
        line for line in capsys.readouterr().out.splitlines() if "booking." in line
    ]

    # when: a place is marked on a leg beyond the route's
    Place.objects.filter(trip_class__trip=trip, seat__number="1").update(legs_high=1)

    # then
    with pytest.raises(CommandError, match="1 invariant"):
        call_command("check_invariants")
    out = capsys.readouterr().out
    assert (
        "FAIL  booking.invariants.place_masks_equal_passenger_legs: 1 problem(s)\n"
        f"      - {label(trip)}, seat S1/1: the inventory marks legs 0-2, 63, its "
        "passengers ride legs 0-2\n"
    ) in out


# --- Item 1: one passenger per seat and leg -------------------------------------------------


def test_two_passengers_on_one_seat_and_leg_are_reported(trip, book):
    # given: two passengers on seats 1 and 2, one of them moved onto the other's seat
    a = book(trip).passenger_list[0]
    b = book(trip, origin="ST2", destination="ST4").passenger_list[0]
    Passenger.objects.filter(pk=b.pk).update(seat_id=a.seat_id)

    # then
    assert invariants.no_seat_leg_sold_twice() == [
        f"{label(trip)}, seat S1/1: passengers {a.pk} (PNR {a.pnr.number}) and {b.pk} "
        f"(PNR {b.pnr.number}) both hold it on legs 1-2"
    ]


def test_the_two_halves_of_an_rac_berth_are_not_a_clash_but_the_same_half_is(trip, full):
    # given: the two RAC passengers on halves 1 and 2 of berth 7
    r1, r2 = full[1].passenger_list
    assert invariants.no_seat_leg_sold_twice() == []

    # when: the second is put on the first one's half
    Passenger.objects.filter(pk=r2.pk).update(half=1)

    # then
    assert invariants.no_seat_leg_sold_twice() == [
        f"{label(trip)}, seat S1/7: passengers {r1.pk} (PNR {r1.pnr.number}) and {r2.pk} "
        f"(PNR {r2.pnr.number}) both hold it on legs 0-2"
    ]


def test_a_confirmed_passenger_on_an_rac_berth_clashes_with_either_half(trip, full):
    # given: the first RAC passenger confirmed on the whole berth, the second still on half 2
    r1, r2 = full[1].passenger_list
    Passenger.objects.filter(pk=r1.pk).update(status="CNF", half=0)

    # then
    assert invariants.no_seat_leg_sold_twice() == [
        f"{label(trip)}, seat S1/7: passengers {r1.pk} (PNR {r1.pnr.number}) and {r2.pk} "
        f"(PNR {r2.pnr.number}) both hold it on legs 0-2"
    ]


def test_cancelled_and_disjoint_passengers_on_one_seat_are_no_clash(trip, book):
    # given: ST1-ST2 and ST2-ST4 on seat 1 (the second moved there), and a cancelled one
    a = book(trip, origin="ST1", destination="ST2").passenger_list[0]
    b = book(trip, origin="ST2", destination="ST4").passenger_list[0]
    c = book(trip).passenger_list[0]
    Passenger.objects.filter(pk=b.pk).update(seat_id=a.seat_id)
    mark_cancelled(Passenger.objects.filter(pk=c.pk), seat_id=a.seat_id)

    # then
    assert invariants.no_seat_leg_sold_twice() == []


# --- Item 2: place masks ----------------------------------------------------------------------


def test_a_place_mask_missing_legs_is_reported(trip, full):
    Place.objects.filter(trip_class__trip=trip, seat__number="3").update(legs_low=0b001)

    assert invariants.place_masks_equal_passenger_legs() == [
        f"{label(trip)}, seat S1/3: the inventory marks leg 0, its passengers ride legs 0-2"
    ]


def test_a_place_marked_occupied_without_passenger_is_reported(trip, book):
    # given: seat 1 booked ST1-ST2; seat 2 marked on leg 2 by nobody; a legs_high bit on 3
    book(trip, origin="ST1", destination="ST2")
    Place.objects.filter(trip_class__trip=trip, seat__number="2").update(legs_low=0b100)
    Place.objects.filter(trip_class__trip=trip, seat__number="3").update(legs_high=1)

    # then
    assert invariants.place_masks_equal_passenger_legs() == [
        f"{label(trip)}, seat S1/2: the inventory marks leg 2, its passengers ride no leg",
        f"{label(trip)}, seat S1/3: the inventory marks leg 63, its passengers ride no leg",
    ]


def test_a_cancelled_passenger_still_marked_on_its_place_is_reported(trip, full):
    r1 = full[1].passenger_list[0]
    mark_cancelled(Passenger.objects.filter(pk=r1.pk))

    assert invariants.place_masks_equal_passenger_legs() == [
        f"{label(trip)}, seat S1/7 (RAC half 1): the inventory marks legs 0-2, its "
        f"passengers ride no leg"
    ]


def test_a_confirmed_passenger_on_an_rac_berth_holds_both_halves(trip, full):
    # given: the second RAC passenger cancelled, the first confirmed on the whole berth
    r1, r2 = full[1].passenger_list
    mark_cancelled(Passenger.objects.filter(pk=r2.pk))
    Passenger.objects.filter(pk=r1.pk).update(status="CNF", half=0)
    assert invariants.place_masks_equal_passenger_legs() == []

    # when: half 2 is freed as if it were the cancelled passenger's alone
    Place.objects.filter(trip_class__trip=trip, seat__number="7", half=2).update(legs_low=0)

    # then
    assert invariants.place_masks_equal_passenger_legs() == [
        f"{label(trip)}, seat S1/7 (RAC half 2): the inventory marks no leg, its passengers "
        f"ride legs 0-2"
    ]


def test_a_passenger_on_a_place_the_inventory_lacks_is_reported(trip, book):
    p = book(trip).passenger_list[0]
    Passenger.objects.filter(pk=p.pk).update(half=1)

    assert invariants.place_masks_equal_passenger_legs() == [
        f"{label(trip)}, seat S1/1: the inventory marks legs 0-2, its passengers ride no leg",
        f"{label(trip)}: passenger {p.pk} holds seat S1/1 (RAC half 1), which has no place "
        f"in the inventory",
    ]


# --- Item 4: PNR against the ledger -------------------------------------------------------------


def test_a_pnr_total_the_ledger_did_not_charge_is_reported(full):
    pnr = full[1]  # two passengers at 13 500 each
    pnr.total_fare = 30_000
    pnr.save(update_fields=["total_fare"])

    assert invariants.pnr_charges_equal_ledger() == [
        f"PNR {pnr.number}: the ledger says 27000 was paid (charged 27000, refunded 0), its "
        f"fare less refunds is 30000 (30000 - 0)",
        f"PNR {pnr.number}: its passengers' fares add up to 27000, its total fare is 30000",
    ]


def test_a_passenger_fare_that_does_not_add_up_is_reported(full):
    pnr = full[2]
    Passenger.objects.filter(pnr=pnr, index=2).update(fare=1)

    assert invariants.pnr_charges_equal_ledger() == [
        f"PNR {pnr.number}: its passengers' fares add up to 13501, its total fare is 27000"
    ]


def test_a_refund_the_booking_does_not_know_of_is_reported(full):
    pnr = full[0]
    booking_refund(reference_type="pnr", reference_id=pnr.number, amount=5_000)

    assert invariants.pnr_charges_equal_ledger() == [
        f"PNR {pnr.number}: the ledger says 76000 was paid (charged 81000, refunded 5000), "
        f"its fare less refunds is 81000 (81000 - 0)"
    ]


# --- Item 5: nobody left promotable ---------------------------------------------------------


def test_a_free_seat_with_passengers_waiting_for_it_is_reported(trip, full):
    # given: a confirmed passenger cancelled, the seat freed, and no promotion run
    mark_cancelled(Passenger.objects.filter(pnr=full[0], index=6))
    Place.objects.filter(trip_class__trip=trip, seat__number="6").update(legs_low=0)
    r1, w1 = full[1].passenger_list[0], full[2].passenger_list[0]

    # then: both queues could move
    assert invariants.nobody_left_promotable() == [
        f"{label(trip)}: 2 RAC passenger(s) of quota GENERAL for legs 0-2 (the first: "
        f"passenger {r1.pk}) could take seat S1/6, free for them",
        f"{label(trip)}: 2 WL passenger(s) of quota GENERAL for legs 0-2 (the first: "
        f"passenger {w1.pk}) could take seat S1/6, free for them",
    ]


def test_a_free_rac_half_with_waitlisted_passengers_is_reported(trip, full):
    r2 = full[1].passenger_list[1]
    mark_cancelled(Passenger.objects.filter(pk=r2.pk))
    Place.objects.filter(trip_class__trip=trip, seat__number="7", half=2).update(legs_low=0)
    w1 = full[2].passenger_list[0]

    assert invariants.nobody_left_promotable() == [
        f"{label(trip)}: 2 WL passenger(s) of quota GENERAL for legs 0-2 (the first: "
        f"passenger {w1.pk}) could take seat S1/7 (RAC half 2), free for them"
    ]


def test_a_class_whose_promotion_is_due_is_not_checked_until_it_has_run(trip, full):
    mark_cancelled(Passenger.objects.filter(pnr=full[0], index=6))
    Place.objects.filter(trip_class__trip=trip, seat__number="6").update(legs_low=0)
    TripClass.objects.filter(trip=trip).update(promotion_due=True)
    assert invariants.nobody_left_promotable() == []

    promote_waitlist(trip_class_id=TripClass.objects.get(trip=trip).pk)

    assert broken_invariants() == {}


def test_a_free_seat_of_another_quota_or_for_other_legs_is_no_promotion(make_sleeper_trip, book):
    # given: berth 6 earmarked TATKAL and free; berth 1 free on leg 0 only; RAC and WL full
    trip = make_sleeper_trip(berths=7, quotas={"TATKAL": 1})
    book(trip, origin="ST2")
    book(trip, [adult(f"C{i}") for i in range(4)])
    waiting = book(trip, [adult("R1"), adult("R2"), adult("W1")])

    # then: nobody waiting fits a place they may take
    assert [p.status for p in waiting.passenger_list] == ["RAC", "RAC", "WL"]
    assert masks(trip)[("1", 0)] == 0b110 and masks(trip)[("6", 0)] == 0
    assert invariants.nobody_left_promotable() == []


# --- Item 6: FIFO within the same fit ---------------------------------------------------------


def test_a_later_rac_passenger_ahead_of_an_earlier_waitlisted_one_is_reported(trip, full):
    # given: the second RAC passenger and the first WL one swap places
    r2 = full[1].passenger_list[1]
    w1 = full[2].passenger_list[0]
    Passenger.objects.filter(pk=r2.pk).update(status="WL", seat=None, half=0)
    Passenger.objects.filter(pk=w1.pk).update(status="RAC", seat=r2.seat_id, half=2)

    # then: the seats are sound, the queue is not
    assert invariants.no_seat_leg_sold_twice() == []
    assert invariants.place_masks_equal_passenger_legs() == []
    assert invariants.waiting_order_is_fifo() == [
        f"{label(trip)}: passenger {w1.pk} (PNR {w1.pnr.number}) is RAC but passenger "
        f"{r2.pk} (PNR {r2.pnr.number}), booked earlier for the same legs 0-2 in quota "
        f"GENERAL, is WL"
    ]


def test_a_booking_confirmed_over_waiting_passengers_of_the_same_fit_is_reported(trip, full, book):
    # given: a confirmed passenger cancelled with the seat freed and nobody promoted
    mark_cancelled(Passenger.objects.filter(pnr=full[0], index=6))
    Place.objects.filter(trip_class__trip=trip, seat__number="6").update(legs_low=0)

    # when: the next booking for the same journey takes the seat
    late = book(trip).passenger_list[0]

    # then: it jumped the first waiting passenger (the earliest RAC)
    r1 = full[1].passenger_list[0]
    assert late.status == "CNF"
    assert invariants.waiting_order_is_fifo() == [
        f"{label(trip)}: passenger {late.pk} (PNR {late.pnr.number}) is CNF but passenger "
        f"{r1.pk} (PNR {r1.pnr.number}), booked earlier for the same legs 0-2 in quota "
        f"GENERAL, is RAC"
    ]


def test_other_legs_or_another_quota_are_not_the_same_fit(trip, full, book):
    # given: seat 6 freed; a shorter journey and a Tatkal booking confirmed after the queue
    mark_cancelled(Passenger.objects.filter(pnr=full[0], index=6))
    Place.objects.filter(trip_class__trip=trip, seat__number="6").update(legs_low=0)
    shorter = book(trip, destination="ST3").passenger_list[0]
    Place.objects.filter(trip_class__trip=trip, seat__number="6").update(legs_low=0)
    mark_cancelled(Passenger.objects.filter(pk=shorter.pk))
    tatkal = book(
        trip, quota="TATKAL", now=trip.departure_at.replace(hour=11) - timedelta(days=1)
    ).passenger_list[0]

    # then
    assert (shorter.status, tatkal.status, tatkal.pnr.quota) == ("CNF", "CNF", "TATKAL")
    assert invariants.waiting_order_is_fifo() == []


def test_passengers_of_one_pnr_keep_their_order(trip, book):
    # given: six CNF, then one PNR of three: RAC, RAC, WL
    book(trip, [adult(f"C{i}") for i in range(6)])
    mixed = book(trip, [adult("A"), adult("B"), adult("C")])
    assert [p.status for p in mixed.passenger_list] == ["RAC", "RAC", "WL"]
    assert invariants.waiting_order_is_fifo() == []

    # when: the third gets the second's RAC half
    _, b, c = mixed.passenger_list
    Passenger.objects.filter(pk=b.pk).update(status="WL", seat=None, half=0)
    Passenger.objects.filter(pk=c.pk).update(status="RAC", seat=b.seat_id, half=2)

    # then
    assert invariants.waiting_order_is_fifo() == [
        f"{label(trip)}: passenger {c.pk} (PNR {mixed.number}) is RAC but passenger {b.pk} "
        f"(PNR {mixed.number}), booked earlier for the same legs 0-2 in quota GENERAL, is WL"
    ]
