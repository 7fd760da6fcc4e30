"""Booking through `booking_create`, each window at its edges: 60 days ahead (365 for foreign
tourists, with their passport and an ISO 3166 country), and never once the trip left, was
cancelled or is past its boarding time."""

from datetime import datetime, timedelta

import pytest

from fleet.models import Trip

from ...exceptions import (
    BookingNotOpen,
    InvalidBooking,
    TripNotBookable,
)
from ..factories import IST, adult, funded_user
from .support import (
    snapshot,
)

pytestmark = pytest.mark.django_db


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
