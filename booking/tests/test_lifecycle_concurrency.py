"""The whole lifecycle under load, on PostgreSQL with a real Celery worker: 64 clients book
and cancel at random on one trip for a fixed time (TTMS_RUSH_SECONDS, 30 by default), the
promotions their cancellations enqueue run in the worker process, then the queue is drained
and every invariant must hold, item 5 included (nobody left promotable once promotion has
run), and the money must balance to the last paisa.

The trip: one SL coach cut to its first 30 berths (27 GENERAL berths, 3 RAC berths of two
halves), stops ST1-ST6 (legs 0-4), no quota earmarks. Every call says `now`: three days
before departure, so each cancelled passenger gets the default (tiered) policy's 90 %.

Each client has its own connection and its own funded passenger; its choices come from its
own seeded generator (what it can choose from still depends on the race). Promotions happen
in two places: inline, when a booking finds its class's promotion due, and in the worker.
Inline ones carry the test's `now`; the worker's carry the clock's (the task passes no
`now`), which is how the test tells them apart.
"""

import os
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Sum

from payments.models import Account, Entry
from ttms.celery import app
from ttms.invariants import broken_invariants

from ..exceptions import Busy, NotAllConfirmed
from ..lifecycle.services.cancellation import booking_cancel
from ..models import Cancellation, Passenger, Place, Pnr, Promotion, TripClass
from ..sales.services.create import booking_create
from ..tasks import promote_waitlist_task
from .factories import adult, funded_user

pytestmark = [pytest.mark.postgres, pytest.mark.services, pytest.mark.django_db(transaction=True)]

CLIENTS = 64
STOPS = 6
FUNDS = 10_000_000
RETRIES = 5
SEED = 2030
RUSH_SECONDS = float(os.environ.get("TTMS_RUSH_SECONDS", "30"))
DRAIN_SECONDS = 60
HELD_AT_MOST = 4  # a client holding this many live PNRs cancels one before booking again
BOOK_SHARE = 0.55  # otherwise a client books with this probability, else cancels
ALL_OR_NONE_SHARE = 0.1


@dataclass
class Held:
    """A PNR a client booked and has not cancelled completely."""

    pnr: Pnr
    live: list[int]  # passenger pks not cancelled yet


@dataclass
class Cancelled:
    """One cancellation as the client saw it."""

    pnr: str
    passengers: list[int]
    refund: int
    cancellation_id: int


@dataclass
class Outcome:
    """What one client did."""

    user_id: int
    booked: list[Pnr] = field(default_factory=list)
    cancelled: list[Cancelled] = field(default_factory=list)
    partial: int = 0  # cancellations of some, not all, of a PNR's live passengers
    refused: int = 0  # all-or-none bookings refused
    busy: int = 0  # Busy answers retried
    gave_up: int = 0  # operations still Busy after RETRIES attempts (nothing written)


@pytest.fixture
def trip(make_sleeper_trip):
    return make_sleeper_trip(berths=30, quotas={}, stops=STOPS)


def funded_users() -> list:
    """CLIENTS users with FUNDS each, sorted by pk (one transaction: fewer commits)."""
    with transaction.atomic():
        return sorted((funded_user(FUNDS) for _ in range(CLIENTS)), key=lambda user: user.pk)


class Client:
    """One client: its own passenger, its own seeded choices, the PNRs it still holds."""

    def __init__(self, i: int, *, trip, user, now):
        self.i, self.trip, self.user, self.now = i, trip, user, now
        self.rng = random.Random(SEED * 1_000 + i)
        self.outcome = Outcome(user_id=user.pk)
        self.held: list[Held] = []

    def rush(self, seconds: float) -> None:
        """Book or cancel at random until `seconds` have passed: book when holding nothing,
        cancel when holding HELD_AT_MOST PNRs, else book with probability BOOK_SHARE."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.held or (len(self.held) < HELD_AT_MOST and self.rng.random() < BOOK_SHARE):
                self.book()
            else:
                self.cancel(whole=self.rng.random() < 0.5)

    def book(self) -> None:
        """Random legs, 1-4 passengers of random ages and genders; some all-or-none."""
        rng = self.rng
        origin = rng.randint(1, STOPS - 1)
        destination = rng.randint(origin + 1, STOPS)
        passengers = [
            adult(f"C{self.i}-{n}", age=rng.randint(5, 80), gender=rng.choice("MF"))
            for n in range(rng.randint(1, 4))
        ]
        all_or_none = rng.random() < ALL_OR_NONE_SHARE
        try:
            pnr = self.retried(
                lambda: booking_create(
                    user=self.user,
                    trip_id=self.trip.pk,
                    origin_code=f"ST{origin}",
                    destination_code=f"ST{destination}",
                    class_code="SL",
                    quota="GENERAL",
                    passengers=passengers,
                    only_if_all_confirmed=all_or_none,
                    now=self.now,
                )
            )
        except NotAllConfirmed:
            self.outcome.refused += 1
            return
        if pnr is not None:
            self.outcome.booked.append(pnr)
            self.held.append(Held(pnr, [p.pk for p in pnr.passenger_list]))

    def cancel(self, *, whole: bool) -> None:
        """One of its PNRs: every live passenger, or a random non-empty part of them."""
        target = self.rng.choice(self.held)
        if whole or len(target.live) == 1:
            chosen, passenger_ids = list(target.live), None  # None: every live passenger
        else:
            chosen = sorted(self.rng.sample(target.live, self.rng.randint(1, len(target.live) - 1)))
            passenger_ids = chosen
        cancellation = self.retried(
            lambda: booking_cancel(
                pnr=target.pnr, by=self.user, passenger_ids=passenger_ids, now=self.now
            )
        )
        if cancellation is None:
            return
        self.outcome.cancelled.append(
            Cancelled(target.pnr.number, chosen, cancellation.refund, cancellation.pk)
        )
        self.outcome.partial += passenger_ids is not None
        target.live = [pk for pk in target.live if pk not in chosen]
        if not target.live:
            self.held.remove(target)

    def retried(self, call):
        """call() until it is not Busy, at most RETRIES times; None if it never went
        through (then nothing was written)."""
        for _ in range(RETRIES):
            try:
                return call()
            except Busy:
                self.outcome.busy += 1
        self.outcome.gave_up += 1
        return None


def rush(trip, users, now) -> tuple[list[Outcome], int]:
    """CLIENTS clients released together by a barrier rush for RUSH_SECONDS; then, once all
    have stopped (a second barrier, where the promotions so far are counted), each cancels
    one PNR it still holds, whole. No booking runs after that barrier, so every promotion
    written after it is the worker's. Each client closes its own connection. Returns the
    outcomes and the promotions counted at the second barrier."""
    promoted: list[int] = []
    start = threading.Barrier(CLIENTS)
    stop = threading.Barrier(CLIENTS, action=lambda: promoted.append(Promotion.objects.count()))

    def run(i: int) -> Outcome:
        try:
            client = Client(i, trip=trip, user=users[i], now=now)
            start.wait()
            client.rush(RUSH_SECONDS)
            stop.wait()
            if client.held:
                client.cancel(whole=True)
            return client.outcome
        except BaseException:
            stop.abort()  # the others would wait for this client forever
            raise
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        outcomes = list(pool.map(run, range(CLIENTS)))
    return outcomes, promoted[0]


def queued_tasks() -> int:
    """Messages waiting in the broker's default queue (Redis: a list of that name)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        return broker.llen(app.conf.task_default_queue)
    finally:
        broker.close()


def drain() -> None:
    """Wait until the worker has run every promotion due and the queue is empty, at most
    DRAIN_SECONDS. The wait is on another process, so it polls."""
    started = time.monotonic()
    while TripClass.objects.filter(promotion_due=True).exists() or queued_tasks():
        if time.monotonic() - started > DRAIN_SECONDS:
            pytest.fail(
                f"the queue was not drained in {DRAIN_SECONDS} s: "
                f"{queued_tasks()} tasks queued, promotion due in "
                f"{list(TripClass.objects.filter(promotion_due=True))}"
            )
        time.sleep(0.1)


def waiting_with_a_free_place(trip) -> list[tuple[int, str, int]]:
    """(passenger, status, place) for each RAC or WL passenger of the trip who has a place
    free on all their legs: a berth (half 0) for either, an RAC half for a WL passenger;
    computed here without the invariant module (no quota earmarks on this trip)."""
    places = list(
        Place.objects.filter(trip_class__trip=trip).values_list(
            "pk", "half", "legs_low", "legs_high"
        )
    )
    stuck = []
    for pk, status, low, high in Passenger.objects.filter(
        pnr__trip=trip, status__in=["RAC", "WL"]
    ).values_list("pk", "status", "pnr__legs_low", "pnr__legs_high"):
        stuck += [
            (pk, status, place)
            for place, half, place_low, place_high in places
            if not (place_low & low or place_high & high) and (half == 0 or status == "WL")
        ]
    return stuck


def test_64_clients_booking_and_cancelling_for_30_seconds_leave_every_invariant_holding(
    trip, celery_worker_process
):
    # given: 64 funded clients, one trip, three days before it leaves
    users = funded_users()
    now = trip.departure_at - timedelta(days=3)

    # when: they book and cancel at random, each cancels one more PNR once all have
    # stopped, then the worker drains the promotions queued
    outcomes, promoted_at_stop = rush(trip, users, now)
    queued_at_end = queued_tasks()
    drain()
    trip_class = TripClass.objects.get(trip=trip)
    moved_by_last_run = promote_waitlist_task.delay(trip_class.pk).get(timeout=30)

    # then: every invariant holds (items 1-6: seats, masks, ledger, item 5, FIFO), nothing
    # is due, and a last promotion run in the worker finds nobody to move
    assert broken_invariants() == {}
    assert list(TripClass.objects.filter(promotion_due=True)) == []
    assert moved_by_last_run == 0
    assert waiting_with_a_free_place(trip) == []

    # the PNRs are exactly those the clients were given, their passengers all accounted for
    booked = [pnr for o in outcomes for pnr in o.booked]
    cancelled = [c for o in outcomes for c in o.cancelled]
    cancelled_pks = {pk: c for c in cancelled for pk in c.passengers}
    assert sorted(Pnr.objects.filter(trip=trip).values_list("number", flat=True)) == sorted(
        pnr.number for pnr in booked
    )
    statuses = Counter(Passenger.objects.filter(pnr__trip=trip).values_list("status", flat=True))
    assert sum(statuses.values()) == sum(len(pnr.passenger_list) for pnr in booked)
    assert set(statuses) <= {"CNF", "RAC", "WL", "CAN"}
    assert statuses["CAN"] == len(cancelled_pks)

    # each cancelled passenger is CAN, by its own cancellation, refunded 90 % of the fare
    # (tiered policy, 48 h or more ahead: a 10 % charge rounded down)
    rows = list(
        Passenger.objects.filter(status="CAN", pnr__trip=trip).values_list(
            "pk", "fare", "refund", "cancellation_id"
        )
    )
    assert {pk: (refund, cancellation_id) for pk, fare, refund, cancellation_id in rows} == {
        pk: (fare - fare * 1_000 // 10_000, cancelled_pks[pk].cancellation_id)
        for pk, fare, _, _ in rows
    }
    assert {pk for pk, *_ in rows} == set(cancelled_pks)
    assert all(0 < refund <= fare for _, fare, refund, _ in rows)

    # the cancellations recorded are those the clients made, with the refunds they were told
    recorded = {
        pk: (number, sorted(line["passenger"] for line in lines), refund)
        for pk, number, lines, refund in Cancellation.objects.filter(pnr__trip=trip).values_list(
            "pk", "pnr__number", "lines", "refund"
        )
    }
    assert recorded == {
        c.cancellation_id: (c.pnr, sorted(c.passengers), c.refund) for c in cancelled
    }

    # the money: refunds in the ledger equal the cancellations', and each wallet holds its
    # funds less its PNRs' fares plus its refunds, exactly
    refunded = Entry.objects.filter(
        transaction__kind="booking_refund",
        transaction__reference_type="pnr",
        account__kind="wallet",
    ).aggregate(t=Sum("amount"))["t"]
    assert (
        refunded
        == Cancellation.objects.aggregate(t=Sum("refund"))["t"]
        == sum(c.refund for c in cancelled)
    )
    balances = dict(
        Account.objects.filter(kind="wallet", user__in=users).values_list("user_id", "balance")
    )
    assert balances == {
        o.user_id: FUNDS
        - sum(pnr.total_fare for pnr in o.booked)
        + sum(c.refund for c in o.cancelled)
        for o in outcomes
    }

    # and every path was taken: bookings, whole and partial cancellations, promotions, some
    # of them in the worker: all those after the clients stopped booking, and those stamped
    # with the worker's clock rather than the clients' `now` (how fast is bench/lifecycle's
    # to measure, not the test's)
    promotions = Promotion.objects.filter(trip_class=trip_class)
    by_worker = promotions.exclude(created_at=now).count()
    after_stop = promotions.count() - promoted_at_stop
    partial = sum(o.partial for o in outcomes)
    assert len(booked) >= len({c.pnr for c in cancelled}) > 0
    assert 0 < partial < len(cancelled)
    assert promotions.count() > after_stop > 0
    assert by_worker >= after_stop
    print(
        f"\nlifecycle rush: {len(booked)} bookings "
        f"({sum(len(p.passenger_list) for p in booked)} passengers, "
        f"{sum(o.refused for o in outcomes)} all-or-none refused), {len(cancelled)} "
        f"cancellations ({partial} partial), {promotions.count()} promotions "
        f"({by_worker} by the worker, {after_stop} after the clients stopped booking), "
        f"{sum(o.busy for o in outcomes)} busy retries, "
        f"{sum(o.gave_up for o in outcomes)} given up; final {dict(statuses)}; "
        f"{queued_at_end} tasks queued when the clients stopped"
    )
