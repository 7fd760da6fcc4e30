"""Random bookings on a short train, checked after every step against the reference model
(`reference_model.py`): every passenger's status, quota and place, every place's occupied
legs, every PNR's fare and every wallet."""

import itertools
from datetime import datetime

import hypothesis.strategies as st
import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from fleet.models import Seat
from payments.exceptions import InsufficientFunds
from payments.models import Account

from ..exceptions import NotAllConfirmed, NotOneCoach
from ..inventory import inventory_ensure
from ..models import FareRule, Passenger, Place, Pnr
from ..services import PassengerIn, booking_create
from . import reference_model as model
from .factories import IST, funded_user, make_trip, rail_company

STOPS = 5
KM_PER_LEG = 100
CLASS = "2A"
NOW = datetime(2030, 1, 6, 12, 0, tzinfo=IST)  # the trip leaves 2030-01-07 08:00: Tatkal is open
RATE_PER_KM, MINIMUM_FARE = 150, 20_000
MULTIPLIERS_BP = {"TATKAL": 13_000, "FOREIGN_TOURIST": 15_000}
# A short rake, so that a run fills it: the first bays of two 2A coaches (6 berths a bay,
# LB UB LB UB SL SU; the first 3 side lowers of a coach are RAC berths). A1: 4 bays, 21
# berths (one a side lower) and 3 RAC berths; A2: 1 bay, 5 berths and 1 RAC berth.
BAYS_KEPT = (4, 1)
POOR = 2  # of the three users, the one with little money

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
            age = draw(st.integers(min_value=senior_at, max_value=90)
                       | st.sampled_from([senior_at - 1, senior_at, senior_at + 1]))
        else:
            age = draw(ages)
        tourist = quota == "FOREIGN_TOURIST"
        people.append(PassengerIn(name=f"Passenger {i + 1}", age=age, gender=gender,
                                  berth_preference=draw(preferences),
                                  passport_number=f"P{i:07d}" if tourist else "",
                                  nationality=draw(st.sampled_from(["GB", "us", "JP"]))
                                  if tourist else ""))
    return quota, people


# Any ride from one stop to a later one; a third of them the whole way, to fill the train.
rides = st.integers(min_value=1, max_value=STOPS - 1).flatmap(
    lambda origin: st.tuples(st.just(origin), st.integers(min_value=origin + 1,
                                                          max_value=STOPS)))
journeys = st.one_of(st.just((1, STOPS)), rides, rides)


class BookingMachine(RuleBasedStateMachine):
    """Each run books one fresh trip, in a savepoint rolled back at teardown."""

    @initialize(senior=st.integers(0, 4), ladies=st.integers(0, 4), tatkal=st.integers(0, 5),
                tourist=st.integers(0, 3), poor_funds=st.integers(1, 300_000))
    def a_short_train(self, senior, ladies, tatkal, tourist, poor_funds):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        company = rail_company(quota_distribution={CLASS: {
            "SENIOR": senior, "LADIES": ladies, "TATKAL": tatkal,
            "FOREIGN_TOURIST": tourist}})
        FareRule.objects.create(company=company, class_code=CLASS, rate_per_km=RATE_PER_KM,
                                minimum_fare=MINIMUM_FARE, multipliers_bp=MULTIPLIERS_BP)
        self.prefix = f"SM{next(_trip_numbers)}X"
        self.schedule = make_trip(company=company, coaches=(("A1", CLASS), ("A2", CLASS)),
                                  stops=STOPS, km_per_leg=KM_PER_LEG, code_prefix=self.prefix)
        for coach, bays in zip(self.schedule.vehicle.coaches.order_by("position"), BAYS_KEPT,
                               strict=True):
            Seat.objects.filter(coach=coach, row__gte=bays).delete()
        inventory_ensure(schedule_id=self.schedule.pk)
        self.train = model.Train([
            model.Place(*row) for row in Place.objects.filter(
                trip_class__schedule=self.schedule, trip_class__class_code=CLASS,
            ).values_list("pk", "seat_id", "coach_id", "order", "berth_type", "quota", "half")])
        self.users = [funded_user(100_000_000), funded_user(100_000_000),
                      funded_user(poor_funds)]
        self.balances = [100_000_000, 100_000_000, poor_funds]
        self.pnrs: dict[int, tuple] = {}  # pk -> (quota, total fare, legs_low, legs_high)
        self.passengers: dict[tuple[int, int], tuple] = {}  # (pnr pk, index) -> what it holds

    def teardown(self):
        if hasattr(self, "_atomic"):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    @rule(request=bookings(), journey=journeys, user=payers, all_confirmed=sometimes,
          one_coach=sometimes)
    def book(self, request, journey, user, all_confirmed, one_coach):
        quota, given = request
        origin, destination = journey
        people = [model.Person(p.age, p.gender, p.berth_preference) for p in given]
        outcome = self.train.plan(people, quota=quota, origin=origin, destination=destination)
        fare = model.fare(km=(destination - origin) * KM_PER_LEG, quota=outcome.quota,
                          rate_per_km=RATE_PER_KM, minimum=MINIMUM_FARE,
                          multipliers_bp=MULTIPLIERS_BP)
        total = fare * len(people)
        refusals = set()
        if self.balances[user] < total:
            refusals.add(InsufficientFunds)
        if all_confirmed and not outcome.all_confirmed:
            refusals.add(NotAllConfirmed)
        if one_coach and (not outcome.all_confirmed or len(outcome.coaches) > 1):
            refusals.add(NotOneCoach)

        try:
            pnr = booking_create(
                user=self.users[user], schedule_id=self.schedule.pk,
                origin_code=f"{self.prefix}{origin}",
                destination_code=f"{self.prefix}{destination}", class_code=CLASS, quota=quota,
                passengers=given, only_if_all_confirmed=all_confirmed,
                only_in_one_coach=one_coach, now=NOW)
        except (InsufficientFunds, NotAllConfirmed, NotOneCoach) as exc:
            event(f"refused: {type(exc).__name__}")
            assert type(exc) in refusals, f"refused with {exc!r}; the model books {outcome}"
            return
        assert not refusals, f"booked; the model refuses with {refusals}: {outcome}"

        self.train.commit(outcome)
        self.balances[user] -= total
        low, high = split(outcome.mask)
        self.pnrs[pnr.pk] = (outcome.quota, total, low, high)
        for index, seated in enumerate(outcome.passengers, start=1):
            place = seated.place
            self.passengers[pnr.pk, index] = (
                seated.status, seated.status, seated.quota, place.seat_id if place else None,
                place.half if place else 0, fare)
        statuses = {s.status for s in outcome.passengers}
        for status in sorted(statuses):
            event(f"a passenger got {status}")
        if len(statuses) > 1:
            event("a mixed PNR")
        if outcome.quota != quota:
            event("the quota fell back to GENERAL")
        if len({s.quota for s in outcome.passengers if s.status == "CNF"}) > 1:
            event("seats from the quota and from GENERAL")
        if len(outcome.coaches) > 1:
            event("a PNR across coaches")
        if all_confirmed or one_coach:
            event("booked under a condition")

    @invariant()
    def passengers_are_where_the_model_puts_them(self):
        if not hasattr(self, "_atomic"):
            return
        rows = Passenger.objects.filter(pnr__schedule=self.schedule).values_list(
            "pnr_id", "index", "status", "booking_status", "quota", "seat_id", "half", "fare")
        assert {(r[0], r[1]): r[2:] for r in rows} == self.passengers

    @invariant()
    def pnrs_are_what_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        rows = Pnr.objects.filter(schedule=self.schedule).values_list(
            "pk", "quota", "total_fare", "legs_low", "legs_high")
        assert {r[0]: r[1:] for r in rows} == self.pnrs

    @invariant()
    def places_are_taken_on_the_legs_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        rows = Place.objects.filter(trip_class__schedule=self.schedule).values_list(
            "pk", "legs_low", "legs_high")
        assert {pk: (low, high) for pk, low, high in rows} == {
            pk: split(place.legs) for pk, place in self.train.places.items()}

    @invariant()
    def wallets_hold_what_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        balances = dict(Account.objects.filter(kind=Account.Kind.WALLET, user__in=self.users)
                        .values_list("user_id", "balance"))
        assert [balances[u.pk] for u in self.users] == self.balances


def split(mask: int) -> tuple[int, int]:
    return mask & ((1 << 63) - 1), mask >> 63


@pytest.mark.django_db
@pytest.mark.timeout(900)  # passing takes ~20 s; shrinking a failure may take minutes
def test_random_bookings_allocate_as_the_reference_model_does():
    run_state_machine_as_test(BookingMachine, settings=settings(
        max_examples=40, stateful_step_count=30, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow], print_blob=True,
    ))
