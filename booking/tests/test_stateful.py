"""Random bookings (some asking for a seat), cancellations, promotions and bookings outside
the booking window on a short train, checked at every step against the reference model
(`reference_model.py`): each allocation and promotion against the properties any correct
one has, then every passenger's status, quota, place, fare and refund, every place's
occupied legs, every PNR, every wallet, whether the class's promotion is due, and every
invariant of DESIGN.md section 7. A refused booking writes nothing: the model is unchanged,
and the database must still equal it."""

import copy
import dataclasses
import itertools
import os
from datetime import datetime, time, timedelta

import hypothesis.strategies as st
import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fleet.models import Seat
from payments.exceptions import InsufficientFunds
from payments.models import Account
from ttms.invariants import broken_invariants

from ..exceptions import (
    AlreadyCancelled,
    BookingNotOpen,
    NotAllConfirmed,
    NotOneCoach,
    TripNotBookable,
)
from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.promotion import promote_waitlist
from ..models import FareRule, Passenger, Place, Pnr, TripClass
from ..sales.inventory import inventory_ensure
from ..sales.services.create import booking_create
from ..sales.services.precheck import PassengerIn
from . import reference_model as model
from .factories import IST, funded_user, make_trip, rail_company

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


class BookingMachine(RuleBasedStateMachine):
    """Each run books one fresh trip, in a savepoint rolled back at teardown. The tests run
    in one transaction, so the promotion a cancellation enqueues on commit never runs by
    itself: the machine runs it at once, or later (`promotion_task_runs`), or lets the next
    booking find the class's `promotion_due` and promote first."""

    @initialize(
        senior=st.integers(0, 4),
        ladies=st.integers(0, 4),
        tatkal=st.integers(0, 5),
        tourist=st.integers(0, 3),
        poor_funds=st.integers(1, 300_000),
        now=st.sampled_from(NOWS),
    )
    def a_short_train(self, senior, ladies, tatkal, tourist, poor_funds, now):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = now
        company = rail_company(
            quota_distribution={
                CLASS: {
                    "SENIOR": senior,
                    "LADIES": ladies,
                    "TATKAL": tatkal,
                    "FOREIGN_TOURIST": tourist,
                }
            }
        )
        FareRule.objects.create(
            company=company,
            class_code=CLASS,
            rate_per_km=RATE_PER_KM,
            minimum_fare=MINIMUM_FARE,
            multipliers_bp=MULTIPLIERS_BP,
        )
        self.prefix = f"SM{next(_trip_numbers)}X"
        self.trip = make_trip(
            company=company,
            coaches=(("A1", CLASS), ("A2", CLASS)),
            stops=STOPS,
            departure=DEPARTURE,
            km_per_leg=KM_PER_LEG,
            code_prefix=self.prefix,
        )
        for coach, bays in zip(
            self.trip.vehicle.coaches.order_by("position"), BAYS_KEPT, strict=True
        ):
            Seat.objects.filter(coach=coach, row__gte=bays).delete()
        inventory_ensure(trip_id=self.trip.pk)
        self.trip_class_id = TripClass.objects.get(trip=self.trip, class_code=CLASS).pk
        self.train = model.Train(
            [
                model.Place(*row)
                for row in Place.objects.filter(trip_class_id=self.trip_class_id).values_list(
                    "pk",
                    "seat_id",
                    "coach_id",
                    "berth_type",
                    "quota",
                    "half",
                    "coach_code",
                    "seat_number",
                )
            ]
        )
        # Every seat of the class by its name, RAC berths included (asking for one of those
        # is allowed, and never given: it is no whole seat of a bookable pool).
        self.seat_names = sorted(
            {(p.coach_code, p.seat_number): p.seat_id for p in self.train.places.values()}.items()
        )
        self.users = [funded_user(100_000_000), funded_user(100_000_000), funded_user(poor_funds)]
        self.balances = [100_000_000, 100_000_000, poor_funds]
        self.pnrs: dict[int, tuple] = {}  # pk -> (quota, total fare, legs_low, legs_high)
        self.booked: dict[int, tuple[int, int]] = {}  # pk -> (payer, origin)

    def teardown(self):
        if hasattr(self, "_atomic"):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    @rule(
        request=bookings(),
        journey=journeys,
        user=payers,
        all_confirmed=sometimes,
        one_coach=sometimes,
        data=st.data(),
    )
    def book(self, request, journey, user, all_confirmed, one_coach, data):
        quota, given = request
        origin, destination = journey
        given, people = self._ask_for_seats(given, data)
        # A booking that finds the promotion due promotes first, in the booking's transaction:
        # a refused booking promotes nobody. So the model learns what that promotion does
        # from the code (run in a savepoint, rolled back: the code is deterministic), checks
        # it, and books on a copy.
        train, promoted = self.train, None
        if train.promotion_due:
            savepoint = transaction.savepoint()
            promote_waitlist(trip_class_id=self.trip_class_id, now=self.now)
            after = self._waiting_now()
            transaction.savepoint_rollback(savepoint)
            train = copy.deepcopy(self.train)
            after = {key: rebind(g, train) for key, g in after.items()}
            promoted = train.check_promotion(after)
            train.apply(after)
        outcome = train.expect(people, quota=quota, origin=origin, destination=destination)
        fare = model.fare(
            km=(destination - origin) * KM_PER_LEG,
            quota=outcome.quota,
            rate_per_km=RATE_PER_KM,
            minimum=MINIMUM_FARE,
            multipliers_bp=MULTIPLIERS_BP,
        )
        total = fare * len(people)
        refusals = set()
        if quota == "TATKAL" and self.now < TATKAL_OPENS:
            refusals.add(BookingNotOpen)
        if self.balances[user] < total:
            refusals.add(InsufficientFunds)
        if all_confirmed and not outcome.all_confirmed:
            refusals.add(NotAllConfirmed)
        if one_coach and (not outcome.all_confirmed or not outcome.one_coach_possible):
            refusals.add(NotOneCoach)

        try:
            pnr = booking_create(
                user=self.users[user],
                trip_id=self.trip.pk,
                origin_code=f"{self.prefix}{origin}",
                destination_code=f"{self.prefix}{destination}",
                class_code=CLASS,
                quota=quota,
                passengers=given,
                only_if_all_confirmed=all_confirmed,
                only_in_one_coach=one_coach,
                now=self.now,
            )
        except (BookingNotOpen, InsufficientFunds, NotAllConfirmed, NotOneCoach) as exc:
            event(f"refused: {type(exc).__name__}")
            if promoted is not None:
                event("a refused booking left the promotion due")
            assert type(exc) in refusals, f"refused with {exc!r}; the model books {outcome}"
            return
        assert not refusals, f"booked; the model refuses with {refusals}: {outcome}"

        placed = [
            model.Given(status, quota, train.by_seat.get((seat_id, half)))
            for status, quota, seat_id, half in Passenger.objects.filter(pnr=pnr)
            .order_by("index")
            .values_list("status", "quota", "seat_id", "half")
        ]
        train.check_booking(outcome, people, placed)
        if one_coach:
            assert len({g.place.coach_id for g in placed}) == 1
        train.commit(outcome, pnr=pnr.pk, people=people, fare=fare, given=placed)
        self.train = train
        self.balances[user] -= total
        self.pnrs[pnr.pk] = (outcome.quota, total, *split(outcome.mask))
        self.booked[pnr.pk] = (user, origin)
        if promoted is not None:
            event("a booking promoted first")
            note_moves(promoted)
        statuses = {s.status for s in outcome.passengers}
        for status in sorted(statuses):
            event(f"a passenger got {status}")
        if len(statuses) > 1:
            event("a mixed PNR")
        if outcome.quota != quota:
            event("the quota fell back to GENERAL")
        if len({s.quota for s in outcome.passengers if s.status == "CNF"}) > 1:
            event("seats from the quota and from GENERAL")
        if len({g.place.coach_id for g in placed if g.place is not None}) > 1:
            event("a PNR across coaches")
        for person, expected in zip(people, outcome.passengers, strict=True):
            if person.seat_id is not None:
                event(f"a seat asked for was {'given' if expected.place else 'not free'}")
        if all_confirmed or one_coach:
            event("booked under a condition")

    # Cancellations wait until someone waits, so that a run fills the train before it frees
    # places, and the places freed have somebody to go to.
    @precondition(lambda self: any(r.status in WAITING for r in self.train.riders.values()))
    @rule(data=st.data())
    def cancel(self, data):
        """Cancel a PNR, or some of its passengers (now and then one already cancelled,
        which is refused), then promote at once or leave the promotion due."""
        active = sorted({r.pnr for r in self.train.riders.values() if r.status != model.CAN})
        pnr_pk = data.draw(st.sampled_from(active), label="PNR")
        riders = {r.index: r for r in self.train.riders.values() if r.pnr == pnr_pk}
        live = [i for i, r in sorted(riders.items()) if r.status != model.CAN]
        dead = [i for i, r in sorted(riders.items()) if r.status == model.CAN]
        how = data.draw(st.sampled_from(["whole", "some", "some", "again"]), label="how")
        if how == "whole":
            indexes = None
        elif how == "again" and dead:
            indexes = [data.draw(st.sampled_from(dead), label="cancelled already")]
            indexes += data.draw(st.lists(st.sampled_from(live), unique=True), label="and")
        else:
            indexes = data.draw(
                st.lists(st.sampled_from(live), min_size=1, unique=True), label="passengers"
            )
        refused = indexes is not None and any(i in dead for i in indexes)

        pnr = Pnr.objects.select_related("trip__route__company", "origin").get(pk=pnr_pk)
        ids = None
        if indexes is not None:
            ids = list(
                Passenger.objects.filter(pnr=pnr, index__in=indexes).values_list("pk", flat=True)
            )
        try:
            booking_cancel(pnr=pnr, by=None, passenger_ids=ids, now=self.now)
        except AlreadyCancelled as exc:
            event("refused: AlreadyCancelled")
            assert refused, f"refused with {exc!r}; the model cancels passengers {indexes}"
            return
        assert not refused, f"cancelled passengers {indexes}; some were cancelled already"

        payer, origin = self.booked[pnr_pk]
        left = departs(origin) - self.now
        chosen = live if indexes is None else sorted(indexes)
        for i in chosen:
            rider = riders[i]
            event(
                f"cancelled a {rider.status} passenger"
                + (" of a Tatkal PNR" if rider.pnr_quota == "TATKAL" else "")
            )
        event(
            f"cancelled {'the whole PNR' if indexes is None else 'some passengers'}, "
            f"{tier(left)} before departure"
        )
        self.balances[payer] += self.train.cancel([(pnr_pk, i) for i in chosen], left=left)
        # The promotion enqueued on commit: run at once, once or twice (the second finds
        # nobody to move), or left due for a later step.
        for _ in range(data.draw(st.sampled_from([1, 1, 2, 0]), label="promotion runs")):
            self._promote()

    @precondition(lambda self: self.train.promotion_due)
    @rule()
    def promotion_task_runs(self):
        """The promotion task, run after other steps since the cancellation."""
        self._promote()

    def _promote(self):
        due = self.train.promotion_due
        promotions = promote_waitlist(trip_class_id=self.trip_class_id, now=self.now)
        after = self._waiting_now()
        moves = self.train.check_promotion(after)
        self.train.apply(after)
        assert due or not moves, f"{moves} promoted though nothing was due"
        assert sorted((p.from_status, p.to_status) for p in promotions) == sorted(moves)
        note_moves(moves)

    def _waiting_now(self) -> dict[tuple[int, int], model.Given]:
        """What the code holds for each passenger the model has waiting (RAC or WL)."""
        waiting = {(r.pnr, r.index) for r in self.train.riders.values() if r.status in WAITING}
        return {
            (pnr, index): model.Given(status, quota, self.train.by_seat.get((seat_id, half)))
            for pnr, index, status, quota, seat_id, half in Passenger.objects.filter(
                pnr__trip=self.trip
            ).values_list("pnr_id", "index", "status", "quota", "seat_id", "half")
            if (pnr, index) in waiting
        }

    def _ask_for_seats(self, given: list[PassengerIn], data) -> tuple[list, list]:
        """Some passengers ask for a seat by coach and number (each seat at most once in a
        PNR): any seat of the class, free or taken, RAC berths too. Returns the passengers
        as booked and as the model sees them."""
        asked: set[int] = set()
        out, people = [], []
        for p in given:
            seat_id = None
            if data.draw(sometimes, label="asks for a seat"):
                (coach, number), seat_id = data.draw(st.sampled_from(self.seat_names), label="seat")
                if seat_id in asked:
                    seat_id = None
                else:
                    asked.add(seat_id)
                    p = dataclasses.replace(p, coach=coach, seat=number)
            out.append(p)
            people.append(model.Person(p.age, p.gender, p.berth_preference, seat_id))
        return out, people

    @rule(
        request=bookings(),
        journey=journeys,
        when=st.sampled_from(["before it opens", "tatkal before it opens", "after it left"]),
        late_by=st.sampled_from([timedelta(0), timedelta(minutes=1), timedelta(days=1)]),
    )
    def book_outside_the_window(self, request, journey, when, late_by):
        """A booking before its quota's window opens (60 days ahead, not counting the
        journey day; foreign tourists 365; Tatkal the day before at 10:00 for an AC class)
        or once the trip has left the boarding stop is refused, and writes nothing (the
        model is unchanged, so every invariant of the machine checks that)."""
        quota, given = request
        origin, destination = journey
        travel_date = departs(origin).date()
        if when == "tatkal before it opens":
            quota, given = "TATKAL", given[:4]
            at, refusal = TATKAL_OPENS - late_by - timedelta(minutes=1), BookingNotOpen
        elif when == "before it opens":
            days = model.HORIZON_DAYS.get(quota, model.DEFAULT_HORIZON_DAYS)
            opens = datetime.combine(travel_date - timedelta(days=days), time(), tzinfo=IST)
            at, refusal = opens - late_by - timedelta(microseconds=1), BookingNotOpen
        else:
            at, refusal = departs(origin) + late_by, TripNotBookable
        with pytest.raises(refusal):
            booking_create(
                user=self.users[0],
                trip_id=self.trip.pk,
                origin_code=f"{self.prefix}{origin}",
                destination_code=f"{self.prefix}{destination}",
                class_code=CLASS,
                quota=quota,
                passengers=given,
                now=at,
            )
        event(f"refused: {when}")

    @invariant()
    def passengers_are_where_the_model_puts_them(self):
        if not hasattr(self, "_atomic"):
            return
        rows = Passenger.objects.filter(pnr__trip=self.trip).values_list(
            "pnr_id", "index", *PASSENGER_FIELDS
        )
        assert {(r[0], r[1]): r[2:] for r in rows} == {
            key: (
                r.status,
                r.booking_status,
                r.quota,
                r.place.seat_id if r.place else None,
                r.place.half if r.place else 0,
                r.fare,
                r.refund,
            )
            for key, r in self.train.riders.items()
        }

    @invariant()
    def pnrs_are_what_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        rows = Pnr.objects.filter(trip=self.trip).values_list(
            "pk", "quota", "total_fare", "legs_low", "legs_high"
        )
        assert {r[0]: r[1:] for r in rows} == self.pnrs

    @invariant()
    def places_are_taken_on_the_legs_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        rows = Place.objects.filter(trip_class_id=self.trip_class_id).values_list(
            "pk", "legs_low", "legs_high"
        )
        assert {pk: (low, high) for pk, low, high in rows} == {
            pk: split(place.legs) for pk, place in self.train.places.items()
        }

    @invariant()
    def wallets_hold_what_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        balances = dict(
            Account.objects.filter(kind=Account.Kind.WALLET, user__in=self.users).values_list(
                "user_id", "balance"
            )
        )
        assert [balances[u.pk] for u in self.users] == self.balances

    @invariant()
    def promotion_is_due_when_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        due = TripClass.objects.values_list("promotion_due", flat=True).get(pk=self.trip_class_id)
        assert due == self.train.promotion_due

    @invariant()
    def every_invariant_holds(self):
        if not hasattr(self, "_atomic"):
            return
        assert broken_invariants() == {}


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


@pytest.mark.django_db
@pytest.mark.timeout(900)  # passing takes ~22 s; shrinking a failure may take minutes
def test_random_bookings_cancellations_and_promotions_agree_with_the_reference_model():
    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=30,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
            print_blob=True,
        ),
    )
