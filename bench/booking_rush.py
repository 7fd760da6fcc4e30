"""Booking rush: many clients book seats on one 1,000-berth train at once, over HTTP.

The production layout: gunicorn serving `ttms.wsgi` (sync workers, 2 × CPUs + 1), PostgreSQL
and Redis, DEBUG off, the booking throttle out of the way. Everything runs against
throwaway stores: the PostgreSQL database of BENCH_DATABASE_URL (default `ttms_bench`,
dropped and recreated at start; its name must contain "bench") and the Redis database of
BENCH_REDIS_URL (default db 5, flushed at start).

For each client count (16, then 64), on a fresh trip of 6 stops and 14 SL coaches (1,008
berths, 98 of them RAC side-lowers), the clients book until 3,000 PNRs exist: 1 to 4
passengers each on random legs (seeded), with a fresh Idempotency-Key each, by 1,000
passengers (funded through the ledger's top-up path, JWT made in setup) shared out among the
clients so that no user has two bookings in flight; a 503 "busy" is retried with the same
key. Then the trip is checked in the database: passengers by status
against the responses, no seat leg held twice, place masks equal to the passengers' legs;
at the end, `ttms.invariants`.

Right after each rush, the same bookings run as plain SQL through psycopg (no HTTP, no
Django; one forked process and connection per client) on another fresh trip: the ceiling
this database gives these writes under the same contention (one trip-class row lock), on
the machine as loaded as the rush saw it. "core" is the booking transaction alone; "full"
adds what the HTTP request also sends (the JWT user read, the idempotency lock, record and
savepoints, the reads before the lock, the RAC/WL positions of the answer). The HTTP rate is
reported as a fraction of both: the figure that still means something on a noisy machine.
A third, "one_statement", is a what-if and not the same statements: the part under the
class lock done by one SQL function (first-fit allocation), the lock held for one round
trip and the commit.

Knobs (environment): BENCH_BOOKINGS (3000), BENCH_CLIENTS ("16,64"), BENCH_USERS (1000),
BENCH_GUNICORN_WORKERS (2 × CPUs + 1), BENCH_GUNICORN_THREADS (1: sync workers; more:
gthread), BENCH_RUN_SECONDS (120: a run stops there and is marked incomplete),
BENCH_SKIP_CEILING (1: no psycopg ceiling), BENCH_DIAGNOSE (0; 1: a last, separate run at
the highest client count with server-side phase timings per request), BENCH_PROFILE (1:
cProfile in every gunicorn worker, stats in bench/results/booking_rush.<pid>.prof).
"""

import atexit
import contextlib
import cProfile
import dataclasses
import hashlib
import json
import multiprocessing
import os
import platform
import queue
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, deque
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ._servers import RUNNING, servers_stopped_on_exit, stop_everything

RESULTS = Path(__file__).resolve().parent / "results"
BASE_DIR = RESULTS.parent.parent
NAME = "booking_rush"
SEED = 20250309
STOPS = 6
COACHES = 14
PAX_MIN, PAX_MAX = 1, 4
WALLET_FUNDS = 10_000_000  # minor units (the top-up maximum); a booking costs ≤ 4 × 22,500
BOOKING_PATH = "/api/v1/bookings/"
IST = ZoneInfo("Asia/Kolkata")
# The record minute of the Indian Railways booking site, as the issue states it.
TARGET_RATE = 441
TARGET_CLIENTS = 64
TARGET_P99_MS = 500
BUSY_RETRIES = 50
PROGRESS_SECONDS = 2.0

# The ceilings: the booking transaction's statements alone; all the statements of the HTTP
# request; and a what-if, the class lock's part moved into one SQL function.
ONE_STATEMENT = "one_statement"
CEILING_VARIANTS = ("core", "full", ONE_STATEMENT)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ttms_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/5"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _loadavg() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def _say(message: str) -> None:
    print(f"[{NAME} {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _latency(values: list[float]) -> dict:
    if not values:
        return {}
    return {
        "p50_ms": round(_percentile(values, 50), 1),
        "p95_ms": round(_percentile(values, 95), 1),
        "p99_ms": round(_percentile(values, 99), 1),
        "mean_ms": round(statistics.fmean(values), 1),
        "max_ms": round(max(values), 1),
    }


# --- Configuration --------------------------------------------------------------------------


def _database_name(url: str) -> str:
    return url.rsplit("/", 1)[-1].split("?", 1)[0]


def _admin_url(url: str) -> str:
    """The same server's `postgres` database (to drop and create the bench database)."""
    base, query = url.split("?", 1)[0].rpartition("/")[0], url.partition("?")[2]
    return f"{base}/postgres" + (f"?{query}" if query else "")


def _recreate_database(url: str) -> None:
    import psycopg

    name = _database_name(url)
    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _configure(database_url: str, redis_url: str) -> None:
    """Point this process (and gunicorn, which inherits the environment) at the throwaway
    stores, with production settings."""
    developer = os.environ.get("DATABASE_URL", "")
    if developer and _database_name(developer) == _database_name(database_url):
        raise SystemExit(f"BENCH_DATABASE_URL names the development database {developer!r}")
    if "bench" not in _database_name(database_url):
        raise SystemExit(
            "the bench database is dropped at start: its name must contain "
            f"'bench' (got {_database_name(database_url)!r})"
        )
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": redis_url,
            "CELERY_RESULT_BACKEND": redis_url,
            "DJANGO_SETTINGS_MODULE": "ttms.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-any-deployment-" + "x" * 20,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "TTMS_THROTTLE_BOOKING": "100000/min",
            "TTMS_JWT_ACCESS_MINUTES": "240",
            "TTMS_LOG_LEVEL": "WARNING",
            # Production keeps a connection 60 s; longer here so that the backends serving the
            # rush live through it and their CPU time can be read.
            "DATABASE_CONN_MAX_AGE": "600",
        }
    )
    os.environ.pop("TTMS_STATIC_MANIFEST", None)
    _recreate_database(database_url)
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), "
            "current_setting('synchronous_commit'), "
            "current_setting('shared_buffers'), "
            "current_setting('max_connections')"
        )
        version, sync_commit, shared_buffers, max_connections = cursor.fetchone()
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import django
    import gunicorn
    import httpx
    import psycopg

    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "postgres": version,
        "postgres_settings": {
            "synchronous_commit": sync_commit,
            "shared_buffers": shared_buffers,
            "max_connections": int(max_connections),
        },
        "django": django.__version__,
        "gunicorn": gunicorn.__version__,
        "httpx": httpx.__version__,
        "psycopg": f"{psycopg.__version__} ({psycopg.pq.__impl__})",
        "platform": platform.platform(),
        "load_average_at_start": _loadavg(),
    }


# --- Fixtures -----------------------------------------------------------------------------


class RushTrip:
    """One bench trip: its ids and station codes, in route order."""

    def __init__(
        self, *, trip_id: int, trip_class_id: int, codes: list[str], berths: int, places: int
    ) -> None:
        self.trip_id = trip_id
        self.trip_class_id = trip_class_id
        self.codes = codes
        self.berths = berths
        self.places = places

    def describe(self) -> dict:
        return {
            "trip_id": self.trip_id,
            "stops": self.codes,
            "berths": self.berths,
            "places": self.places,
        }


def _make_trip(company, prefix: str) -> RushTrip:
    from booking.models import Place, TripClass
    from booking.sales.inventory import inventory_ensure
    from fleet.models import RouteStop

    from ._fixtures import rail_trip

    day = (datetime.now(IST) + timedelta(days=20)).date()
    departure = datetime(day.year, day.month, day.day, 8, 0, tzinfo=IST)
    trip = rail_trip(
        company=company,
        coaches=tuple((f"S{i}", "SL") for i in range(1, COACHES + 1)),
        stops=STOPS,
        departure=departure,
        code_prefix=prefix,
    )
    # The trip is open for booking: its inventory exists before the rush (the first
    # booking would otherwise create it inside the measurement).
    inventory_ensure(trip_id=trip.pk)
    trip_class = TripClass.objects.get(trip=trip, class_code="SL")
    codes = list(
        RouteStop.objects.filter(route_id=trip.route_id)
        .order_by("sequence")
        .values_list("station__code", flat=True)
    )
    return RushTrip(
        trip_id=trip.pk,
        trip_class_id=trip_class.pk,
        codes=codes,
        berths=trip_class.seats,
        places=Place.objects.filter(trip_class=trip_class).count(),
    )


class BenchUser:
    __slots__ = ("token", "user_id", "wallet_id")

    def __init__(self, user_id: int, wallet_id: int, token: str) -> None:
        self.user_id = user_id
        self.wallet_id = wallet_id
        self.token = token


def _fund(user_ids: list[int]) -> None:
    """Top up these users' wallets (a forked process of its own: no GIL shared)."""
    from django.db import connections

    from ttms.accounts.models import User

    from ._fixtures import wallet_fund

    try:
        for user in User.objects.filter(pk__in=user_ids):
            wallet_fund(user=user, amount=WALLET_FUNDS)
    finally:
        connections.close_all()


def _make_users(count: int) -> list[BenchUser]:
    """`count` passengers with funded wallets and JWT access tokens. Passwords are unusable
    (nobody signs in; hashing Argon2 per user would dominate the setup); wallets are funded
    through the top-up path of the ledger (a succeeded sandbox payment), in a few processes
    at once."""
    from django.db import connections
    from rest_framework_simplejwt.tokens import RefreshToken

    from payments.models import Account

    from ._fixtures import passengers

    users = passengers(count, prefix=f"rush-{uuid.uuid4().hex[:6]}")
    ids = [u.pk for u in users]
    processes = 2 * (os.cpu_count() or 1)
    connections.close_all()  # nothing of Django's crosses the fork
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.map(_fund, [ids[i::processes] for i in range(processes)])
    wallets = dict(
        Account.objects.filter(kind=Account.Kind.WALLET, user__in=ids).values_list("user_id", "pk")
    )
    return [
        BenchUser(u.pk, wallets[u.pk], str(RefreshToken.for_user(u).access_token)) for u in users
    ]


def _requests(trip: RushTrip, users: list[BenchUser], seed: int) -> list:
    """One prepared booking per user, in order: (user, JSON body bytes, passenger count)."""
    rng = random.Random(seed)
    prepared = []
    for user in users:
        origin, destination = sorted(rng.sample(range(len(trip.codes)), 2))
        passengers = [
            {
                "name": f"P{n}",
                "age": rng.randint(5, 80),
                "gender": rng.choice("MMMMFFFFT"),
                "berth_preference": "",
            }
            for n in range(1, rng.randint(PAX_MIN, PAX_MAX) + 1)
        ]
        body = {
            "trip": trip.trip_id,
            "from": trip.codes[origin],
            "to": trip.codes[destination],
            "class": "SL",
            "quota": "GENERAL",
            "passengers": passengers,
        }
        prepared.append((user, json.dumps(body).encode(), len(passengers)))
    return prepared


# --- Processes and CPU accounting -------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float | None:
    """Seconds of CPU (user + system) a process used so far; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _postgres_pids(database: str) -> list[int]:
    """The PostgreSQL backends serving `database` (their title names it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres" and f" {database} " in (
                    entry / "cmdline"
                ).read_text():
                    pids.append(int(entry.name))
    return pids


def _system_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / _TICKS, total / _TICKS


class CpuMeter:
    """Where the machine's CPU went during a run: the web server's processes, the
    PostgreSQL backends of the bench database that lived through the run (the ceiling's
    end with it: they count as "other"), the load generator (this process and its
    children), and everything else (other users of the machine included)."""

    def __init__(self, server_pids=lambda: [], database: str = "") -> None:
        self.server_pids = server_pids
        self.database = database

    def _snapshot(self) -> dict:
        own = os.times()
        return {
            "system": _system_cpu(),
            "server": {pid: _proc_cpu(pid) for pid in self.server_pids()},
            "postgres": {pid: _proc_cpu(pid) for pid in _postgres_pids(self.database)},
            "client": own.user + own.system + own.children_user + own.children_system,
            "wall": time.perf_counter(),
        }

    def start(self) -> None:
        self.before = self._snapshot()

    def stop(self) -> dict:
        after = self._snapshot()
        before = self.before
        wall = after["wall"] - before["wall"]

        def group(name: str) -> float:
            return sum(
                after[name][pid] - before[name][pid]
                for pid in after[name]
                if after[name][pid] is not None and before[name].get(pid) is not None
            )

        busy = after["system"][0] - before["system"][0]
        total = after["system"][1] - before["system"][1]
        server, postgres = group("server"), group("postgres")
        client = after["client"] - before["client"]
        cores = os.cpu_count() or 1
        return {
            "wall_s": round(wall, 2),
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
            "cores_used": {
                "server": round(server / wall, 2),
                "postgres": round(postgres / wall, 2),
                "client": round(client / wall, 2),
                "other": round(
                    max(0.0, busy / total * cores - (server + postgres + client) / wall), 2
                )
                if total
                else None,
            },
        }


class WaitSampler(threading.Thread):
    """Samples pg_stat_activity of the bench database 10 times a second: what the backends
    are doing (running, waiting for a lock, for the WAL flush, idle in a transaction while
    the application computes), reported as the mean number of backends in each state; and
    times a `SELECT 1` round trip each time (how loaded the machine is)."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.url = database_url
        self.halt = threading.Event()
        self.samples = 0
        self.counts: Counter = Counter()
        self.rtt: list[float] = []

    def run(self) -> None:
        import psycopg

        try:
            conn = _connect(self.url)
        except psycopg.OperationalError:
            return  # no sample: reported as such
        with conn:
            while not self.halt.wait(0.1):
                sent = time.perf_counter()
                conn.execute("SELECT 1").fetchall()
                self.rtt.append((time.perf_counter() - sent) * 1000)
                rows = conn.execute(
                    "SELECT state, wait_event_type, wait_event, count(*) FROM "
                    "pg_stat_activity WHERE datname = current_database() AND "
                    "pid <> pg_backend_pid() AND backend_type = 'client backend' "
                    "GROUP BY 1, 2, 3"
                ).fetchall()
                self.samples += 1
                for state, kind, event, n in rows:
                    if state == "active":
                        label = f"active: {kind}:{event}" if kind else "active: on CPU"
                    elif state == "idle in transaction":
                        label = "idle in transaction (the app holds it open)"
                    else:
                        label = state or "unknown"
                    self.counts[label] += n

    def stop(self) -> dict:
        self.halt.set()
        self.join(5)
        if not self.samples:
            return {}
        return {
            k: round(v / self.samples, 2) for k, v in self.counts.most_common() if k != "idle"
        } | {
            "samples": self.samples,
            "select_1_round_trip_ms_p50": round(_percentile(self.rtt, 50), 2),
        }


def _connect(url: str, **kwargs):
    """A psycopg connection in autocommit mode; while the server has no connection slot
    free (other users of a shared PostgreSQL), retry for up to 30 s."""
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            return psycopg.connect(url, autocommit=True, **kwargs)
        except psycopg.OperationalError as exc:
            if "too many clients" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2 + random.random() * 0.3)


# --- The web server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving the WSGI application on 127.0.0.1, stopped by its PID."""

    def __init__(
        self, *, app: str, workers: int, threads: int, log: Path, extra_env: dict | None = None
    ) -> None:
        self.app, self.workers, self.threads, self.log = app, workers, threads, log
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.known_workers: set[int] = set()
        self.port = 0

    @property
    def worker_class(self) -> str:
        return "gthread" if self.threads > 1 else "sync"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def describe(self) -> dict:
        return {
            "app": self.app,
            "worker_class": self.worker_class,
            "workers": self.workers,
            "threads": self.threads,
            "bind": "127.0.0.1",
            "access_log": "on (file)",
        }

    def start(self) -> None:
        self.port = _free_port()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [
            str(gunicorn),
            self.app,
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--worker-class",
            self.worker_class,
            "--access-logfile",
            "-",
            "--timeout",
            "60",
            "--backlog",
            "2048",
        ]
        self.log.parent.mkdir(exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **self.extra_env},
            )
        RUNNING.append(self)
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited ({self.process.returncode}); see "
                    f"{self.log}:\n{self._log_tail()}"
                )
            try:
                response = httpx.get(f"{self.url}/healthz", timeout=2)
                if response.status_code == 200 and len(self.pids()) > self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"gunicorn did not become healthy in {timeout:.0f} s:\n{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        return ""

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self.process is None or self.process.poll() is not None:
            return []
        workers = _children(self.process.pid)
        self.known_workers.update(workers)
        return [self.process.pid, *workers]

    def stop(self) -> None:
        if self.process is None:
            return
        self.pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for pid in self.known_workers:  # workers outliving their master (should not happen)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self.process = None
        with contextlib.suppress(ValueError):
            RUNNING.remove(self)


# --- The HTTP rush -------------------------------------------------------------------------


class RushState:
    """What the client threads share: the work queue, the count of bookings made and in
    flight, and what they measured."""

    def __init__(self, *, prepared: list[deque], target: int, seconds: float) -> None:
        self.prepared = prepared
        self.target = target
        self.lock = threading.Lock()
        self.made = 0
        self.in_flight = 0
        self.failed = 0
        self.requests = 0
        self.stop = False
        self.deadline = time.monotonic() + seconds
        self.timed_out = False
        self.errors: Counter = Counter()
        self.statuses: Counter = Counter()
        self.request_ms: list[float] = []
        self.booking_ms: list[float] = []
        self.passengers = 0
        self.pnrs: set[str] = set()
        self.phases: list[dict] = []
        self.first_error: dict = {}

    def claim(self, client: int):
        with self.lock:
            if self.stop or self.made + self.in_flight >= self.target:
                return None
            if time.monotonic() > self.deadline:
                self.stop = self.timed_out = True
                return None
            try:
                item = self.prepared[client].popleft()
            except IndexError:
                return None
            self.in_flight += 1
            return item


def _error_kind(response) -> str:
    code = ""
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        code = response.json()["error"]["code"]
    return f"{response.status_code} {code}".strip()


def _phases(header: str) -> dict:
    return {k: float(v) for k, v in (part.split("=") for part in header.split(";"))}


def _client(state: RushState, base_url: str, client: int) -> None:
    import httpx

    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    request_ms, booking_ms, statuses, errors, phases = [], [], Counter(), Counter(), []
    pnrs, passengers = [], 0
    with httpx.Client(base_url=base_url, timeout=60, limits=limits) as http:
        while (item := state.claim(client)) is not None:
            user, body, _count = item
            headers = {
                "Authorization": f"Bearer {user.token}",
                "Idempotency-Key": str(uuid.uuid4()),
                "Content-Type": "application/json",
            }
            started = time.perf_counter()
            made = False
            for attempt in range(BUSY_RETRIES):
                sent = time.perf_counter()
                try:
                    response = http.post(BOOKING_PATH, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    errors[f"exception {type(exc).__name__}"] += 1
                    time.sleep(0.05)  # the same key: a replay if it was booked after all
                    continue
                request_ms.append((time.perf_counter() - sent) * 1000)
                if "x-bench-phases" in response.headers:
                    phases.append(_phases(response.headers["x-bench-phases"]))
                if response.status_code == 201:
                    data = response.json()
                    pnrs.append(data["pnr"])
                    for passenger in data["passengers"]:
                        statuses[passenger["status"]] += 1
                        passengers += 1
                    made = True
                    break
                kind = _error_kind(response)
                errors[kind] += 1
                if not state.first_error:
                    state.first_error = {"kind": kind, "body": response.text[:500]}
                if kind == "503 busy" or kind == "409 idempotency_in_flight":
                    time.sleep(min(0.5, 0.01 * (attempt + 1)))
                    continue
                break
            with state.lock:
                state.in_flight -= 1
                state.requests += 1
                if made:
                    state.made += 1
                    booking_ms.append((time.perf_counter() - started) * 1000)
                else:
                    state.failed += 1
                    if state.failed > max(50, state.target // 10):
                        state.stop = True
    with state.lock:
        state.request_ms += request_ms
        state.booking_ms += booking_ms
        state.statuses.update(statuses)
        state.errors.update(errors)
        state.phases += phases
        state.pnrs.update(pnrs)
        state.passengers += passengers


def _progress(
    label: str, done, started: float, halt: threading.Event, target: int
) -> threading.Thread:
    def report() -> None:
        last_count, last_time = 0, started
        while not halt.wait(PROGRESS_SECONDS):
            count, now = done(), time.perf_counter()
            recent = (count - last_count) / (now - last_time)
            _say(
                f"{label}: {count}/{target} bookings, {count / (now - started):.0f}/s "
                f"(last {now - last_time:.0f} s: {recent:.0f}/s)"
            )
            last_count, last_time = count, now

    thread = threading.Thread(target=report, daemon=True)
    thread.start()
    return thread


def _http_rush(
    *,
    label: str,
    server: Gunicorn,
    trip: RushTrip,
    users: list[BenchUser],
    clients: int,
    bookings: int,
    seed: int,
    database_url: str,
    seconds: float,
) -> dict:
    # Each client books for users of its own (user i belongs to client i mod clients), so a
    # user never has two bookings in flight; each booking has a fresh key.
    rounds = -(-(bookings + bookings // 10 + clients) // len(users))
    prepared = [deque() for _ in range(clients)]
    for n, item in enumerate(_requests(trip, users * rounds, seed)):
        prepared[n % len(users) % clients].append(item)
    state = RushState(prepared=prepared, target=bookings, seconds=seconds)
    meter = CpuMeter(server.pids, _database_name(database_url))
    sampler = WaitSampler(database_url)
    threads = [
        threading.Thread(target=_client, args=(state, server.url, i), daemon=True)
        for i in range(clients)
    ]
    halt = threading.Event()
    sampler.start()
    meter.start()
    started = time.perf_counter()
    reporter = _progress(label, lambda: state.made, started, halt, bookings)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    halt.set()
    reporter.join()
    cpu = meter.stop()
    waits = sampler.stop()
    result = {
        "clients": clients,
        "trip": trip.describe(),
        "bookings": state.made,
        "complete": state.made >= bookings,
        "stopped_by_time_limit": state.timed_out,
        "failed_bookings": state.failed,
        "requests": len(state.request_ms),
        "seconds": round(wall, 2),
        "bookings_per_s": round(state.made / wall, 1),
        "passengers_per_s": round(state.passengers / wall, 1),
        "passengers": state.passengers,
        "request_latency": _latency(state.request_ms),
        "booking_latency_with_retries": _latency(state.booking_ms),
        "errors": dict(state.errors.most_common()),
        "first_error": state.first_error or None,
        "passenger_status_from_responses": dict(sorted(state.statuses.items())),
        "distinct_pnrs": len(state.pnrs),
        "users": len(users),
        "cpu": cpu,
        "postgres_backends": waits,
        "load_average_after": _loadavg(),
    }
    if state.phases:
        result["server_phases_ms"] = _phase_summary(state.phases)
    return result


def _phase_summary(phases: list[dict]) -> dict:
    keys = sorted({k for p in phases for k in p})
    return {
        k: {
            "mean": round(statistics.fmean(p.get(k, 0) for p in phases), 2),
            "p50": round(_percentile([p.get(k, 0) for p in phases], 50), 2),
            "p99": round(_percentile([p.get(k, 0) for p in phases], 99), 2),
        }
        for k in keys
    } | {"requests": len(phases)}


# --- Checks --------------------------------------------------------------------------------


def _trip_check(trip: RushTrip) -> dict:
    """What the database says of a trip after a rush: passengers by status, PNRs, seat legs
    held twice (oversell), places whose legs differ from their passengers'."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM booking_passenger WHERE trip_class_id = %s "
            "GROUP BY status",
            [trip.trip_class_id],
        )
        statuses = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FROM booking_pnr WHERE trip_class_id = %s", [trip.trip_class_id]
        )
        pnrs = cursor.fetchone()[0]
        # Two active passengers on the same seat (the same half, or a whole seat) whose legs
        # overlap.
        cursor.execute(
            """SELECT count(*) FROM booking_passenger a
               JOIN booking_pnr pa ON pa.id = a.pnr_id
               JOIN booking_passenger b ON b.trip_class_id = a.trip_class_id
                    AND b.seat_id = a.seat_id AND b.id > a.id
               JOIN booking_pnr pb ON pb.id = b.pnr_id
               WHERE a.trip_class_id = %s AND a.status IN ('CNF', 'RAC')
                 AND b.status IN ('CNF', 'RAC')
                 AND (a.half = 0 OR b.half = 0 OR a.half = b.half)
                 AND ((pa.legs_low & pb.legs_low) <> 0 OR (pa.legs_high & pb.legs_high) <> 0)""",
            [trip.trip_class_id],
        )
        oversold = cursor.fetchone()[0]
        cursor.execute(
            """SELECT count(*) FROM booking_place pl LEFT JOIN (
                   SELECT a.seat_id, a.half, bit_or(p.legs_low) AS lo, bit_or(p.legs_high) AS hi
                   FROM booking_passenger a JOIN booking_pnr p ON p.id = a.pnr_id
                   WHERE a.trip_class_id = %s AND a.status IN ('CNF', 'RAC')
                   GROUP BY a.seat_id, a.half) u ON u.seat_id = pl.seat_id AND u.half = pl.half
               WHERE pl.trip_class_id = %s
                 AND (pl.legs_low <> coalesce(u.lo, 0) OR pl.legs_high <> coalesce(u.hi, 0))""",
            [trip.trip_class_id, trip.trip_class_id],
        )
        mismatched = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*), sum(bit_count(legs_low::bit(63))) FROM booking_place "
            "WHERE trip_class_id = %s AND legs_low <> 0",
            [trip.trip_class_id],
        )
        used_places, used_legs = cursor.fetchone()
    return {
        "passenger_status_in_database": dict(sorted(statuses.items())),
        "pnrs": pnrs,
        "seat_legs_sold_twice": oversold,
        "place_masks_not_matching_passengers": mismatched,
        "places_used": used_places,
        "place_legs_used": int(used_legs or 0),
        "place_legs_capacity": trip.places * (STOPS - 1),
    }


def _invariants() -> dict:
    from ttms.invariants import run_checks

    started = time.perf_counter()
    problems = run_checks()
    return {
        "invariants_ok": not any(problems.values()),
        "checks": sorted(problems),
        "problems": {k: v[:10] for k, v in problems.items() if v},
        "seconds": round(time.perf_counter() - started, 2),
    }


# --- Server-side diagnostics (run inside gunicorn workers) ------------------------------------

_PROFILE: cProfile.Profile | None = None
_PROFILE_REQUESTS = 0


def _dump_profile() -> None:
    if _PROFILE is not None:
        _PROFILE.dump_stats(str(RESULTS / f"{NAME}.{os.getpid()}.prof"))


def profiled_application(environ, start_response):
    """`ttms.wsgi.application` under cProfile (BENCH_PROFILE=1): each worker writes its
    stats to bench/results/booking_rush.<pid>.prof every 500 requests and at exit."""
    global _PROFILE, _PROFILE_REQUESTS
    from ttms.wsgi import application

    if _PROFILE is None:
        _PROFILE = cProfile.Profile()
        atexit.register(_dump_profile)
    _PROFILE.enable()
    try:
        response = application(environ, start_response)
        body = list(response)
        if hasattr(response, "close"):
            response.close()
    finally:
        _PROFILE.disable()
    _PROFILE_REQUESTS += 1
    if _PROFILE_REQUESTS % 500 == 0:
        _dump_profile()
    return body


class _PhaseClock:
    """One request's timeline (BENCH_DIAGNOSE): database time and statement count; time
    before the trip-class lock is asked for, the wait for it, how long it is held (grant
    to the end of the commit), the commit itself, and the time after the commit."""

    def reset(self) -> None:
        self.started = time.perf_counter()
        self.db = 0.0
        self.queries = 0
        self.lock_asked = self.lock_granted = self.committed = None
        self.commit = 0.0
        self.places = 0.0

    def execute(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            now = time.perf_counter()
            self.db += now - started
            self.queries += 1
            if "FOR UPDATE" in sql and "booking_tripclass" in sql:
                self.lock_asked, self.lock_granted = started, now
            elif self.lock_granted is not None and not self.places and "booking_place" in sql:
                self.places = now - started

    def committed_now(self, took: float) -> None:
        self.commit += took
        if self.lock_granted is not None and self.committed is None:
            self.committed = time.perf_counter()

    def header(self) -> str:
        end = time.perf_counter()
        phases = {
            "total": end - self.started,
            "db": self.db,
            "commit": self.commit,
            "places_select": self.places,
        }
        if self.lock_granted is not None and self.committed is not None:
            phases |= {
                "before_lock": self.lock_asked - self.started,
                "lock_wait": self.lock_granted - self.lock_asked,
                "lock_held": self.committed - self.lock_granted,
                "after_commit": end - self.committed,
            }
        return (
            ";".join(f"{k}={v * 1000:.3f}" for k, v in phases.items()) + f";queries={self.queries}"
        )


_CLOCKS = threading.local()  # one per request thread (gthread workers run several)


def _timed_commit(original):
    def commit(self):
        started = time.perf_counter()
        try:
            return original(self)
        finally:
            clock = getattr(_CLOCKS, "clock", None)
            if clock is not None:
                clock.committed_now(time.perf_counter() - started)

    return commit


_PATCHED = False


def phased_application(environ, start_response):
    """`ttms.wsgi.application` with an `X-Bench-Phases` response header (BENCH_DIAGNOSE):
    server time, database time, queries, trip-class lock wait and hold, commit time."""
    global _PATCHED
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from ttms.wsgi import application

    if not _PATCHED:
        BaseDatabaseWrapper._commit = _timed_commit(BaseDatabaseWrapper._commit)
        _PATCHED = True
    clock = _CLOCKS.clock = _PhaseClock()
    clock.reset()

    def start(status, headers, exc_info=None):
        headers = [*headers, ("X-Bench-Phases", clock.header())]
        return (
            start_response(status, headers, exc_info)
            if exc_info
            else start_response(status, headers)
        )

    with connection.execute_wrapper(clock.execute):
        response = application(environ, start)
        body = list(response)
        if hasattr(response, "close"):
            response.close()
    return body


# --- The database's ceiling -----------------------------------------------------------------


# Stand-ins compiled into Django's SQL, replaced per booking by the real values.
_USER, _LOW, _HIGH, _PNR_ID = -700_001, -700_002, -700_003, -700_004
_KEY = "bench-sentinel-key"


def _compiled(queryset, *, slots: dict | None = None) -> tuple[str, list, dict[int, object]]:
    """Django's SQL and parameters for `queryset`, with the positions of the stand-ins."""
    sql, params = queryset.query.sql_with_params()
    params = list(params)
    sentinels = {_USER, _LOW, _HIGH, _PNR_ID, _KEY}
    where = {i: p for i, p in enumerate(params) if isinstance(p, int | str) and p in sentinels}
    return sql, params, where


class CeilingSql:
    """The statements one booking sends, as Django writes them: the reads compiled from the
    same querysets as the services (`booking.sales.services`, `booking.locks`, `payments`,
    `payments.idempotency`, simplejwt, `booking.sales.selectors`), the writes as Django's
    INSERT/UPDATE with the models' columns. Executed with client-side parameter binding
    and one round trip per statement, as Django's psycopg backend does."""

    def __init__(self, *, trip: RushTrip, variant: str) -> None:
        from django.conf import settings
        from django.db import transaction
        from django.db.models import Count, Exists, F, OuterRef, Q

        from booking import rules
        from booking.models import Passenger, PassengerStatus, Place, Pnr, TripClass
        from fleet.models import RouteStop, Trip
        from payments.models import Account, Entry, IdempotencyRecord, Transaction
        from ttms import money
        from ttms.accounts.models import User

        self.variant = variant
        self.full = variant == "full"
        self.lock_timeout = (
            f"SET LOCAL lock_timeout = '{int(settings.TTMS_BOOKING_LOCK_TIMEOUT_MS)}ms'"
        )
        trip_row = Trip.objects.select_related("route__company").get(pk=trip.trip_id)
        self.reads_before = [
            _compiled(
                Trip.objects.select_related("route__company")
                .annotate(has_inventory=Exists(TripClass.objects.filter(trip_id=OuterRef("pk"))))
                .filter(pk=trip.trip_id)[:21]
            ),
            _compiled(
                RouteStop.objects.filter(route_id=trip_row.route_id)
                .select_related("station")
                .order_by("sequence")
            ),
            _compiled(booking_fare_rules(trip_row)),
            _compiled(
                Account.objects.filter(
                    Q(kind=Account.Kind.WALLET, user_id=_USER)
                    | Q(kind=Account.Kind.REVENUE, company_id=trip_row.route.company_id)
                    | Q(kind=Account.Kind.COMMISSION),
                    currency=money.default_currency(),
                )
            ),
        ]
        self.user_read = _compiled(User.objects.filter(pk=_USER)[:21])
        self.record_read = _compiled(
            IdempotencyRecord.objects.filter(
                user_id=_USER, scope="booking.create", key=_KEY
            ).order_by("pk")[:1]
        )
        with transaction.atomic():  # FOR UPDATE compiles inside a transaction only
            self.class_lock = _compiled(
                TripClass.objects.select_for_update(of=("self",))
                .filter(trip_id=trip.trip_id, class_code="SL")
                .order_by("pk")[:1]
            )
        self.places = {}
        for high in (False, True):
            places = (
                Place.objects.filter(trip_class_id=trip.trip_class_id)
                .alias(busy_low=F("legs_low").bitand(_LOW))
                .filter(busy_low=0)
            )
            if high:
                places = places.alias(busy_high=F("legs_high").bitand(_HIGH)).filter(busy_high=0)
            # The columns of rules.FreePlace, as booking.sales.services.create reads them.
            self.places[high] = _compiled(
                places.values_list(
                    *(
                        "pk" if f.name == "place_id" else f.name
                        for f in dataclasses.fields(rules.FreePlace)
                    )
                )
            )
        # The answer's RAC/WL positions when some passengers wait
        # (booking.sales.selectors.new_pnr_positions).
        waiting = [PassengerStatus.RAC, PassengerStatus.WAITLISTED]
        self.positions = _compiled(
            Passenger.objects.filter(
                trip_class_id=trip.trip_class_id, status__in=waiting, pk__lt=_PNR_ID
            )
            .values_list("status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        self.models = {
            "pnr": Pnr,
            "passenger": Passenger,
            "transaction": Transaction,
            "entry": Entry,
            "record": IdempotencyRecord,
        }
        self.defaults = {
            name: {
                f.column: f.get_default() for f in model._meta.concrete_fields if not f.primary_key
            }
            for name, model in self.models.items()
        }
        self.cache: dict = {}

    def insert_sql(self, name: str, rows: int) -> str:
        key = (name, rows)
        if key not in self.cache:
            model = self.models[name]
            table = model._meta.db_table
            columns = [f'"{c}"' for c in self.defaults[name]]
            one = "(" + ", ".join(["%s"] * len(columns)) + ")"
            self.cache[key] = (
                f'INSERT INTO "{table}" ('
                + ", ".join(columns)
                + ") VALUES "
                + ", ".join([one] * rows)
                + f' RETURNING "{table}"."id"'
            )
        return self.cache[key]

    def values(self, name: str, given: dict) -> list:
        row = {**self.defaults[name], **given}
        return [row[c] for c in self.defaults[name]]


def booking_fare_rules(trip_row):
    """The fare read of a booking from the route's first stop to its last (`tariff_get`)."""
    from booking.sales.fares import tariff_query
    from fleet.models import RouteStop

    stations = list(
        RouteStop.objects.filter(route_id=trip_row.route_id)
        .order_by("sequence")
        .values_list("station_id", flat=True)
    )
    return tariff_query(
        company_id=trip_row.route.company_id,
        class_code="SL",
        route_id=trip_row.route_id,
        origin_id=stations[0],
        destination_id=stations[-1],
    )[:1]


def _run(
    cur, compiled: tuple[str, list, dict], values: dict | None = None, fetch: bool = True
) -> list:
    sql, params, where = compiled
    if where:
        params = [values[where[i]] if i in where else p for i, p in enumerate(params)]
    cur.execute(sql, params)
    return cur.fetchall() if fetch else []


def _create_booking_function() -> None:
    """`bench_book(...)`, in the bench database only: the part of a booking done under the
    class lock (lock, pick places, write the PNR, its passengers and the places) as one
    statement, so that the lock is held for one round trip and the commit. A what-if for
    the "one_statement" ceiling, not the project's allocation: first fit in GENERAL seats,
    then RAC halves, then the waiting list (no berth preference, no coach grouping)."""
    from django.db import connection
    from psycopg import sql as pgsql

    from booking.models import Passenger, Pnr

    def columns(model, known: dict) -> tuple[str, str]:
        names, values = [], []
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            names.append(f'"{field.column}"')
            values.append(
                known.get(field.column)
                or pgsql.Literal(
                    field.get_db_prep_save(field.get_default(), connection)
                ).as_string()
            )
        return ", ".join(names), ", ".join(values)

    pnr_columns, pnr_values = columns(
        Pnr,
        {
            "number": "p_number",
            "user_id": "p_user",
            "booked_by_id": "p_user",
            "trip_id": "p_trip",
            "trip_class_id": "tc",
            "class_code": "'SL'",
            "quota": "'GENERAL'",
            "origin_id": "p_origin",
            "destination_id": "p_destination",
            "origin_sequence": "p_oseq",
            "destination_sequence": "p_dseq",
            "departure_at": "p_departure",
            "arrival_at": "p_arrival",
            "distance_km": "p_km",
            "legs_low": "p_low",
            "legs_high": "p_high",
            "total_fare": "p_fare * n",
            "currency": "p_currency",
            "created_at": "now()",
        },
    )
    status = "CASE WHEN i <= k THEN CASE WHEN halves[i] = 0 THEN 'CNF' ELSE 'RAC' END ELSE 'WL' END"
    passenger_columns, passenger_values = columns(
        Passenger,
        {
            "pnr_id": "pnr",
            "trip_class_id": "tc",
            "index": "i",
            "name": "'P' || i",
            "age": "p_ages[i]",
            "gender": "p_genders[i]",
            "berth_preference": "''",
            "passport_number": "''",
            "nationality": "''",
            "status": status,
            "booking_status": status,
            "quota": "'GENERAL'",
            "seat_id": "CASE WHEN i <= k THEN seats[i] END",
            "half": "CASE WHEN i <= k THEN halves[i] ELSE 0 END",
            "fare": "p_fare",
        },
    )
    free = '("legs_low" & p_low) = 0 AND ("legs_high" & p_high) = 0'
    body = f"""
CREATE OR REPLACE FUNCTION bench_book(
    p_trip bigint, p_user bigint, p_number text, p_origin bigint, p_destination bigint,
    p_oseq int, p_dseq int, p_departure timestamptz, p_arrival timestamptz, p_km numeric,
    p_low bigint, p_high bigint, p_fare bigint, p_currency text, p_ages int[],
    p_genders text[], OUT statuses text[], OUT held double precision)
LANGUAGE plpgsql AS $$
DECLARE
    tc bigint; pnr bigint; n int := array_length(p_ages, 1); k int;
    granted timestamptz; places bigint[]; seats bigint[]; halves int[];
BEGIN
    SELECT id INTO tc FROM booking_tripclass
     WHERE trip_id = p_trip AND class_code = 'SL' ORDER BY id LIMIT 1 FOR UPDATE;
    granted := clock_timestamp();
    SELECT coalesce(array_agg(id ORDER BY pool, pos), '{{}}'),
           coalesce(array_agg(seat_id ORDER BY pool, pos), '{{}}'),
           coalesce(array_agg(half ORDER BY pool, pos), '{{}}')
      INTO places, seats, halves
      FROM (SELECT * FROM (
              (SELECT id, seat_id, half, 0 AS pool, "order" * 3 AS pos FROM booking_place
                WHERE trip_class_id = tc AND half = 0 AND quota = 'GENERAL' AND {free}
                ORDER BY "order" LIMIT n)
              UNION ALL
              (SELECT id, seat_id, half, 1, "order" * 3 + half FROM booking_place
                WHERE trip_class_id = tc AND half > 0 AND quota = 'RAC' AND {free}
                ORDER BY "order", half LIMIT n)) candidates
             ORDER BY pool, pos LIMIT n) chosen;
    k := coalesce(array_length(places, 1), 0);
    INSERT INTO booking_pnr ({pnr_columns}) VALUES ({pnr_values}) RETURNING id INTO pnr;
    INSERT INTO booking_passenger ({passenger_columns})
    SELECT {passenger_values} FROM generate_series(1, n) AS i;
    UPDATE booking_place SET legs_low = legs_low | p_low, legs_high = legs_high | p_high
     WHERE id = ANY(places);
    SELECT array_agg({status} ORDER BY i) INTO statuses FROM generate_series(1, n) AS i;
    held := extract(epoch FROM clock_timestamp() - granted);
END $$"""
    with connection.cursor() as cursor:
        cursor.execute(body)


def _ceiling_context(trip: RushTrip) -> dict:
    """What every ceiling booking of a trip reuses: the accounts and the route."""
    from booking.sales.fares import tariff_get
    from fleet.models import RouteStop, Trip
    from payments.ledger.accounts import (
        platform_account_get_or_create,
        revenue_account_get_or_create,
    )
    from payments.models import Account

    trip_row = Trip.objects.select_related("route__company").get(pk=trip.trip_id)
    company = trip_row.route.company
    stops = list(
        RouteStop.objects.filter(route_id=trip_row.route_id)
        .order_by("sequence")
        .values("sequence", "station_id", "distance_km", "arrival_offset", "departure_offset")
    )
    tariff = tariff_get(company_id=company.pk, class_code="SL")
    revenue = revenue_account_get_or_create(company=company)
    commission = platform_account_get_or_create(kind=Account.Kind.COMMISSION)
    return {
        "trip_id": trip_row.pk,
        "commission_bp": company.commission_bp,
        "departure_at": trip_row.departure_at,
        "stops": stops,
        "tariff": tariff,
        "revenue_id": revenue.pk,
        "commission_id": commission.pk,
        "currency": revenue.currency,
    }


def _ceiling_book(
    cur, sql: CeilingSql, ctx: dict, user: BenchUser, spec: dict
) -> tuple[list[str], dict]:
    """One booking, statement for statement as the HTTP request sends it (full) or as the
    booking transaction alone does (core). Returns the passengers' statuses and how long
    the class lock was held, the places read and the allocation took (seconds)."""
    from booking import rules
    from ttms.money import split_commission

    full = sql.full
    now = datetime.now(ZoneInfo("UTC"))
    key = str(uuid.uuid4())
    stand_ins = {_USER: user.user_id, _KEY: key}
    if full:  # JWTAuthentication reads the user (autocommit, before the transaction)
        _run(cur, sql.user_read, stand_ins)
    cur.execute("BEGIN")
    record_id = None
    if full:
        digest = hashlib.sha256(f"{user.user_id}\x00booking.create\x00{key}".encode()).digest()
        cur.execute(
            "SELECT pg_try_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )
        cur.fetchall()
        _run(cur, sql.record_read, stand_ins)
        cur.execute(
            sql.insert_sql("record", 1),
            sql.values(
                "record",
                {
                    "user_id": user.user_id,
                    "scope": "booking.create",
                    "key": key,
                    "fingerprint": hashlib.sha256(key.encode()).hexdigest(),
                    "response_status": None,
                    "response_body": None,
                    "created_at": now,
                    "expires_at": now + timedelta(hours=24),
                },
            ),
        )
        record_id = cur.fetchone()[0]
        cur.execute('SAVEPOINT "s_view"')
        for read in sql.reads_before:  # booking_create's reads before its transaction
            _run(cur, read, stand_ins)
        cur.execute('SAVEPOINT "s_book"')
    stops = ctx["stops"]
    origin, destination = stops[spec["origin"]], stops[spec["destination"]]
    mask = rules.legs_mask(origin["sequence"], destination["sequence"], stops[0]["sequence"])
    low, high = rules.split_mask(mask)
    distance = destination["distance_km"] - origin["distance_km"]
    fare = ctx["tariff"].fare(distance_km=distance, quota="GENERAL")
    total = fare * len(spec["travellers"])
    number = str(1_000_000_000 + random.randrange(9_000_000_000))
    cur.execute(sql.lock_timeout)
    cur.execute(
        'UPDATE "payments_account" SET "balance" = ("payments_account"."balance" - %s) '
        'WHERE ("payments_account"."balance" >= %s AND "payments_account"."id" = %s)',
        [total, total, user.wallet_id],
    )
    if cur.rowcount != 1:
        raise RuntimeError("ceiling: a bench wallet ran dry")
    cur.execute(
        sql.insert_sql("transaction", 1),
        sql.values(
            "transaction",
            {
                "kind": "booking_charge",
                "currency": ctx["currency"],
                "reference_type": "pnr",
                "reference_id": number,
                "description": "bench ceiling",
                "created_by_id": user.user_id,
                "idempotency_record_id": record_id,
                "created_at": now,
            },
        ),
    )
    txn_id = cur.fetchone()[0]
    company_share, commission = split_commission(total, ctx["commission_bp"])
    legs = [
        (user.wallet_id, -total),
        (ctx["revenue_id"], company_share),
        (ctx["commission_id"], commission),
    ]
    legs = [leg for leg in legs if leg[1]]
    entries = [
        v
        for account, amount in legs
        for v in sql.values(
            "entry", {"transaction_id": txn_id, "account_id": account, "amount": amount}
        )
    ]
    cur.execute(sql.insert_sql("entry", len(legs)), entries)
    if sql.variant == ONE_STATEMENT:
        called = time.perf_counter()
        cur.execute(
            "SELECT * FROM bench_book(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s)",
            [
                ctx["trip_id"],
                user.user_id,
                number,
                origin["station_id"],
                destination["station_id"],
                origin["sequence"],
                destination["sequence"],
                ctx["departure_at"] + timedelta(minutes=origin["departure_offset"]),
                ctx["departure_at"] + timedelta(minutes=destination["arrival_offset"]),
                distance,
                low,
                high,
                fare,
                ctx["currency"],
                [t.age for t in spec["travellers"]],
                [t.gender for t in spec["travellers"]],
            ],
        )
        statuses, held_inside = cur.fetchone()
        returned = time.perf_counter()
        cur.execute("COMMIT")
        done = time.perf_counter()
        return statuses, {"lock_held": held_inside + (done - returned), "call": returned - called}
    # --- the class lock: held from here to the commit ---
    trip_class_id = _run(cur, sql.class_lock)[0][0]
    locked = time.perf_counter()
    free = [
        rules.FreePlace(*row) for row in _run(cur, sql.places[bool(high)], {_LOW: low, _HIGH: high})
    ]
    read = time.perf_counter()
    result = rules.allocate(spec["travellers"], free, quota="GENERAL")
    allocated = time.perf_counter()
    cur.execute(
        sql.insert_sql("pnr", 1),
        sql.values(
            "pnr",
            {
                "number": number,
                "user_id": user.user_id,
                "booked_by_id": user.user_id,
                "trip_id": ctx["trip_id"],
                "trip_class_id": trip_class_id,
                "class_code": "SL",
                "quota": "GENERAL",
                "origin_id": origin["station_id"],
                "destination_id": destination["station_id"],
                "origin_sequence": origin["sequence"],
                "destination_sequence": destination["sequence"],
                "departure_at": ctx["departure_at"] + timedelta(minutes=origin["departure_offset"]),
                "arrival_at": ctx["departure_at"]
                + timedelta(minutes=destination["arrival_offset"]),
                "distance_km": distance,
                "legs_low": low,
                "legs_high": high,
                "total_fare": total,
                "currency": ctx["currency"],
                "created_at": now,
            },
        ),
    )
    pnr_id = cur.fetchone()[0]
    rows = []
    for index, (traveller, allocation) in enumerate(
        zip(spec["travellers"], result.passengers, strict=True), start=1
    ):
        place = allocation.place
        rows += sql.values(
            "passenger",
            {
                "pnr_id": pnr_id,
                "trip_class_id": trip_class_id,
                "index": index,
                "name": f"P{index}",
                "age": traveller.age,
                "gender": traveller.gender,
                "berth_preference": "",
                "passport_number": "",
                "nationality": "",
                "status": allocation.status,
                "booking_status": allocation.status,
                "quota": allocation.quota,
                "seat_id": place.seat_id if place else None,
                "half": place.half if place else 0,
                "fare": fare,
            },
        )
    cur.execute(sql.insert_sql("passenger", len(spec["travellers"])), rows)
    passenger_ids = [row[0] for row in cur.fetchall()]
    taken = [a.place.place_id for a in result.passengers if a.place is not None]
    if taken:
        sets = '"legs_low" = ("booking_place"."legs_low" | %s)' + (
            ', "legs_high" = ("booking_place"."legs_high" | %s)' if high else ""
        )
        cur.execute(
            f'UPDATE "booking_place" SET {sets} WHERE "booking_place"."id" IN ('
            + ", ".join(["%s"] * len(taken))
            + ")",
            [low, *([high] if high else []), *taken],
        )
    if full:
        cur.execute('RELEASE SAVEPOINT "s_book"')
        if any(a.status in ("RAC", "WL") for a in result.passengers):
            _run(cur, sql.positions, {_PNR_ID: min(passenger_ids)})
        cur.execute('RELEASE SAVEPOINT "s_view"')
        cur.execute(
            'UPDATE "payments_idempotencyrecord" SET "response_status" = %s, '
            '"response_body" = %s WHERE "payments_idempotencyrecord"."id" = %s',
            [
                201,
                json.dumps({"pnr": number, "passengers": [a.status for a in result.passengers]}),
                record_id,
            ],
        )
    cur.execute("COMMIT")
    done = time.perf_counter()
    timings = {
        "lock_held": done - locked,
        "places_read": read - locked,
        "allocate": allocated - read,
        "free_places": len(free),
    }
    return [a.status for a in result.passengers], timings


def _ceiling_specs(trip: RushTrip, count: int, seed: int) -> list[dict]:
    from booking import rules

    rng = random.Random(seed)
    specs = []
    for _ in range(count):
        origin, destination = sorted(rng.sample(range(len(trip.codes)), 2))
        specs.append(
            {
                "origin": origin,
                "destination": destination,
                "travellers": [
                    rules.Traveller(rng.randint(5, 80), rng.choice("MMMMFFFFT"))
                    for _ in range(rng.randint(PAX_MIN, PAX_MAX))
                ],
            }
        )
    return specs


def _ceiling_worker(url, sql, ctx, users, specs, counter, made, results, deadline) -> None:
    """One ceiling client (a forked process): one connection, bookings until every spec
    is booked. A lock timeout or a PNR number drawn twice is retried, as the service does."""
    import psycopg

    random.seed(os.getpid())
    latencies, statuses, errors, connected = [], Counter(), Counter(), False
    phases: dict[str, list[float]] = {}
    retry = (psycopg.errors.LockNotAvailable, psycopg.errors.UniqueViolation)
    try:
        with _connect(url, cursor_factory=psycopg.ClientCursor) as conn:
            connected = True
            cur = conn.cursor()
            while True:
                with counter.get_lock():
                    index = counter.value
                    if index >= len(specs) or time.monotonic() > deadline:
                        break
                    counter.value += 1
                for _attempt in range(BUSY_RETRIES):
                    started = time.perf_counter()
                    try:
                        user = users[index % len(users)]  # never twice in flight
                        found, timings = _ceiling_book(cur, sql, ctx, user, specs[index])
                    except retry as exc:
                        cur.execute("ROLLBACK")
                        errors[type(exc).__name__] += 1
                        continue
                    latencies.append((time.perf_counter() - started) * 1000)
                    statuses.update(found)
                    for name, value in timings.items():
                        phases.setdefault(name, []).append(
                            value if name == "free_places" else value * 1000
                        )
                    with made.get_lock():
                        made.value += 1
                    break
    except Exception as exc:  # reported, not raised: the parent waits for every worker
        errors[f"exception {type(exc).__name__}: {str(exc)[:200]}"] += 1
    results.put(
        {
            "latencies": latencies,
            "statuses": dict(statuses),
            "errors": dict(errors),
            "connected": connected,
            "phases": phases,
        }
    )


def _ceiling_rush(
    *,
    label: str,
    trip: RushTrip,
    users: list[BenchUser],
    clients: int,
    bookings: int,
    seed: int,
    database_url: str,
    variant: str,
    seconds: float,
) -> dict:
    from django.db import connections

    sql = CeilingSql(trip=trip, variant=variant)
    if variant == ONE_STATEMENT:
        _create_booking_function()
    ctx = _ceiling_context(trip)
    specs = _ceiling_specs(trip, bookings, seed)
    connections.close_all()  # nothing of Django's crosses the fork
    fork = multiprocessing.get_context("fork")
    counter, made, results = fork.Value("i", 0), fork.Value("i", 0), fork.Queue()
    meter = CpuMeter()
    sampler = WaitSampler(database_url)
    workers = [
        fork.Process(
            target=_ceiling_worker,
            daemon=True,
            args=(
                database_url,
                sql,
                ctx,
                users,
                specs,
                counter,
                made,
                results,
                time.monotonic() + seconds,
            ),
        )
        for _ in range(clients)
    ]
    meter.start()
    started = time.perf_counter()
    for worker in workers:  # before any thread of this process starts: a clean fork
        worker.start()
    sampler.start()
    halt = threading.Event()
    reporter = _progress(label, lambda: made.value, started, halt, bookings)
    collected = []
    while len(collected) < len(workers):
        try:
            collected.append(results.get(timeout=1))
        except queue.Empty:
            if not any(worker.is_alive() for worker in workers) and results.empty():
                break
    for worker in workers:
        worker.join(10)
        if worker.is_alive():
            worker.kill()
    wall = time.perf_counter() - started
    halt.set()
    reporter.join()
    cpu = meter.stop()
    waits = sampler.stop()
    latencies = [v for r in collected for v in r["latencies"]]
    statuses, errors = Counter(), Counter()
    for r in collected:
        statuses.update(r["statuses"])
        errors.update(r["errors"])
    passengers = sum(statuses.values())
    phases: dict[str, list[float]] = {}
    for r in collected:
        for name, values in r.get("phases", {}).items():
            phases.setdefault(name, []).extend(values)
    return {
        "variant": variant,
        "clients": clients,
        "processes": clients,
        "connected": sum(1 for r in collected if r.get("connected")),
        "trip": trip.describe(),
        "bookings": len(latencies),
        "complete": len(latencies) >= bookings,
        "seconds": round(wall, 2),
        "bookings_per_s": round(len(latencies) / wall, 1),
        "passengers_per_s": round(passengers / wall, 1),
        "transaction_latency": _latency(latencies),
        "per_booking_ms": {
            name: {
                "mean": round(statistics.fmean(values), 2),
                "p50": round(_percentile(values, 50), 2),
                "p99": round(_percentile(values, 99), 2),
            }
            for name, values in phases.items()
            if values
        },
        "errors": dict(errors),
        "passenger_status": dict(sorted(statuses.items())),
        "cpu": cpu,
        "postgres_backends": waits,
        "load_average_after": _loadavg(),
    }


def _captured_statements(trip: RushTrip, user: BenchUser) -> list[str]:
    """The SQL one booking sends through the whole Django stack (in-process, the test
    client): what the ceiling loop reproduces. Shortened to the statement's head."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    body = json.loads(_requests(trip, [user], SEED)[0][1])
    with CaptureQueriesContext(connection) as captured:
        response = Client().post(
            BOOKING_PATH,
            body,
            content_type="application/json",
            headers={"authorization": f"Bearer {user.token}", "idempotency-key": str(uuid.uuid4())},
        )
    if response.status_code != 201:
        raise RuntimeError(
            f"the probe booking failed: {response.status_code} {response.content[:500]!r}"
        )
    return [" ".join(q["sql"].split())[:110] for q in captured.captured_queries]


# --- The whole benchmark -------------------------------------------------------------------


def run() -> dict:
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    redis_url = os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL
    bookings = _env_int("BENCH_BOOKINGS", 3000)
    client_counts = [int(c) for c in os.environ.get("BENCH_CLIENTS", "16,64").split(",")]
    cores = os.cpu_count() or 1
    workers = _env_int("BENCH_GUNICORN_WORKERS", 2 * cores + 1)
    threads = _env_int("BENCH_GUNICORN_THREADS", 1)
    diagnose = os.environ.get("BENCH_DIAGNOSE", "0") == "1"
    profile = os.environ.get("BENCH_PROFILE", "0") == "1"
    skip_ceiling = os.environ.get("BENCH_SKIP_CEILING", "0") == "1"
    run_seconds = _env_int("BENCH_RUN_SECONDS", 120)
    begun = time.perf_counter()
    (RESULTS / f"{NAME}.gunicorn.log").unlink(missing_ok=True)

    _say(
        f"setting up: database {_database_name(database_url)} (recreated), "
        f"redis {redis_url.rsplit('/', 1)[-1]} (flushed)"
    )
    _configure(database_url, redis_url)
    from ._fixtures import rail_company

    setup: dict = {"migrate_s": round(time.perf_counter() - begun, 1)}
    machine = _machine()
    started = time.perf_counter()
    company = rail_company(name="Bench Railways", slug="bench-railways")
    warmup_trip = _make_trip(company, "WU")
    trips = {c: _make_trip(company, f"H{c}X") for c in client_counts}
    ceiling_trips = {
        (c, v): _make_trip(company, f"C{c}{v[0].upper()}X")
        for c in client_counts
        for v in CEILING_VARIANTS
    }
    setup["trips_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    # BENCH_USERS passengers, shared out among the clients of a run (never two bookings of
    # one user at once); the warm-up has users of its own.
    warmups = 200
    users = _make_users(warmups + _env_int("BENCH_USERS", 1000))
    warm_users, run_users = users[:warmups], users[warmups:]
    setup["users"] = len(users)
    setup["users_s"] = round(time.perf_counter() - started, 1)
    _say(
        f"{len(users)} funded users with tokens in {setup['users_s']} s; trips of "
        f"{warmup_trip.berths} berths ({warmup_trip.places} places) in {setup['trips_s']} s"
    )

    statements = _captured_statements(warmup_trip, warm_users[0])
    _say(f"one booking sends {len(statements)} statements through Django")
    app = "bench.booking_rush:profiled_application" if profile else "ttms.wsgi:application"
    server = Gunicorn(
        app=app, workers=workers, threads=threads, log=RESULTS / f"{NAME}.gunicorn.log"
    )
    runs, ceilings, diagnosis = [], [], None
    try:
        server.start()
        _say(
            f"gunicorn up on {server.url}: {workers} {server.worker_class} workers"
            + (f" × {threads} threads" if threads > 1 else "")
        )
        warm = _http_rush(
            label="warm-up",
            server=server,
            trip=warmup_trip,
            users=warm_users[1:],
            clients=16,
            bookings=warmups - 1,
            seed=SEED,
            database_url=database_url,
            seconds=run_seconds,
        )
        if warm["bookings"] < warmups // 2:
            raise RuntimeError(f"the warm-up failed: {warm['errors']} {warm['first_error']}")
        for clients in client_counts:
            # The ceiling runs right after the rush it is compared with: whatever else the
            # machine is doing, both see about the same.
            _say(
                f"rush: {clients} clients, {bookings} bookings on trip "
                f"{trips[clients].trip_id} (load average {_loadavg()})"
            )
            result = _http_rush(
                label=f"http c={clients}",
                server=server,
                trip=trips[clients],
                users=run_users,
                clients=clients,
                bookings=bookings,
                seed=SEED + clients,
                database_url=database_url,
                seconds=run_seconds,
            )
            result["database"] = _trip_check(trips[clients])
            runs.append(result)
            _say(_line(result))
            for variant in () if skip_ceiling else CEILING_VARIANTS:
                trip = ceiling_trips[(clients, variant)]
                _say(
                    f"ceiling ({variant}): {clients} psycopg clients, {bookings} bookings "
                    f"(load average {_loadavg()})"
                )
                result = _ceiling_rush(
                    label=f"sql {variant} c={clients}",
                    trip=trip,
                    users=run_users,
                    clients=clients,
                    bookings=bookings,
                    seed=SEED + clients,
                    database_url=database_url,
                    variant=variant,
                    seconds=run_seconds,
                )
                result["database"] = _trip_check(trip)
                ceilings.append(result)
                _say(_line(result))
    finally:
        server.stop()
    invariants = _invariants()
    _say(
        f"invariants ok: {invariants['invariants_ok']} ({len(invariants['checks'])} checks)"
        + (f": {invariants['problems']}" if not invariants["invariants_ok"] else "")
    )
    if diagnose:
        diagnosis = _diagnose(
            company,
            run_users,
            client_counts[-1],
            bookings,
            database_url,
            workers,
            threads,
            run_seconds,
        )

    comparison = []
    for result in runs:
        row = {"clients": result["clients"], "http_bookings_per_s": result["bookings_per_s"]}
        for ceiling in ceilings:
            if ceiling["clients"] == result["clients"]:
                row[f"ceiling_{ceiling['variant']}_bookings_per_s"] = ceiling["bookings_per_s"]
                row[f"http_over_ceiling_{ceiling['variant']}"] = round(
                    result["bookings_per_s"] / ceiling["bookings_per_s"], 3
                )
        comparison.append(row)
    target = _target(runs)
    return {
        "benchmark": NAME,
        "what": "POST /api/v1/bookings/ by N concurrent clients on one 1,008-berth trip, "
        "through gunicorn, PostgreSQL and Redis; then the same SQL through psycopg",
        "target": {
            "bookings_per_s": TARGET_RATE,
            "clients": TARGET_CLIENTS,
            "p99_ms": TARGET_P99_MS,
            "oversold": 0,
            **target,
        },
        "config": {
            "bookings_per_run": bookings,
            "clients": client_counts,
            "run_time_limit_s": run_seconds,
            "users": f"{len(run_users)} passengers, each client booking for its own "
            "(a user never has two bookings in flight), a fresh Idempotency-Key "
            "per booking; the runs, on different trips, reuse them",
            "passengers_per_booking": [PAX_MIN, PAX_MAX],
            "stops": STOPS,
            "coaches": f"{COACHES} × SL",
            "class": "SL",
            "quota": "GENERAL",
            "server": server.describe(),
            "database": _database_name(database_url),
            "redis": redis_url.rsplit("/", 1)[-1],
            "throttle_booking": "100000/min",
            "http_client": "httpx, one Client (one keep-alive connection) per thread, "
            "in this process",
            "ceiling_client": "one forked process per client, psycopg 3 ClientCursor "
            "(client-side binding, as Django), autocommit off per booking",
            "seed": SEED,
        },
        "machine": machine,
        "setup": setup,
        "statements_per_booking_through_django": statements,
        "warmup": {"bookings": warm["bookings"], "errors": warm["errors"]},
        "runs": runs,
        "invariants_ok": invariants["invariants_ok"],
        "invariants": invariants,
        "oversold_seat_legs": sum(r["database"]["seat_legs_sold_twice"] for r in runs),
        "ceiling": ceilings,
        "comparison": comparison,
        "diagnosis": diagnosis,
        "total_seconds": round(time.perf_counter() - begun, 1),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _diagnose(company, users, clients, bookings, database_url, workers, threads, seconds) -> dict:
    """A separate, shorter run at the highest client count with the phase-timing
    application: where a request's time goes on the server. Not the measurement."""
    count = bookings
    trip = _make_trip(company, f"D{clients}X")
    server = Gunicorn(
        app="bench.booking_rush:phased_application",
        workers=workers,
        threads=threads,
        log=RESULTS / f"{NAME}.gunicorn.log",
    )
    try:
        server.start()
        _say(f"diagnosis: {clients} clients with server-side phase timings")
        result = _http_rush(
            label=f"diagnose c={clients}",
            server=server,
            trip=trip,
            users=users,
            clients=clients,
            bookings=count,
            seed=SEED + 7,
            database_url=database_url,
            seconds=seconds,
        )
    finally:
        server.stop()
    _say(f"diagnosis: {json.dumps(result.get('server_phases_ms', {}))}")
    return {
        "note": "server-side phases per request (ms), instrumented run, not the measurement",
        **{
            k: result[k]
            for k in (
                "clients",
                "bookings",
                "bookings_per_s",
                "request_latency",
                "server_phases_ms",
                "postgres_backends",
                "cpu",
            )
            if k in result
        },
    }


def _target(runs: list[dict]) -> dict:
    at = next((r for r in runs if r["clients"] == TARGET_CLIENTS), None)
    if at is None:
        return {"met": None}
    oversold = at["database"]["seat_legs_sold_twice"]
    p99 = at["request_latency"].get("p99_ms", 0)
    return {
        "met": at["bookings_per_s"] >= TARGET_RATE and p99 < TARGET_P99_MS and oversold == 0,
        "measured_bookings_per_s": at["bookings_per_s"],
        "measured_p99_ms": p99,
        "measured_oversold": oversold,
    }


def _line(result: dict) -> str:
    latency = result.get("request_latency") or result.get("transaction_latency") or {}
    what = f"sql {result['variant']}" if "variant" in result else "http"
    line = (
        f"{what} c={result['clients']}: {result['bookings']} bookings"
        f"{'' if result.get('complete', True) else ' (stopped by the time limit)'} in "
        f"{result['seconds']} s = {result['bookings_per_s']}/s "
        f"({result['passengers_per_s']} passengers/s), p50 {latency.get('p50_ms')} ms, "
        f"p95 {latency.get('p95_ms')} ms, p99 {latency.get('p99_ms')} ms"
    )
    if "variant" not in result:
        line += (
            f"; target ≥{TARGET_RATE}/s with p99 <{TARGET_P99_MS} ms at {TARGET_CLIENTS} clients"
        )
    line += f"; errors {result['errors'] or 'none'}"
    database = result.get("database")
    if database:
        line += (
            f"; database {database['passenger_status_in_database']}, seat legs sold "
            f"twice: {database['seat_legs_sold_twice']}"
        )
    return line


def _summary(result: dict) -> None:
    print(
        f"\n== {NAME}: target ≥{TARGET_RATE} bookings/s at {TARGET_CLIENTS} clients, "
        f"p99 <{TARGET_P99_MS} ms, zero oversell",
        flush=True,
    )
    for r in result["runs"]:
        print("  " + _line(r))
    for r in result["ceiling"]:
        print("  " + _line(r))
    for row in result["comparison"]:
        ratios = [
            f"{row[k]:.0%} of the {k.removeprefix('http_over_ceiling_')} ceiling"
            for k in row
            if k.startswith("http_over")
        ]
        if ratios:
            print(
                f"  c={row['clients']}: http {row['http_bookings_per_s']}/s = " + ", ".join(ratios)
            )
    print(
        f"  invariants ok: {result['invariants_ok']}; oversold seat legs: "
        f"{result['oversold_seat_legs']}; target met: {result['target']['met']}",
        flush=True,
    )


def main() -> int:
    servers_stopped_on_exit()
    RESULTS.mkdir(exist_ok=True)
    try:
        result = run()
    finally:
        stop_everything()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    _summary(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
