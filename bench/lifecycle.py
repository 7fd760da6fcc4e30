"""Lifecycle rush: clients book and cancel at random on one trip for a fixed time, through the
booking services (no HTTP), on PostgreSQL; how many bookings, cancellations and promotions
a second that gives, and how long each takes.

The rates the lifecycle test (booking/tests/test_lifecycle_concurrency.py) once asserted are
measured here: the test checks that the outcome is right, this says how fast it came.

The trip: one SL coach (72 berths, 7 of them RAC side-lowers), stops ST1-ST6, no quota
earmarks; every call's `now` is three days before departure (the tiered policy's 90 %
refund). Each client has its own funded passenger and its own seeded choices: book 1-4
passengers on random legs (a tenth of them "only if all confirmed") while it holds fewer
than 4 PNRs, else cancel one, whole or in part. A Busy answer is retried (at most 5 times).
Promotions run inline, where a booking finds its class's promotion due; what is still due
when the clients stop is promoted once more before the check (the same function the Celery
task calls; no worker runs: the enqueued messages wait in the flushed Redis database).
At the end, `ttms.invariants` must find nothing broken, or the benchmark fails.

Throwaway stores as booking_rush's: BENCH_DATABASE_URL (default `ttms_bench`, dropped and
recreated; its name must contain "bench") and BENCH_REDIS_URL (default db 5, flushed).
Knobs (environment): BENCH_CLIENTS (16), BENCH_SECONDS (20), BENCH_SEED (2030).
"""

import json
import os
import random
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .booking_rush import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    _configure,
    _database_name,
    _env_int,
    _latency,
    _loadavg,
)

RESULTS = Path(__file__).resolve().parent / "results"
NAME = "lifecycle"
IST = ZoneInfo("Asia/Kolkata")
STOPS = 6
FUNDS = 10_000_000
RETRIES = 5
HELD_AT_MOST = 4
BOOK_SHARE = 0.55
ALL_OR_NONE_SHARE = 0.1


@dataclass
class Outcome:
    """What one client did, and how long each call took (milliseconds)."""

    booked: int = 0
    passengers: int = 0
    refused: int = 0
    cancelled: int = 0
    partial: int = 0
    busy: int = 0
    gave_up: int = 0
    book_ms: list[float] = field(default_factory=list)
    cancel_ms: list[float] = field(default_factory=list)


class Client:
    """One client: its passenger, its generator, the PNRs it holds (PNR, live passenger pks)."""

    def __init__(self, i: int, *, trip, codes: list[str], user, now: datetime, seed: int):
        self.i, self.trip, self.codes, self.user, self.now = i, trip, codes, user, now
        self.rng = random.Random(seed * 1_000 + i)
        self.outcome = Outcome()
        self.held: list[tuple[object, list[int]]] = []

    def rush(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if not self.held or (len(self.held) < HELD_AT_MOST and self.rng.random() < BOOK_SHARE):
                self.book()
            else:
                self.cancel()

    def book(self) -> None:
        from booking.exceptions import NotAllConfirmed
        from booking.sales.services.create import booking_create
        from booking.sales.services.precheck import PassengerIn

        rng = self.rng
        origin = rng.randrange(0, STOPS - 1)
        destination = rng.randrange(origin + 1, STOPS)
        passengers = [
            PassengerIn(name=f"C{self.i}-{n}", age=rng.randint(5, 80), gender=rng.choice("MF"))
            for n in range(rng.randint(1, 4))
        ]
        started = time.perf_counter()
        try:
            pnr = self.retried(
                lambda: booking_create(
                    user=self.user,
                    trip_id=self.trip.pk,
                    origin_code=self.codes[origin],
                    destination_code=self.codes[destination],
                    class_code="SL",
                    quota="GENERAL",
                    passengers=passengers,
                    only_if_all_confirmed=rng.random() < ALL_OR_NONE_SHARE,
                    now=self.now,
                )
            )
        except NotAllConfirmed:
            self.outcome.refused += 1
            return
        self.outcome.book_ms.append((time.perf_counter() - started) * 1000)
        if pnr is not None:
            self.outcome.booked += 1
            self.outcome.passengers += len(pnr.passenger_list)
            self.held.append((pnr, [p.pk for p in pnr.passenger_list]))

    def cancel(self) -> None:
        from booking.lifecycle.services.cancellation import booking_cancel

        index = self.rng.randrange(len(self.held))
        pnr, live = self.held[index]
        if self.rng.random() < 0.5 or len(live) == 1:
            chosen, ids = live, None
        else:
            chosen = sorted(self.rng.sample(live, self.rng.randint(1, len(live) - 1)))
            ids = chosen
        started = time.perf_counter()
        done = self.retried(
            lambda: booking_cancel(pnr=pnr, by=self.user, passenger_ids=ids, now=self.now)
        )
        self.outcome.cancel_ms.append((time.perf_counter() - started) * 1000)
        if done is None:
            return
        self.outcome.cancelled += 1
        self.outcome.partial += ids is not None
        rest = [pk for pk in live if pk not in chosen]
        if rest:
            self.held[index] = (pnr, rest)
        else:
            del self.held[index]

    def retried(self, call):
        from booking.exceptions import Busy

        for _ in range(RETRIES):
            try:
                return call()
            except Busy:
                self.outcome.busy += 1
        self.outcome.gave_up += 1
        return None


def run() -> dict:
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    clients = _env_int("BENCH_CLIENTS", 16)
    seconds = _env_int("BENCH_SECONDS", 20)
    seed = _env_int("BENCH_SEED", 2030)
    _configure(database_url, redis_url)

    from django.db import connection, transaction

    from booking.models import Passenger, Promotion, TripClass
    from booking.sales.inventory import inventory_ensure
    from booking.tasks import promote_waitlist_task
    from fleet.models import RouteStop
    from ttms.invariants import broken_invariants

    from ._fixtures import passengers, rail_company, rail_trip, wallet_fund

    company = rail_company(
        name="Bench Lifecycle Railways", slug="bench-lifecycle", quota_distribution={"SL": {}}
    )
    day = (datetime.now(IST) + timedelta(days=20)).date()
    trip = rail_trip(
        company=company,
        coaches=(("S1", "SL"),),
        stops=STOPS,
        departure=datetime(day.year, day.month, day.day, 8, 0, tzinfo=IST),
        code_prefix="LC",
    )
    inventory_ensure(trip_id=trip.pk)
    codes = list(
        RouteStop.objects.filter(route_id=trip.route_id)
        .order_by("sequence")
        .values_list("station__code", flat=True)
    )
    with transaction.atomic():
        users = passengers(clients, prefix="lifecycle")
        for user in users:
            wallet_fund(user=user, amount=FUNDS)
    now = trip.departure_at - timedelta(days=3)
    connection.close()

    start = threading.Barrier(clients)

    def client(i: int) -> Outcome:
        try:
            one = Client(i, trip=trip, codes=codes, user=users[i], now=now, seed=seed)
            start.wait()
            one.rush(time.monotonic() + seconds)
            return one.outcome
        finally:
            connection.close()

    load_before = _loadavg()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(client, range(clients)))
    rushed = time.perf_counter() - started
    promoted_inline = Promotion.objects.count()
    started = time.perf_counter()
    moved_after = sum(
        promote_waitlist_task(trip_class.pk) for trip_class in TripClass.objects.filter(trip=trip)
    )
    drained = time.perf_counter() - started
    broken = broken_invariants()
    statuses = Counter(Passenger.objects.filter(pnr__trip=trip).values_list("status", flat=True))

    def total(name: str) -> int:
        return sum(getattr(o, name) for o in outcomes)

    return {
        "benchmark": NAME,
        "database": _database_name(database_url),
        "clients": clients,
        "seconds": round(rushed, 2),
        "seed": seed,
        "load_average": {"before": load_before, "after": _loadavg()},
        "bookings": total("booked"),
        "bookings_per_second": round(total("booked") / rushed, 1),
        "passengers_booked": total("passengers"),
        "all_or_none_refused": total("refused"),
        "cancellations": total("cancelled"),
        "cancellations_per_second": round(total("cancelled") / rushed, 1),
        "partial_cancellations": total("partial"),
        "promotions_inline": promoted_inline,
        "promotions_inline_per_second": round(promoted_inline / rushed, 1),
        "moved_by_the_last_promotion": moved_after,
        "last_promotion_s": round(drained, 3),
        "busy_retries": total("busy"),
        "given_up": total("gave_up"),
        "book_latency": _latency([ms for o in outcomes for ms in o.book_ms]),
        "cancel_latency": _latency([ms for o in outcomes for ms in o.cancel_ms]),
        "final_statuses": dict(sorted(statuses.items())),
        "broken_invariants": broken,
    }


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    result = run()
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(
        f"[{NAME}] {result['clients']} clients, {result['seconds']} s: "
        f"{result['bookings_per_second']} bookings/s, "
        f"{result['cancellations_per_second']} cancellations/s, "
        f"{result['promotions_inline']} promotions inline, "
        f"{result['moved_by_the_last_promotion']} by the last run",
        flush=True,
    )
    if result["broken_invariants"]:
        print(f"[{NAME}] invariants broken: {result['broken_invariants']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
