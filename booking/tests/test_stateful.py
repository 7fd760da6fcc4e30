"""Random bookings (some asking for a seat), cancellations, promotions and bookings outside
the booking window on a short train, checked at every step against the reference model
(`reference_model.py`): each allocation and promotion against the properties any correct
one has, then every passenger's status, quota, place, fare and refund, every place's
occupied legs, every PNR, every wallet, whether the class's promotion is due, and every
invariant of DESIGN.md section 7. A refused booking writes nothing: the model is unchanged,
and the database must still equal it."""

import copy
import dataclasses
from datetime import datetime, time, timedelta

import hypothesis.strategies as st
import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fleet.models import Seat
from payments.exceptions import InsufficientFunds

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
from .model_checks import ModelChecks
from .stateful_charting import ChartingStep, before_the_chart
from .stateful_train import (
    BAYS_KEPT,
    CLASS,
    DEPARTURE,
    EXAMPLES,
    KM_PER_LEG,
    MINIMUM_FARE,
    MULTIPLIERS_BP,
    NOWS,
    RATE_PER_KM,
    STOPS,
    TATKAL_OPENS,
    WAITING,
    _trip_numbers,
    bookings,
    departs,
    journeys,
    note_moves,
    payers,
    rebind,
    sometimes,
    split,
    tier,
)


class BookingMachine(ChartingStep, ModelChecks, RuleBasedStateMachine):
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

    @before_the_chart
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
    @before_the_chart
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
    @before_the_chart
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

    @before_the_chart
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
