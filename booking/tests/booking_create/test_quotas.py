"""Booking through `booking_create`, each quota rule at its edges: when Tatkal opens and how
many it takes, LADIES and SENIOR berths and when they fall back to GENERAL."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fleet.models import Station

from ...exceptions import (
    BookingNotOpen,
    InvalidBooking,
)
from ...models import Passenger
from ...sales.inventory import inventory_ensure
from ..factories import IST, adult, funded_user
from .support import (
    SENIOR_SEATS,
    SL_FARE,
    balance,
    place_quota,
    seats,
    snapshot,
    woman,
)

pytestmark = pytest.mark.django_db


# --- Tatkal ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("class_code", "hour", "fare"), [("2A", 10, 68_250), ("3A", 10, 46_800), ("SL", 11, 17_550)]
)
def test_tatkal_opens_the_day_before_at_10_for_ac_and_11_otherwise(
    make_sleeper_trip, book, class_code, hour, fare
):
    # given
    trip = make_sleeper_trip(class_code=class_code)
    user = funded_user()
    inventory_ensure(trip_id=trip.pk)
    opens = datetime(2030, 1, 6, hour, 0, tzinfo=IST)
    before = snapshot(trip, user)

    # when: a second early, then on the minute
    with pytest.raises(BookingNotOpen) as refused:
        book(
            trip, user=user, class_code=class_code, quota="TATKAL", now=opens - timedelta(seconds=1)
        )
    assert snapshot(trip, user) == before
    pnr = book(trip, user=user, class_code=class_code, quota="TATKAL", now=opens)

    # then
    assert refused.value.code == "booking_not_open"
    assert refused.value.message == (
        f"Tatkal booking for this journey opens at {hour}:00 on 06 Jan 2030 (Asia/Kolkata)."
    )
    assert (pnr.quota, pnr.total_fare) == ("TATKAL", fare)
    assert [(p.status, p.quota) for p in pnr.passenger_list] == [("CNF", "TATKAL")]
    assert balance(user) == before["balance"] - fare


def test_tatkal_opens_in_the_boarding_stations_time_zone(trip, book):
    # given: ST1 in Dubai (IST - 1:30); the trip leaves it at 06:30 local on 7 January
    Station.objects.filter(code="ST1").update(time_zone="Asia/Dubai")
    opens = datetime(2030, 1, 6, 11, 0, tzinfo=ZoneInfo("Asia/Dubai"))

    # when
    with pytest.raises(BookingNotOpen) as refused:
        book(trip, quota="TATKAL", now=opens - timedelta(seconds=1))
    pnr = book(trip, quota="TATKAL", now=opens)

    # then: 11:00 in Dubai is 12:30 in India
    assert refused.value.message == (
        "Tatkal booking for this journey opens at 11:00 on 06 Jan 2030 (Asia/Dubai)."
    )
    assert opens.astimezone(IST).hour == 12
    assert pnr.quota == "TATKAL"


def test_tatkal_takes_four_passengers_at_most(trip, book):
    user = funded_user()
    now = datetime(2030, 1, 6, 11, 0, tzinfo=IST)
    before = snapshot(trip, user)

    with pytest.raises(InvalidBooking) as refused:
        book(trip, [adult(f"P{i}") for i in range(5)], user=user, quota="TATKAL", now=now)
    assert snapshot(trip, user) == before
    pnr = book(trip, [adult(f"P{i}") for i in range(4)], user=user, quota="TATKAL", now=now)

    assert (refused.value.status_code, refused.value.code) == (400, "invalid")
    assert refused.value.fields == {"passengers": ["Give between 1 and 4 passengers."]}
    assert [p.status for p in pnr.passenger_list] == ["CNF"] * 4


def test_other_quotas_take_six_passengers_at_most(trip, book):
    with pytest.raises(InvalidBooking) as refused:
        book(trip, [adult(f"P{i}") for i in range(7)])
    pnr = book(trip, [adult(f"P{i}") for i in range(6)])

    assert refused.value.fields == {"passengers": ["Give between 1 and 6 passengers."]}
    assert len(pnr.passenger_list) == 6


# --- Ladies and senior ------------------------------------------------------------------------


def test_ladies_with_a_man_on_the_pnr_falls_back_to_general(trip, book):
    pnr = book(trip, [woman(), adult("Ravi")], quota="LADIES")

    assert pnr.quota == "GENERAL"
    assert seats(pnr) == [("CNF", "GENERAL", "11", 0), ("CNF", "GENERAL", "13", 0)]
    assert pnr.total_fare == 2 * SL_FARE


def test_an_all_female_pnr_gets_ladies_berths(trip, book):
    pnr = book(trip, [woman("Asha"), woman("Meena", 8)], quota="LADIES")

    assert pnr.quota == "LADIES"
    assert seats(pnr) == [("CNF", "LADIES", "2", 0), ("CNF", "LADIES", "3", 0)]
    assert {place_quota(trip, "2"), place_quota(trip, "3")} == {"LADIES"}


@pytest.mark.parametrize(
    ("age", "gender", "expected"),
    [
        (59, "M", ("GENERAL", "11", "UB")),  # not senior, no lower-berth need
        (60, "M", ("SENIOR", "1", "LB")),
        (57, "F", ("GENERAL", "25", "LB")),  # not senior, but a woman of 45+: a lower berth
        (58, "F", ("SENIOR", "1", "LB")),
    ],
)
def test_senior_quota_starts_at_60_for_men_and_58_for_women(trip, book, age, gender, expected):
    pnr = book(trip, [adult("Elder", age, gender)], quota="SENIOR")

    passenger = Passenger.objects.select_related("seat").get(pnr=pnr)
    assert (pnr.quota, passenger.seat.number, passenger.seat.berth_type) == expected
    assert passenger.quota == expected[0]


def test_senior_quota_with_three_passengers_falls_back_to_general_lower_berths(trip, book):
    pnr = book(trip, [adult("A", 70), adult("B", 71), adult("C", 72)], quota="SENIOR")

    assert pnr.quota == "GENERAL"
    assert seats(pnr) == [
        ("CNF", "GENERAL", "25", 0),
        ("CNF", "GENERAL", "28", 0),
        ("CNF", "GENERAL", "33", 0),
    ]
    assert not {s[2] for s in seats(pnr)} & SENIOR_SEATS


def test_a_quota_whose_seats_are_gone_falls_back_to_general(make_sleeper_trip, book):
    # given: one LADIES berth (berth 1)
    trip = make_sleeper_trip(quotas={"LADIES": 1})

    # when
    first = book(trip, [woman("Asha"), woman("Meena")], quota="LADIES")
    second = book(trip, [woman("Uma")], quota="LADIES")

    # then: the PNR stays LADIES; each passenger holds the quota of the berth it got
    assert (first.quota, second.quota) == ("LADIES", "LADIES")
    assert seats(first) == [("CNF", "LADIES", "1", 0), ("CNF", "GENERAL", "2", 0)]
    assert seats(second) == [("CNF", "GENERAL", "3", 0)]
