"""Booking through `booking_create`: each quota and window rule at its edges, RAC and the
waiting list, segments, refusals that write nothing, berths and coaches, lazy inventory.

The trip (conftest `make_sleeper_trip`) leaves ST1 on 7 January 2030 at 08:00 IST and calls
at ST2, ST3, ST4, 100 km apart. With the railway defaults its SL coach S1 earmarks berths
1, 4, 9, 12, 17, 20 (lower) for SENIOR, 2, 3, 5, 6, 8, 10 (the front) for LADIES, 67-72
(the rear) for TATKAL, and side lowers 7, 15, ..., 55 are RAC berths; 11 is the first
GENERAL berth and 25 the first GENERAL lower berth. SL costs 0.45 per km: 13 500 (paise)
for ST1-ST4.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fleet.models import Station, Trip
from payments.exceptions import InsufficientFunds
from payments.models import Account, Transaction

from ..exceptions import (
    BookingNotOpen,
    InvalidBooking,
    NotAllConfirmed,
    NotOneCoach,
    TripNotBookable,
)
from ..models import Passenger, Place, Pnr, TripClass
from ..sales.inventory import inventory_ensure
from .factories import IST, adult, funded_user

pytestmark = pytest.mark.django_db

SL_FARE = 13_500
LADIES_SEATS = {"2", "3", "5", "6", "8", "10"}
SENIOR_SEATS = {"1", "4", "9", "12", "17", "20"}


@pytest.fixture
def trip(make_sleeper_trip):
    return make_sleeper_trip()


def woman(name="Asha", age=30, **kwargs):
    return adult(name, age, "F", **kwargs)


def seats(pnr) -> list[tuple[str, str, str | None, int]]:
    """(status, quota, seat number, half) of each passenger, in order."""
    return [
        (p.status, p.quota, p.seat.number if p.seat else None, p.half)
        for p in Passenger.objects.filter(pnr=pnr).select_related("seat")
    ]


def place_quota(trip, number: str) -> str:
    return Place.objects.get(trip_class__trip=trip, seat__number=number, half=0).quota


def balance(user) -> int:
    return Account.objects.get(kind="wallet", user=user).balance


def snapshot(trip, user) -> dict:
    """What a refused booking must leave as it was."""
    return {
        "pnrs": Pnr.objects.filter(trip=trip).count(),
        "passengers": Passenger.objects.filter(pnr__trip=trip).count(),
        "balance": balance(user),
        "charges": Transaction.objects.filter(kind="booking_charge").count(),
        "masks": list(
            Place.objects.filter(trip_class__trip=trip)
            .order_by("pk")
            .values_list("pk", "legs_low", "legs_high")
        ),
    }


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


# --- Windows --------------------------------------------------------------------------------


def test_booking_opens_60_days_before_the_travel_date_at_midnight(trip, book):
    user = funded_user()
    opens = datetime(2029, 11, 8, 0, 0, tzinfo=IST)
    before = snapshot(trip, user)

    with pytest.raises(BookingNotOpen) as refused:
        book(trip, user=user, now=opens - timedelta(microseconds=1))
    assert snapshot(trip, user) == before
    pnr = book(trip, user=user, now=opens)

    assert refused.value.message == (
        "Booking for this journey opens at 00:00 on 08 Nov 2029 (Asia/Kolkata)."
    )
    assert pnr.passenger_list[0].status == "CNF"


def test_foreign_tourists_book_365_days_ahead_at_one_and_a_half_times_the_fare(trip, book):
    opens = datetime(2029, 1, 7, 0, 0, tzinfo=IST)
    tourist = adult("Jane", 40, "F", passport_number="X1234567", nationality="gb")

    with pytest.raises(BookingNotOpen) as refused:
        book(trip, [tourist], quota="FOREIGN_TOURIST", now=opens - timedelta(microseconds=1))
    with pytest.raises(BookingNotOpen):
        book(trip, now=opens)  # GENERAL is not open yet
    pnr = book(trip, [tourist], quota="FOREIGN_TOURIST", now=opens)

    assert refused.value.message == (
        "Foreign tourist booking for this journey opens at 00:00 on 07 Jan 2029 (Asia/Kolkata)."
    )
    assert (pnr.quota, pnr.total_fare) == ("FOREIGN_TOURIST", 20_250)
    passenger = pnr.passenger_list[0]
    assert (passenger.passport_number, passenger.nationality) == ("X1234567", "GB")


def test_foreign_tourists_need_passport_and_country(trip, book):
    passengers = [
        adult("Jane", passport_number="X1", nationality="GB"),
        adult("John", passport_number="X2"),
        adult("Jim", passport_number=" ", nationality="GB"),
    ]

    user = funded_user()
    before = snapshot(trip, user)

    with pytest.raises(InvalidBooking) as refused:
        book(trip, passengers, user=user, quota="FOREIGN_TOURIST")

    assert snapshot(trip, user) == before
    assert refused.value.status_code == 400
    assert refused.value.fields == {
        "passengers": {
            "1": ["A foreign tourist needs a passport number and country."],
            "2": ["A foreign tourist needs a passport number and country."],
        }
    }


NOT_A_COUNTRY = (
    "'ZZ' is not a country code of ISO 3166-1: give its two letters (GB) or its three (GBR)."
)


@pytest.mark.parametrize("quota", ["FOREIGN_TOURIST", "GENERAL"])
def test_a_country_that_is_not_in_iso_3166_is_refused(trip, book, quota):
    user = funded_user()
    before = snapshot(trip, user)

    with pytest.raises(InvalidBooking) as refused:
        book(
            trip,
            [
                adult("Jane", passport_number="X1", nationality="GB"),
                adult("John", passport_number="X2", nationality="zz"),
            ],
            user=user,
            quota=quota,
        )

    assert refused.value.fields == {"passengers": {"1": [NOT_A_COUNTRY]}}
    assert refused.value.message == NOT_A_COUNTRY
    assert snapshot(trip, user) == before


def test_a_country_given_by_its_three_letters_is_kept_as_its_two(trip, book):
    pnr = book(
        trip,
        [
            adult("Jane", passport_number="X1", nationality=" gbr "),
            adult("Jim", passport_number="X2", nationality="in"),
        ],
        quota="FOREIGN_TOURIST",
    )

    assert [p.nationality for p in pnr.passenger_list] == ["GB", "IN"]
    assert list(pnr.passengers.order_by("index").values_list("nationality", flat=True)) == [
        "GB",
        "IN",
    ]


@pytest.mark.parametrize("status", ["departed", "arrived", "cancelled"])
def test_a_trip_that_left_or_was_cancelled_cannot_be_booked(trip, book, status):
    user = funded_user()
    book(trip)
    Trip.objects.filter(pk=trip.pk).update(status=status)
    before = snapshot(trip, user)

    with pytest.raises(TripNotBookable) as refused:
        book(trip, user=user)

    assert refused.value.message == (
        f"Trip {trip.route.number} of 2030-01-07 is {status}; it cannot be booked."
    )
    assert snapshot(trip, user) == before


def test_a_trip_past_its_boarding_time_cannot_be_booked(trip, book):
    user = funded_user()
    book(trip)
    before = snapshot(trip, user)

    with pytest.raises(TripNotBookable) as refused:
        book(trip, user=user, now=datetime(2030, 1, 7, 8, 0, tzinfo=IST))

    assert refused.value.message == "This trip left Station ST1 at 08:00 IST on 07 Jan 2030."
    assert snapshot(trip, user) == before


# --- RAC and the waiting list ---------------------------------------------------------------


@pytest.fixture
def small(make_sleeper_trip):
    """Berths 1-6 GENERAL, berth 7 an RAC side lower (two half berths)."""
    return make_sleeper_trip(berths=7, quotas={})


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


# --- Refusals that write nothing -------------------------------------------------------------


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
