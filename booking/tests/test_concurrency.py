"""Real concurrency against PostgreSQL: 64 threads, each with its own connection and its
own funded passenger, book one trip of 30 berths at once; then the books must balance.

The trip: one SL coach cut to its first 30 berths (27 GENERAL, and side lowers 7, 15 and 23
as RAC berths: 6 half berths), stops ST1-ST6 (legs 0-4), no quota earmarks, inventory not
yet created (the first bookings race to create it).
"""

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.db.models import Sum

from payments.models import Account, Entry
from ttms.invariants import CHECKS, run_checks
from ttms.testing import run_together

from ..exceptions import Busy, NotAllConfirmed
from ..models import Passenger, Place, Pnr, TripClass
from ..sales.inventory import inventory_ensure
from ..sales.services.create import booking_create
from .factories import adult, funded_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 64
STOPS = 6
FUNDS = 10_000_000
RETRIES = 5


@dataclass
class Outcome:
    """What one thread asked for and got."""

    requested: int = 0  # passengers of the bookings that went through
    pnrs: list[str] = field(default_factory=list)
    refused: int = 0  # only-if-all-confirmed bookings refused
    busy: int = 0  # Busy answers retried


@pytest.fixture
def trip(make_sleeper_trip):
    return make_sleeper_trip(berths=30, quotas={}, stops=STOPS)


def funded_users() -> list:
    """THREADS users with FUNDS each, sorted by pk (one transaction: fewer commits)."""
    with transaction.atomic():
        return sorted((funded_user(FUNDS) for _ in range(THREADS)), key=lambda user: user.pk)


def booker(trip, users, plan):
    """A thread's work: the bookings plan(i) lists, as (origin, destination, passengers,
    only_if_all_confirmed), each retried on Busy."""
    now = trip.departure_at.replace(hour=0)

    def work(i: int) -> Outcome:
        outcome = Outcome()
        for origin, destination, count, all_or_none in plan(i):
            for _ in range(RETRIES):
                try:
                    pnr = booking_create(
                        user=users[i],
                        trip_id=trip.pk,
                        origin_code=f"ST{origin}",
                        destination_code=f"ST{destination}",
                        class_code="SL",
                        quota="GENERAL",
                        passengers=[adult(f"T{i}-{n}") for n in range(count)],
                        only_if_all_confirmed=all_or_none,
                        now=now,
                    )
                except Busy:
                    outcome.busy += 1
                    continue
                except NotAllConfirmed:
                    outcome.refused += 1
                else:
                    outcome.requested += count
                    outcome.pnrs.append(pnr.number)
                break
        return outcome

    return work


def seat_legs_sold_twice() -> list[tuple[int, int]]:
    """(seat, leg) pairs held twice, computed here without the invariant module: a leg of a
    seat holds one whole-seat passenger, or at most one passenger per RAC half."""
    halves = defaultdict(list)
    for seat, half, low in Passenger.objects.filter(status__in=["CNF", "RAC"]).values_list(
        "seat_id", "half", "pnr__legs_low"
    ):
        for leg in range(STOPS - 1):
            if low >> leg & 1:
                halves[seat, leg].append(half)
    return [
        key
        for key, held in halves.items()
        if len(held) > 1 and (0 in held or len(set(held)) < len(held))
    ]


def assert_books_balance(trip, users, outcomes: list[Outcome]) -> Counter:
    statuses = Counter(Passenger.objects.filter(pnr__trip=trip).values_list("status", flat=True))
    pnrs = Pnr.objects.filter(trip=trip)
    fares = Passenger.objects.filter(pnr__trip=trip).aggregate(t=Sum("fare"))["t"]
    totals = pnrs.aggregate(t=Sum("total_fare"))["t"]
    charged = -Entry.objects.filter(
        transaction__kind="booking_charge",
        transaction__reference_type="pnr",
        account__kind="wallet",
    ).aggregate(t=Sum("amount"))["t"]
    spent = {
        user.pk: FUNDS - balance
        for user, balance in zip(
            users,
            Account.objects.filter(kind="wallet", user__in=users)
            .order_by("user_id")
            .values_list("balance", flat=True),
            strict=True,
        )
    }
    paid = dict(pnrs.values("user_id").annotate(t=Sum("total_fare")).values_list("user_id", "t"))

    assert seat_legs_sold_twice() == []
    assert sum(statuses.values()) == sum(o.requested for o in outcomes)
    assert sorted(pnrs.values_list("number", flat=True)) == sorted(
        n for o in outcomes for n in o.pnrs
    )
    assert charged == fares == totals
    assert spent == {user.pk: paid.get(user.pk, 0) for user in users}
    assert TripClass.objects.filter(trip=trip).count() == 1
    assert Place.objects.filter(trip_class__trip=trip).count() == 27 + 2 * 3
    assert run_checks() == {path: [] for path in CHECKS}
    return statuses


def test_64_threads_booking_one_leg_each_are_all_confirmed(trip):
    # given: 64 passengers with money; thread i rides leg i mod 5 (at most 13 threads on a
    # leg, of one or two passengers: 26 or fewer, for 27 berths)
    users = funded_users()
    rng = random.Random(1)
    counts = [rng.randint(1, 2) for _ in range(THREADS)]

    def plan(i):
        leg = i % (STOPS - 1)
        return [(leg + 1, leg + 2, counts[i], False)]

    # when
    outcomes = run_together(THREADS, booker(trip, users, plan))

    # then
    statuses = assert_books_balance(trip, users, outcomes)
    assert statuses == {"CNF": sum(counts)}
    print(
        f"\nall confirmed: {sum(counts)} passengers, {sum(o.busy for o in outcomes)} busy retries"
    )


def test_64_threads_overbooking_random_legs_fill_rac_and_the_waiting_list(trip):
    # given: each thread makes three bookings of 1-4 passengers on random legs; every
    # fifth asks for all-or-none
    users = funded_users()

    def plan(i):
        rng = random.Random(i)
        bookings = []
        for n in range(3):
            origin = rng.randint(1, STOPS - 1)
            bookings.append(
                (origin, rng.randint(origin + 1, STOPS), rng.randint(1, 4), (3 * i + n) % 5 == 0)
            )
        return bookings

    # when
    outcomes = run_together(THREADS, booker(trip, users, plan))

    # then
    statuses = assert_books_balance(trip, users, outcomes)
    assert statuses["RAC"] > 0 and statuses["WL"] > 0
    assert sum(o.refused for o in outcomes) > 0
    # nobody waits while a place of their journey is free: no berth for RAC or WL
    # passengers, no RAC half for WL passengers
    places = list(Place.objects.filter(trip_class__trip=trip).values_list("half", "legs_low"))
    for status, legs in Passenger.objects.filter(
        pnr__trip=trip, status__in=["RAC", "WL"]
    ).values_list("status", "pnr__legs_low"):
        free = [half for half, low in places if not low & legs]
        assert not [half for half in free if half == 0 or status == "WL"]
    print(
        f"\noverbooked: {dict(statuses)}, {sum(o.refused for o in outcomes)} refused "
        f"all-or-none, {sum(o.busy for o in outcomes)} busy retries"
    )


def test_lock_waits_that_run_out_answer_busy_and_write_nothing(trip, settings):
    # given: lock waits bounded at 1 ms, so that queued bookings give up; inventory made
    settings.TTMS_BOOKING_LOCK_TIMEOUT_MS = 1
    users = funded_users()
    inventory_ensure(trip_id=trip.pk)

    def plan(i):
        return [(1, STOPS, 1, False)]

    # when
    outcomes = run_together(THREADS, booker(trip, users, plan))

    # then: some attempts were busy; none of them charged or seated anyone
    busy = sum(o.busy for o in outcomes)
    statuses = assert_books_balance(trip, users, outcomes)
    assert busy > 0
    print(
        f"\n1 ms lock waits: {busy} busy answers, {sum(statuses.values())} of "
        f"{THREADS} bookings made"
    )
