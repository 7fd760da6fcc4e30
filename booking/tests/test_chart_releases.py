"""What charting releases (DESIGN.md section 5, Charting): unused LADIES berths to waitlisted
women then seniors, other quota seats to GENERAL promotion in FIFO order, fully waitlisted
PNRs cancelled with a full refund, and after charting a booking taken only if nobody would
wait.

Time is never the clock's: every service call names its `now`."""

from datetime import timedelta

import pytest

from ttms.invariants import broken_invariants

from ..exceptions import CancellationNotAllowed, ChartPrepared
from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.charting import chart_prepare
from ..lifecycle.services.promotion import promote_waitlist
from ..models import Cancellation, Passenger, Place, Pnr, Promotion, TripClass
from .charts import BOOKED, CHART_TIME, balance, status
from .factories import adult, funded_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


# --- The LADIES release and GENERAL promotion ---------------------------------------------


def test_a_free_ladies_berth_goes_to_a_waitlisted_woman_before_earlier_men(make_sleeper_trip, book):
    trip = make_sleeper_trip(berths=8, quotas={"LADIES": 1})  # berth 1 LADIES
    for i in range(8):  # GENERAL berths 2-6 and 8, then the RAC halves of berth 7
        book(trip, [adult(f"M{i}")], now=BOOKED)
    man = book(trip, [adult("Arjun", 30)], now=BOOKED)
    senior_man = book(trip, [adult("Bala", 65)], now=BOOKED)
    woman = book(trip, [adult("Chitra", 30, "F")], now=BOOKED)
    assert [status(p)[0][1] for p in (man, senior_man, woman)] == ["WL", "WL", "WL"]

    chart = chart_prepare(trip=trip, now=CHART_TIME)

    assert status(woman) == [("Chitra", "CNF", "1", 0, "LADIES")]
    assert status(man) == [("Arjun", "CAN", None, 0, "GENERAL")]
    assert status(senior_man) == [("Bala", "CAN", None, 0, "GENERAL")]
    promotion = Promotion.objects.get()
    assert (
        promotion.passenger.pnr_id,
        promotion.from_status,
        promotion.to_status,
        promotion.cause,
        promotion.created_at,
    ) == (woman.pk, "WL", "CNF", "charting", CHART_TIME)
    assert chart.summary["released_to_women"] == 1
    assert chart.summary["released_to_seniors"] == 0
    assert chart.summary["pnrs_cancelled"] == 2
    assert broken_invariants() == {}


def test_the_second_ladies_berth_goes_to_a_senior_and_quota_seats_to_general_in_fifo_order(
    charted_trip,
):
    trip, pnrs = charted_trip

    chart_prepare(trip=trip, now=CHART_TIME)

    assert status(pnrs["Chitra"]) == [("Chitra", "CNF", "1", 0, "LADIES")]
    assert status(pnrs["Bala"]) == [("Bala", "CNF", "2", 0, "LADIES")]
    # The TATKAL berths, now GENERAL: the RAC passengers first, then the waitlist in turn.
    assert status(pnrs["Jai"]) == [("Jai", "CNF", "6", 0, "GENERAL")]
    assert status(pnrs["Kiran"]) == [("Kiran", "CNF", "8", 0, "GENERAL")]
    assert status(pnrs["Arjun"]) == [("Arjun", "RAC", "7", 1, "GENERAL")]
    assert status(pnrs["Dev"]) == [
        ("Dev", "RAC", "7", 2, "GENERAL"),
        ("Ganesh", "WL", None, 0, "GENERAL"),
    ]
    assert set(Place.objects.filter(trip_class__trip=trip).values_list("quota", flat=True)) == {
        "GENERAL",
        "RAC",
    }
    assert list(
        Promotion.objects.values_list("passenger__name", "from_status", "to_status", "cause")
    ) == [
        ("Chitra", "WL", "CNF", "charting"),
        ("Bala", "WL", "CNF", "charting"),
        ("Jai", "RAC", "CNF", "charting"),
        ("Kiran", "RAC", "CNF", "charting"),
        ("Arjun", "WL", "RAC", "charting"),
        ("Dev", "WL", "RAC", "charting"),
    ]
    # Farhan's PNR, cancelled, frees nothing: no promotion is due, and one would move nobody.
    trip_class = TripClass.objects.get(trip=trip)
    assert trip_class.promotion_due is False
    assert promote_waitlist(trip_class_id=trip_class.pk, now=CHART_TIME) == []
    assert broken_invariants() == {}


# --- Waitlisted PNRs -------------------------------------------------------------------------


@pytest.fixture
def sold_out(make_sleeper_trip, book):
    """No quotas; berths 1-6 to one PNR, then a PNR of four (CNF on 8, RAC, RAC, WL)."""
    trip = make_sleeper_trip(berths=8, quotas={})
    book(trip, [adult(f"F{i}") for i in range(6)], now=BOOKED)
    partly = book(trip, [adult("C"), adult("R1"), adult("R2"), adult("W")], now=BOOKED)
    assert [s for _, s, *_ in status(partly)] == ["CNF", "RAC", "RAC", "WL"]
    return trip, partly


def test_a_fully_waitlisted_pnr_is_cancelled_with_its_whole_fare_refunded(sold_out, book):
    trip, _ = sold_out
    user = funded_user(1_000_000)
    waiting = book(trip, [adult("W1"), adult("W2", 40, "F")], user=user, now=BOOKED)
    assert balance(user) == 1_000_000 - waiting.total_fare

    chart = chart_prepare(trip=trip, now=CHART_TIME)

    assert balance(user) == 1_000_000
    cancellation = Cancellation.objects.get()
    assert (
        cancellation.pnr_id,
        cancellation.cause,
        cancellation.fare,
        cancellation.charge,
        cancellation.refund,
        cancellation.policy,
        cancellation.created_at,
        cancellation.cancelled_by,
    ) == (
        waiting.pk,
        "charting",
        waiting.total_fare,
        0,
        waiting.total_fare,
        "full",
        CHART_TIME,
        None,
    )
    assert cancellation.transaction is not None
    assert [
        (p.status, p.refund == p.fare, p.cancellation_id)
        for p in Passenger.objects.filter(pnr=waiting).order_by("index")
    ] == [("CAN", True, cancellation.pk)] * 2
    assert chart.summary["pnrs_cancelled"] == 1
    assert chart.summary["refunded"] == waiting.total_fare
    assert broken_invariants() == {}


def test_charting_never_cancels_a_pnr_with_someone_seated(sold_out):
    _, partly = sold_out  # CNF, RAC, RAC, WL
    pnr = Pnr.objects.select_related("trip__route__company", "origin").get(pk=partly.pk)

    with pytest.raises(CancellationNotAllowed) as refused:
        booking_cancel(pnr=pnr, by=None, cause="charting", now=CHART_TIME)

    assert refused.value.message == (
        f"PNR {pnr.number} has a passenger seated now; charting "
        "cancels only PNRs still wholly waitlisted."
    )
    assert [s for _, s, *_ in status(partly)] == ["CNF", "RAC", "RAC", "WL"]
    assert not Cancellation.objects.exists()


def test_a_partly_waitlisted_pnr_is_kept_and_its_waitlisted_passenger_charted_last(sold_out):
    trip, partly = sold_out

    chart = chart_prepare(trip=trip, now=CHART_TIME)

    assert [s for _, s, *_ in status(partly)] == ["CNF", "RAC", "RAC", "WL"]
    assert not Cancellation.objects.exists()
    assert [(row["name"], row["status"]) for row in chart.rows[-1:]] == [("W", "WL")]
    assert chart.summary["waitlisted"] == 1
    assert broken_invariants() == {}


def test_after_charting_a_booking_is_taken_only_if_nobody_would_wait(sold_out, book):
    trip, partly = sold_out
    chart_prepare(trip=trip, now=CHART_TIME)
    user = funded_user(1_000_000)

    with pytest.raises(ChartPrepared):
        book(trip, [adult("Late")], user=user, now=CHART_TIME + timedelta(minutes=5))
    assert balance(user) == 1_000_000
    assert not Pnr.objects.filter(user=user).exists()

    # Berths freed after the chart (a whole PNR cancelled): those waiting go first (the
    # booking promotes before it allocates), then a newcomer gets a berth.
    filler = Pnr.objects.exclude(pk=partly.pk).get(trip=trip)
    booking_cancel(pnr=filler, by=None, now=CHART_TIME)
    late = book(trip, [adult("Late")], user=user, now=CHART_TIME + timedelta(minutes=5))

    assert [s for _, s, *_ in status(partly)] == ["CNF", "CNF", "CNF", "CNF"]
    assert [s for _, s, *_ in status(late)] == ["CNF"]
    assert broken_invariants() == {}
