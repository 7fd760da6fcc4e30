"""The short train the stateful booking test runs on (its stops, class, fares, rake, and the
moments a run stands at) and the hypothesis strategies of what is asked of it (bookings,
journeys, payers), with the readings the machine compares and notes for the statistics."""

import dataclasses
import itertools
import os
from datetime import datetime, timedelta

import hypothesis.strategies as st
from hypothesis import event

from ..sales.services.precheck import PassengerIn
from . import reference_model as model
from .factories import IST

STOPS = 5
KM_PER_LEG = 100
CLASS = "2A"
# The trip leaves stop 1 at 08:00 on 2030-01-07 and each later stop 65 minutes after the one
# before (factories.make_trip). Tatkal for a 2A journey on the 7th opens at 10:00 on the 6th.
DEPARTURE = datetime(2030, 1, 7, 8, 0, tzinfo=IST)
TATKAL_OPENS = datetime(2030, 1, 6, 10, 0, tzinfo=IST)
# The machine's now, one per run, chosen so that every tier of the refund policy and each
# tier's boundary falls on some boarding stop (stops 1-4 leave at 08:00, 09:05, 10:10, 11:15).
NOWS = (
    datetime(2030, 1, 6, 12, 0, tzinfo=IST),  # 20 h to 23 h 15 min before: 50 % charge
    datetime(2030, 1, 6, 10, 10, tzinfo=IST),  # stop 3 exactly 24 h before: 25 %; 1-2 50 %
    datetime(2030, 1, 6, 20, 0, tzinfo=IST),  # stop 1 exactly 12 h before: 50 %
    datetime(2030, 1, 6, 20, 1, tzinfo=IST),  # stop 1 11 h 59 min before: no refund
    datetime(2030, 1, 6, 23, 0, tzinfo=IST),  # stops 1-3 9 h to 11 h 10 min: no refund
    datetime(2030, 1, 5, 8, 0, tzinfo=IST),  # stop 1 exactly 48 h before: 10 %; Tatkal shut
    datetime(2030, 1, 5, 9, 6, tzinfo=IST),  # stops 1-2 just under 48 h: 25 %; 3-4 10 %
)
RATE_PER_KM, MINIMUM_FARE = 150, 20_000
MULTIPLIERS_BP = {"TATKAL": 13_000, "FOREIGN_TOURIST": 15_000}
# A short rake, so that a run fills it and people wait: the first bays of two 2A coaches (6
# berths a bay, LB UB LB UB SL SU; the first 3 side lowers of a coach are RAC berths). A1: 2
# bays, 10 berths and 2 RAC berths; A2: 1 bay, 5 berths and 1 RAC berth.
BAYS_KEPT = (2, 1)
POOR = 2  # of the three users, the one with little money
# Examples per run of the test; raise it for a longer hunt (TTMS_HYPOTHESIS_EXAMPLES=300).
EXAMPLES = int(os.environ.get("TTMS_HYPOTHESIS_EXAMPLES", "25"))

WAITING = (model.RAC, model.WL)
# What the model says of each passenger, in its order.
PASSENGER_FIELDS = ("status", "booking_status", "quota", "seat_id", "half", "fare", "refund")
QUOTAS = ["GENERAL", "LADIES", "SENIOR", "TATKAL", "FOREIGN_TOURIST"]
genders = st.sampled_from("MFT")
ages = st.integers(min_value=5, max_value=90) | st.sampled_from([44, 45, 57, 58, 59, 60])
preferences = st.sampled_from(["", "", "", "LB", "UB", "SL", "SU", "MB"])
payers = st.sampled_from([0, 1] * 3 + [POOR])  # the poor user pays a seventh of the time
sometimes = st.sampled_from([False, False, False, True])
_trip_numbers = itertools.count(1)


@st.composite
def bookings(draw):
    """(quota, passengers): half of the time shaped to fit the quota (all women for LADIES,
    one or two seniors, or nearly, for SENIOR), otherwise anyone, eligible or not."""
    quota = draw(st.sampled_from(QUOTAS))
    fitting = draw(st.booleans())
    most = {"TATKAL": 4, "SENIOR": 2 if fitting else 6}.get(quota, 6)
    people = []
    for i in range(draw(st.integers(min_value=1, max_value=most))):
        gender = "F" if fitting and quota == "LADIES" else draw(genders)
        if fitting and quota == "SENIOR":
            senior_at = 58 if gender == "F" else 60  # and a year either side, now and then
            age = draw(
                st.integers(min_value=senior_at, max_value=90)
                | st.sampled_from([senior_at - 1, senior_at, senior_at + 1])
            )
        else:
            age = draw(ages)
        tourist = quota == "FOREIGN_TOURIST"
        people.append(
            PassengerIn(
                name=f"Passenger {i + 1}",
                age=age,
                gender=gender,
                berth_preference=draw(preferences),
                passport_number=f"P{i:07d}" if tourist else "",
                nationality=draw(st.sampled_from(["GB", "us", "JP"])) if tourist else "",
            )
        )
    return quota, people


# Any ride from one stop to a later one; a third of them the whole way, to fill the train.
rides = st.integers(min_value=1, max_value=STOPS - 1).flatmap(
    lambda origin: st.tuples(st.just(origin), st.integers(min_value=origin + 1, max_value=STOPS))
)
journeys = st.one_of(st.just((1, STOPS)), rides, rides)


def departs(origin: int) -> datetime:
    """When the trip leaves stop `origin` (numbered from 1)."""
    return DEPARTURE + timedelta(minutes=65 * (origin - 1))


def rebind(given: model.Given, train: model.Train) -> model.Given:
    """`given` with its place taken from `train` (a copy of the machine's)."""
    place = given.place and train.places[given.place.id]
    return dataclasses.replace(given, place=place)


def split(mask: int) -> tuple[int, int]:
    return mask & ((1 << 63) - 1), mask >> 63


def tier(left: timedelta) -> str:
    """The refund tier `left` falls in, for the statistics."""
    for at_least, _ in model.REFUND_TIERS:
        if left >= at_least:
            return f"at least {at_least.total_seconds() / 3600:.0f} h"
    return "less than 12 h"


def note_moves(moves: list[tuple[str, str]]) -> None:
    for before, after in sorted(set(moves)):
        event(f"promoted {before} to {after}")
