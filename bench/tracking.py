"""Live tracking: simulated vehicles publish fixes over WebSockets as their drivers, fanned
out to subscribers over real sockets; publish-to-receive latency, fixes lost, CPU per fix.

The layout of production's `/ws/`: uvicorn serving `ttms.asgi` (N workers) on the Redis
channel layer (channels_redis) and the Redis position store, PostgreSQL behind, DEBUG off.
Throwaway stores as booking_rush's: the PostgreSQL database of BENCH_DATABASE_URL (default
`ttms_bench`, dropped and recreated at start; its name must contain "bench") and the Redis
database of BENCH_REDIS_URL (default db 5, flushed at start).

Setup (through the project's services): one bus operator, one route of three stops 55 km
apart, BENCH_VEHICLES trips of it running (DEPARTED through fleet's status service), each
with its own driver (a JWT each), and one staff member of the operator whose JWT every
subscriber uses (each socket is authorised at its handshake all the same).

A run, per ASGI worker count of BENCH_ASGI_WORKERS: client processes (BENCH_CLIENT_PROCESSES,
each an asyncio loop with the `websockets` package) open BENCH_SUBSCRIBERS subscribers spread
evenly over the trips, then one publisher per trip (`?token=` of its driver); for
BENCH_SECONDS the publishers send BENCH_RATE fixes a second in total, each vehicle at an even
pace along its route (tracking.simulator, as `simulate_trips` drives it), the fix's
`recorded_at` being the moment it is sent. A subscriber's latency is its receive time minus
that `recorded_at` (one machine, one clock). The publishing starts once every socket is
open; after the last fix the subscribers read on until nothing came for a second (at most
BENCH_DRAIN_SECONDS); a fix expected by a subscriber (sent on its trip) and not received by
then is lost. CPU: the server's processes (uvicorn and its workers), Redis and the bench
database's PostgreSQL backends, per fix accepted, from the first fix to the end of the drain.

Knobs (environment): BENCH_SUBSCRIBERS (1000), BENCH_VEHICLES (500), BENCH_RATE (1000 fixes/s
in total), BENCH_SECONDS (20), BENCH_DRAIN_SECONDS (30), BENCH_ASGI_WORKERS ("1,2"),
BENCH_CLIENT_PROCESSES (2), BENCH_SEED (2030).
"""

import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ._servers import RUNNING, servers_stopped_on_exit, stop_everything
from .booking_rush import (
    DEFAULT_DATABASE_URL,
    DEFAULT_REDIS_URL,
    _children,
    _configure,
    _database_name,
    _env_int,
    _latency,
    _loadavg,
    _postgres_pids,
    _proc_cpu,
)

RESULTS = Path(__file__).resolve().parent / "results"
BASE_DIR = RESULTS.parent.parent
NAME = "tracking"
TARGET_P99_MS = 100
TARGET_RATE = 1000
TARGET_SUBSCRIBERS = 1000
LEG_KM = 55
LEG_MINUTES = 60
CONNECT_AT_ONCE = 50
PATH = "/ws/trips/{trip_id}/positions/"


def _say(message: str) -> None:
    print(f"[{NAME} {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _env_list(name: str, default: str) -> list[int]:
    return [int(v) for v in (os.environ.get(name, "").strip() or default).split(",") if v]


# --- Setup --------------------------------------------------------------------------------


def _setup(vehicles: int) -> dict:
    """The operator, its route, `vehicles` running trips with a driver each; the tokens."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from fleet.models import Company, CompanyMembership, Trip, TripStatus
    from fleet.services import route_create, station_upsert
    from fleet.services.trips import trip_advance
    from ttms.accounts.models import Role, User

    company, _ = Company.objects.get_or_create(
        slug="bench-tracking",
        defaults={"name": "Bench Buses", "kind": Company.Kind.BUS, "time_zone": "Africa/Kigali"},
    )
    stations = [
        station_upsert(
            code=f"BTK{i}",
            name=f"Bench stop {i}",
            time_zone="Africa/Kigali",
            latitude=-2.0 + i * LEG_KM / 111.2,
            longitude=30.0,
        )
        for i in range(3)
    ]
    departure = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0)
    route = route_create(
        company=company,
        code="BTK",
        number="BTK",
        name="Bench stop 0 - Bench stop 2",
        departure_times=departure.strftime("%H:%M"),
        stops=[
            (stations[0], 0, None, 0),
            (stations[1], LEG_KM, LEG_MINUTES, LEG_MINUTES),
            (stations[2], 2 * LEG_KM, 2 * LEG_MINUTES, None),
        ],
    )
    unusable = "!bench"
    drivers = User.objects.bulk_create(
        User(
            email=f"bench-driver-{i}@bench.invalid",
            full_name=f"Bench Driver {i}",
            password=unusable,
            role=Role.DRIVER,
        )
        for i in range(vehicles)
    )
    CompanyMembership.objects.bulk_create(
        CompanyMembership(user=d, company=company, role=Role.DRIVER) for d in drivers
    )
    watcher = User.objects.create(
        email="bench-staff@bench.invalid",
        full_name="Bench Staff",
        password=unusable,
        role=Role.COMPANY_ADMIN,
    )
    CompanyMembership.objects.create(user=watcher, company=company, role=Role.COMPANY_ADMIN)
    # The trips leave a second apart (one route, one departure each).
    trips = Trip.objects.bulk_create(
        Trip(
            route=route,
            service_date=departure.date(),
            departure_at=departure + timedelta(seconds=i),
            arrival_at=departure + timedelta(seconds=i, minutes=2 * LEG_MINUTES),
        )
        for i in range(vehicles)
    )
    Trip.drivers.through.objects.bulk_create(
        Trip.drivers.through(trip_id=t.pk, user_id=d.pk)
        for t, d in zip(trips, drivers, strict=True)
    )
    for trip in trips:
        trip_advance(trip=trip, to_status=TripStatus.DEPARTED, via=(TripStatus.BOARDING,))
    return {
        "trips": [
            {
                "trip_id": t.pk,
                "departure_at": t.departure_at.isoformat(),
                "token": str(RefreshToken.for_user(d).access_token),
            }
            for t, d in zip(trips, drivers, strict=True)
        ],
        "watcher_token": str(RefreshToken.for_user(watcher).access_token),
        "stops": [
            {"sequence": i + 1, "lat": s.latitude, "lon": s.longitude}
            for i, s in enumerate(stations)
        ],
    }


# --- The server ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Uvicorn:
    """uvicorn serving the ASGI application on 127.0.0.1, stopped by its PID."""

    def __init__(self, *, workers: int, log: Path) -> None:
        self.workers, self.log = workers, log
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        self.port = _free_port()
        uvicorn = Path(sys.executable).parent / "uvicorn"
        command = [
            str(uvicorn),
            "ttms.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--ws",
            "websockets-sansio",
            "--no-access-log",
            "--log-level",
            "warning",
            "--backlog",
            "4096",
        ]
        self.log.parent.mkdir(exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, stdout=out, stderr=out, stdin=subprocess.DEVNULL
            )
        RUNNING.append(self)
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited ({self.process.returncode}); see {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                response = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2)
                if response.status_code == 200 and len(self.pids()) > self.workers - (
                    self.workers == 1
                ):
                    return
            time.sleep(0.2)
        raise RuntimeError(f"uvicorn did not become healthy in {timeout:.0f} s; see {self.log}")

    def pids(self) -> list[int]:
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *_children(self.process.pid)]

    def stop(self) -> None:
        workers = self.pids()[1:]
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        # A supervisor killed before its workers exited leaves them running.
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ValueError):
            RUNNING.remove(self)


def _redis_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "redis-server":
                    pids.append(int(entry.name))
    return pids


def _cpu(pids: list[int]) -> dict[int, float]:
    return {pid: cpu for pid in pids if (cpu := _proc_cpu(pid)) is not None}


def _cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before[pid] for pid in after if pid in before)


# --- The clients (one forked process each, asyncio inside) -------------------------------


def _client(job: dict, start, out) -> None:
    """Subscribers and publishers of this process's trips: connects them all, says so on
    `out`, waits for the shared `start` time, publishes, then puts its measurements on
    `out`."""
    try:
        out.put(asyncio.run(_client_main(job, start, out)))
    except BaseException as exc:  # reported, not lost with the process
        out.put({"error": f"{type(exc).__name__}: {exc}"})


async def _client_main(job: dict, start, out) -> dict:
    from websockets.asyncio.client import connect

    from tracking.simulator import VehiclePlan, Waypoint

    base = f"ws://127.0.0.1:{job['port']}"
    seconds, rate_per_trip = job["seconds"], job["rate_per_trip"]
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    latencies: list[float] = []
    received: Counter = Counter()  # trip id -> deliveries of fixes this process sent
    sent: dict[int, set[str]] = {t["trip_id"]: set() for t in job["trips"]}
    refused: Counter = Counter()
    failures: Counter = Counter()
    publishing_done = asyncio.Event()

    async def opened(trip_id: int, token: str):
        async with gate:
            return await connect(
                f"{base}{PATH.format(trip_id=trip_id)}?token={token}",
                compression=None,
                ping_interval=None,
                max_size=2**16,
                open_timeout=60,
            )

    async def subscriber(ws, trip_id: int):
        mine = sent[trip_id]
        try:
            async for text in ws:
                now = time.time()
                message = json.loads(text)
                if message.get("type") != "position":
                    continue
                stamp = message["recorded_at"]
                if stamp in mine:
                    received[trip_id] += 1
                    sent_ts = datetime.fromisoformat(stamp).timestamp()
                    latencies.append((sent_ts, (now - sent_ts) * 1000))
        except Exception as exc:  # a dropped subscriber shows as lost fixes and here
            if not publishing_done.is_set():
                failures[f"subscriber: {type(exc).__name__}"] += 1

    async def publisher_reader(ws):
        with contextlib.suppress(Exception):
            async for text in ws:
                message = json.loads(text)
                if message.get("type") == "error":
                    refused[message.get("code")] += 1

    async def publisher(ws, trip: dict, offset: float):
        stops = [Waypoint(s["sequence"], s["lat"], s["lon"], 0, 0) for s in job["stops"]]
        times = [0, LEG_MINUTES * 60, 2 * LEG_MINUTES * 60]
        waypoints = tuple(
            Waypoint(w.sequence, w.lat, w.lon, t, t) for w, t in zip(stops, times, strict=True)
        )
        plan = VehiclePlan(
            waypoints=waypoints, departure_at=datetime.fromisoformat(trip["departure_at"])
        )
        interval = 1 / rate_per_trip
        n = 0
        while True:
            due = start_at + offset + n * interval
            if due >= start_at + seconds:
                break
            await asyncio.sleep(max(0.0, due - time.time()))
            moment = datetime.now(UTC)
            state = plan.state_at(moment)
            stamp = moment.isoformat()
            sent[trip["trip_id"]].add(stamp)
            await ws.send(
                json.dumps(
                    {
                        "lat": round(state.lat, 7),
                        "lon": round(state.lon, 7),
                        "recorded_at": stamp,
                        "speed_kmh": round(state.speed_kmh, 1),
                        "heading": state.heading,
                        "accuracy_m": 10,
                    }
                )
            )
            n += 1

    subscribers = []
    for trip_id, token in job["subscribers"]:
        subscribers.append((trip_id, opened(trip_id, token)))
    sub_sockets = await asyncio.gather(*(c for _, c in subscribers), return_exceptions=True)
    pub_sockets = await asyncio.gather(
        *(opened(t["trip_id"], t["token"]) for t in job["trips"]), return_exceptions=True
    )
    for ws in (*sub_sockets, *pub_sockets):
        if isinstance(ws, BaseException):
            failures[f"connect: {type(ws).__name__}: {ws}"[:120]] += 1
    tasks = [
        asyncio.create_task(subscriber(ws, trip_id))
        for (trip_id, _), ws in zip(subscribers, sub_sockets, strict=True)
        if not isinstance(ws, BaseException)
    ]
    readers = [
        asyncio.create_task(publisher_reader(ws))
        for ws in pub_sockets
        if not isinstance(ws, BaseException)
    ]
    subscribed = Counter(
        trip_id
        for (trip_id, _), ws in zip(subscribers, sub_sockets, strict=True)
        if not isinstance(ws, BaseException)
    )
    # The measuring client's own collector pauses would show as latency: what exists now
    # is never collected, and the young generation is collected rarely.
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)
    out.put({"connected": len(tasks) + len(readers)})
    while not start.value:
        await asyncio.sleep(0.05)
    start_at = start.value
    count = len(job["trips"])
    publishers = [
        publisher(ws, trip, (i / count) / rate_per_trip)
        for i, (trip, ws) in enumerate(zip(job["trips"], pub_sockets, strict=True))
        if not isinstance(ws, BaseException)
    ]
    await asyncio.gather(*publishers)
    published_at = time.time()
    # Drained: nothing more for a second, or the drain time is up.
    last = -1
    while time.time() - published_at < job["drain"]:
        await asyncio.sleep(1)
        total = sum(received.values())
        if total == last:
            break
        last = total
    publishing_done.set()
    for ws in (*sub_sockets, *pub_sockets):
        if not isinstance(ws, BaseException):
            with contextlib.suppress(Exception):
                await ws.close()
    for task in (*tasks, *readers):
        task.cancel()
    sent_counts = {trip_id: len(stamps) for trip_id, stamps in sent.items()}
    return {
        "latencies": latencies,
        "sent": sum(sent_counts.values()),
        "refused": dict(refused),
        "publishing_s": round(published_at - start_at, 2),
        # Each fix sent is expected by each subscriber of its trip (see deliveries_lost).
        "expected": sum(sent_counts[t] * subscribed[t] for t in sent_counts),
        "received": sum(received.values()),
        "subscribers": sum(subscribed.values()),
        "failures": dict(failures),
        "cpu_s": sum(os.times()[:2]),
    }


def _exceptions(log: Path, offset: int) -> dict:
    """The exceptions the server logged during a run, by type and message (the last line of
    each traceback)."""
    found = Counter()
    with contextlib.suppress(OSError), log.open("rb") as f:
        f.seek(offset)
        for line in f.read().decode(errors="replace").splitlines():
            name = line.split(":", 1)[0]
            if name.endswith(("Error", "Exception")) and " " not in name:
                found[line.strip()[:160]] += 1
    return dict(found.most_common(10))


def _run(
    *,
    workers: int,
    fixtures: dict,
    subscribers: int,
    rate: float,
    seconds: float,
    drain: float,
    processes: int,
    database: str,
) -> dict:
    log = RESULTS / f"{NAME}.uvicorn.log"
    log_from = log.stat().st_size if log.exists() else 0
    server = Uvicorn(workers=workers, log=log)
    server.start()
    try:
        trips = fixtures["trips"]
        rate_per_trip = rate / len(trips)
        # Subscribers evenly over the trips, in round-robin order.
        watch = [
            (trips[i % len(trips)]["trip_id"], fixtures["watcher_token"])
            for i in range(subscribers)
        ]
        jobs = []
        for p in range(processes):
            mine = trips[p::processes]
            ids = {t["trip_id"] for t in mine}
            jobs.append(
                {
                    "port": server.port,
                    "trips": mine,
                    "subscribers": [w for w in watch if w[0] in ids],
                    "stops": fixtures["stops"],
                    "seconds": seconds,
                    "drain": drain,
                    "rate_per_trip": rate_per_trip,
                }
            )
        context = multiprocessing.get_context("fork")
        out = context.Queue()
        start = context.Value("d", 0.0)
        children = [context.Process(target=_client, args=(job, start, out)) for job in jobs]
        began = time.perf_counter()
        for child in children:
            child.start()
        connected = sum(out.get(timeout=600)["connected"] for _ in children)
        connect_s = round(time.perf_counter() - began, 1)
        _say(f"{connected} sockets open in {connect_s} s (load average {_loadavg()})")
        time.sleep(1)  # the handshakes' last database reads and group_adds settle
        pids = server.pids()
        before = {
            "server": _cpu(pids),
            "redis": _cpu(_redis_pids()),
            "postgres": _cpu(_postgres_pids(database)),
        }
        wall = time.perf_counter()
        start.value = time.time() + 0.5
        results = [out.get(timeout=seconds + drain + 600) for _ in children]
        after = {
            "server": _cpu(server.pids()),
            "redis": _cpu(_redis_pids()),
            "postgres": _cpu(_postgres_pids(database)),
        }
        wall = time.perf_counter() - wall
        for child in children:
            child.join(30)
    finally:
        server.stop()
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise RuntimeError(f"a client process failed: {errors}")
    latencies = [ms for r in results for _sent, ms in r["latencies"]]
    by_second: dict[int, list[float]] = {}
    for r in results:
        for sent_ts, ms in r["latencies"]:
            by_second.setdefault(int(sent_ts - start.value), []).append(ms)
    sent = sum(r["sent"] for r in results)
    refused = sum((Counter(r["refused"]) for r in results), Counter())
    accepted = sent - sum(refused.values())
    expected = sum(r["expected"] for r in results)
    received = sum(r["received"] for r in results)
    server_cpu = _cpu_used(before["server"], after["server"])
    redis_cpu = _cpu_used(before["redis"], after["redis"])
    postgres_cpu = _cpu_used(before["postgres"], after["postgres"])
    failures = sum((Counter(r["failures"]) for r in results), Counter())
    return {
        "asgi_workers": workers,
        "sockets_opened_in_s": connect_s,
        "measured_window_s": round(wall, 1),
        "subscribers_connected": sum(r["subscribers"] for r in results),
        "publishers": len(fixtures["trips"]),
        "fixes_sent": sent,
        "fixes_refused": dict(refused),
        "publishing_s": max(r["publishing_s"] for r in results),
        "fixes_per_s": round(sent / max(r["publishing_s"] for r in results), 1),
        "deliveries_expected": expected,
        "deliveries_received": received,
        # A refused fix is expected by nobody, but refusals do not name their fix: counted
        # as expected here, so any refusal shows as lost too (and in fixes_refused).
        "deliveries_lost": expected - received,
        "latency": _latency(latencies),
        # By the second of the run the fix was sent in: where in the run the tail is.
        "latency_by_second": [
            {"second": second, "fixes": len(values), **_latency(values)}
            for second, values in sorted(by_second.items())
        ],
        "cpu_ms_per_fix": {
            "server": round(1000 * server_cpu / max(1, accepted), 3),
            "redis": round(1000 * redis_cpu / max(1, accepted), 3),
            "postgres": round(1000 * postgres_cpu / max(1, accepted), 3),
        },
        "cores_used": {
            "server": round(server_cpu / wall, 2),
            "redis": round(redis_cpu / wall, 2),
            "postgres": round(postgres_cpu / wall, 2),
        },
        "client_cpu_s": round(sum(r["cpu_s"] for r in results), 1),
        "client_failures": dict(failures),
        "server_exceptions": _exceptions(log, log_from),
        "load_average_after": _loadavg(),
    }


# --- Where a fix's time goes (in this process, not the measurement) -----------------------


def _phases(fixtures: dict, members: int, count: int = 300) -> dict:
    """CPU milliseconds of each step a fix takes in the server, timed here one at a time on
    the same stores: decoding and validating it, `fix_publish` (of which `progress_advance`
    is timed alone too), `fix_broadcast` to a group of `members` channels (the message
    encoded once), and per delivery the channel layer's receive."""
    from channels.layers import get_channel_layer

    from tracking.fixes import fix_parse
    from tracking.progress import progress_advance
    from tracking.services.publish import fix_broadcast, fix_publish, trip_group, trip_info_get
    from tracking.simulator import VehiclePlan, Waypoint
    from tracking.store import position_store

    trip = fixtures["trips"][0]
    info = trip_info_get(trip["trip_id"])
    times = [0, LEG_MINUTES * 60, 2 * LEG_MINUTES * 60]
    plan = VehiclePlan(
        waypoints=tuple(
            Waypoint(st["sequence"], st["lat"], st["lon"], t, t)
            for st, t in zip(fixtures["stops"], times, strict=True)
        ),
        departure_at=info.departure_at,
    )
    cpu = Counter()
    wall_ms = [0.0]
    published = []
    previous = position_store().status(info.trip_id)
    for n in range(count):
        moment = datetime.now(UTC) + timedelta(milliseconds=n)
        state = plan.state_at(moment)
        text = json.dumps(
            {
                "lat": round(state.lat, 7),
                "lon": round(state.lon, 7),
                "recorded_at": moment.isoformat(),
                "speed_kmh": round(state.speed_kmh, 1),
                "accuracy_m": 10,
            }
        )
        began = time.process_time()
        fix = fix_parse(trip_id=info.trip_id, data=json.loads(text))
        parsed = time.process_time()
        status = progress_advance(trip=info, fix=fix, previous=previous, now=moment)
        advanced = time.process_time()
        wall = time.perf_counter()
        published.append(fix_publish(trip=info, fix=fix, now=moment))
        wall_ms[0] += time.perf_counter() - wall
        done = time.process_time()
        previous = status
        cpu["decode_and_validate"] += parsed - began
        cpu["progress_advance_alone"] += advanced - parsed
        cpu["fix_publish"] += done - advanced

    async def fan_out():
        layer = get_channel_layer()
        channels = [await layer.new_channel() for _ in range(members)]
        group = trip_group(info.trip_id)
        for channel in channels:
            await layer.group_add(group, channel)
        try:
            for item in published:
                began = time.process_time()
                await fix_broadcast(item)
                cpu["fix_broadcast_group_send"] += time.process_time() - began
                for channel in channels:
                    began = time.process_time()
                    await layer.receive(channel)
                    cpu["layer_receive_per_delivery"] += time.process_time() - began
        finally:
            for channel in channels:
                await layer.group_discard(group, channel)

    asyncio.run(fan_out())
    per_fix = {k: round(1000 * v / count, 3) for k, v in cpu.items() if "per_delivery" not in k}
    per_delivery = {
        k: round(1000 * v / (count * members), 3) for k, v in cpu.items() if "per_delivery" in k
    }
    per_fix["fix_publish_wall_clock"] = round(1000 * wall_ms[0] / count, 3)
    return {
        "note": "CPU ms in one process, steps timed one at a time on the bench stores; "
        "not the measurement",
        "fixes": count,
        "group_members": members,
        "per_fix_ms": per_fix,
        "per_delivery_ms": per_delivery,
    }


def run() -> dict:
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    subscribers = _env_int("BENCH_SUBSCRIBERS", TARGET_SUBSCRIBERS)
    vehicles = _env_int("BENCH_VEHICLES", 500)
    rate = float(_env_int("BENCH_RATE", TARGET_RATE))
    seconds = float(_env_int("BENCH_SECONDS", 20))
    drain = float(_env_int("BENCH_DRAIN_SECONDS", 30))
    worker_counts = _env_list("BENCH_ASGI_WORKERS", "1,2")
    processes = _env_int("BENCH_CLIENT_PROCESSES", 2)
    begun = time.perf_counter()
    _say(f"setting up {database_url.rsplit('/', 1)[-1]}, Redis {redis_url.rsplit('/', 1)[-1]}")
    _configure(database_url, redis_url)
    fixtures = _setup(vehicles)
    from django.db import connections

    connections.close_all()  # nothing of Django's crosses the fork
    _say(f"{vehicles} running trips with a driver each (load average {_loadavg()})")
    runs = []
    for workers in worker_counts:
        _say(
            f"run: {workers} ASGI worker(s), {subscribers} subscribers, {rate:g} fixes/s "
            f"for {seconds:g} s"
        )
        result = _run(
            workers=workers,
            fixtures=fixtures,
            subscribers=subscribers,
            rate=rate,
            seconds=seconds,
            drain=drain,
            processes=processes,
            database=_database_name(database_url),
        )
        runs.append(result)
        _say(_line(result))
    diagnosis = None
    if _env_int("BENCH_PHASES", 1):
        diagnosis = _phases(fixtures, members=max(1, subscribers // vehicles))
        _say(
            f"where a fix's CPU goes: {json.dumps(diagnosis['per_fix_ms'])}, per delivery "
            f"{json.dumps(diagnosis['per_delivery_ms'])}"
        )
    return {
        "benchmark": NAME,
        "what": "drivers publish fixes over /ws/trips/{id}/positions/, fanned out to "
        "subscribers over real WebSockets, through uvicorn on the Redis channel layer",
        "target": {
            "fixes_per_s": TARGET_RATE,
            "subscribers": TARGET_SUBSCRIBERS,
            "p99_ms": TARGET_P99_MS,
            "lost": 0,
            "met": [
                r["latency"].get("p99_ms", 1e9) <= TARGET_P99_MS
                and r["deliveries_lost"] == 0
                and r["fixes_per_s"] >= 0.95 * TARGET_RATE
                and r["subscribers_connected"] >= TARGET_SUBSCRIBERS
                for r in runs
            ],
        },
        "config": {
            "subscribers": subscribers,
            "vehicles": vehicles,
            "fixes_per_s": rate,
            "fixes_per_s_per_vehicle": round(rate / vehicles, 3),
            "seconds": seconds,
            "drain_seconds": drain,
            "asgi_workers": worker_counts,
            "client_processes": processes,
            "server": "uvicorn ttms.asgi:application --ws websockets-sansio, no access log",
            "client": "websockets (asyncio), no compression, one socket per subscriber and "
            "per publisher",
            "database": _database_name(database_url),
            "redis": redis_url.rsplit("/", 1)[-1],
            "celery": "no worker: the trail-sample tasks wait in the bench Redis database",
        },
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": _loadavg()},
        "runs": runs,
        "diagnosis": diagnosis,
        "notes": _notes(runs, diagnosis),
        "total_seconds": round(time.perf_counter() - begun, 1),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _notes(runs: list[dict], diagnosis: dict | None) -> list[str]:
    """Where the time goes, from the numbers of this run."""
    notes = []
    for r in runs:
        server = r["cpu_ms_per_fix"]["server"]
        notes.append(
            f"{r['asgi_workers']} worker(s): the server spent {server} ms of CPU per fix "
            f"({r['cores_used']['server']} cores at {r['fixes_per_s']} fixes/s); "
            f"{TARGET_RATE} fixes/s at that cost needs {server * TARGET_RATE / 1000:.1f} "
            f"cores for the server alone, on a machine of {os.cpu_count()}; one server "
            f"process (one GIL) runs Python on at most one core: "
            f"{1000 / max(0.001, server) * r['asgi_workers']:.0f} fixes/s at most with "
            f"{r['asgi_workers']} worker(s)"
        )
    if diagnosis:
        per_fix, per_delivery = diagnosis["per_fix_ms"], diagnosis["per_delivery_ms"]
        deliveries = sum(per_delivery.values()) * diagnosis["group_members"]
        notes.append(
            "per fix, timed apart: "
            + ", ".join(f"{k} {v} ms" for k, v in per_fix.items())
            + f"; and per subscriber delivery {per_delivery} ms "
            f"(x{diagnosis['group_members']} = {deliveries:.3f} ms); the rest of the server's "
            "CPU per fix is the ASGI and WebSocket framing, the consumer, and the "
            "sync-to-async thread hop around fix_publish"
        )
        if per_fix["fix_publish_wall_clock"] > 1.5 * per_fix["fix_publish"]:
            notes.append(
                f"fix_publish takes {per_fix['fix_publish_wall_clock']} ms of wall clock for "
                f"{per_fix['fix_publish']} ms of CPU: the rest is waiting on Redis (the position "
                "store's round trips, the Celery broker). The consumer runs it through "
                "database_sync_to_async, which is thread-sensitive: one thread per server "
                "process runs every fix_publish in turn, so one process publishes at most "
                f"{1000 / max(0.001, per_fix['fix_publish_wall_clock']):.0f} fixes/s however "
                "idle its CPU"
            )
    return notes


def _line(r: dict) -> str:
    latency = r["latency"]
    return (
        f"{r['asgi_workers']} worker(s): {r['fixes_sent']} fixes ({r['fixes_per_s']}/s, "
        f"refused {r['fixes_refused'] or 'none'}) to {r['subscribers_connected']} "
        f"subscribers: p50 {latency.get('p50_ms')} ms, p99 {latency.get('p99_ms')} ms, "
        f"max {latency.get('max_ms')} ms; lost {r['deliveries_lost']} of "
        f"{r['deliveries_expected']}; CPU/fix {r['cpu_ms_per_fix']} ms; cores "
        f"{r['cores_used']}; client failures {r['client_failures'] or 'none'}; server "
        f"exceptions {r['server_exceptions'] or 'none'}"
    )


def main() -> int:
    servers_stopped_on_exit()
    RESULTS.mkdir(exist_ok=True)
    try:
        result = run()
    finally:
        stop_everything()
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\n== {NAME}: target p99 <= {TARGET_P99_MS} ms, 0 lost, {TARGET_RATE} fixes/s")
    for r in result["runs"]:
        print("  " + _line(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
