"""Notifications: the time from the commit of a change that writes a message to that
message's delivery, with a real Celery worker running; each message delivered once.

The production layout of delivery: the change's transaction writes the message and its
delivery (`ttms.notifications.services.outbox_add`), its commit enqueues the delivery's task
on the Redis broker, a `celery worker` process (prefork) claims it, renders the email and
hands it to an SMTP server. The SMTP server here is a sink in this process (asyncio, on
127.0.0.1) that stamps each message as its DATA ends: the delivery time. The commit time is
stamped by the first on-commit callback of the change, before the task is enqueued; both
stamps read this machine's clock. Throwaway stores as the other benches': the PostgreSQL
database of BENCH_DATABASE_URL (default `ttms_bench_notify`, dropped and recreated at
start; its name must contain "bench") and the Redis database of BENCH_REDIS_URL (default
db 15, flushed at start).

Two runs: "paced", BENCH_MESSAGES messages written at BENCH_RATE a second (the latency a
message sees when the worker keeps up), and "burst", BENCH_BURST messages written back to
back (the queue a busy minute builds, and the rate the worker drains it at). Each message is
a wallet top-up's email (`topup.credited`) to an address of its own; after each run every
message is checked: delivered once (its Message-ID seen once by the sink), its row sent.

Knobs (environment): BENCH_MESSAGES (600), BENCH_RATE (20 a second), BENCH_BURST (1000),
BENCH_WORKER_CONCURRENCY (2 prefork processes), BENCH_DRAIN_SECONDS (120: a run's messages
not delivered by then count as lost).
"""

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from ._servers import RUNNING, servers_stopped_on_exit, stop_everything
from .booking_rush import _configure, _database_name, _env_int, _latency, _loadavg

RESULTS = Path(__file__).resolve().parent / "results"
BASE_DIR = RESULTS.parent.parent
NAME = "notifications"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ttms_bench_notify"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
MESSAGE_ID = re.compile(rb"^Message-ID:\s*<ttms-(\d+)-email@", re.MULTILINE | re.IGNORECASE)


def _say(message: str) -> None:
    print(f"[{NAME} {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- The SMTP sink ----------------------------------------------------------------------------


class SmtpSink:
    """Just enough SMTP (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for Django's
    SMTP backend, on its own event loop in a thread; `received` maps each message's id (from
    the Message-ID the dispatcher sets) to the times its emails' DATA ended."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.received: dict[int, list[float]] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._session, "127.0.0.1", self.port, backlog=1024), self._loop
        )
        self._server = future.result(10)
        RUNNING.append(self)

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
            self._server = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        with contextlib.suppress(ValueError):
            RUNNING.remove(self)

    def count(self) -> int:
        with self._lock:
            return sum(len(times) for times in self.received.values())

    def _record(self, data: bytes) -> None:
        stamp = time.time()
        match = MESSAGE_ID.search(data)
        key = int(match.group(1)) if match else -1
        with self._lock:
            self.received.setdefault(key, []).append(stamp)

    async def _session(self, reader, writer) -> None:
        def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        reply("220 bench-sink ESMTP")
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    reply("250-bench-sink")
                    reply("250 8BITMIME")
                elif verb == b"DATA":
                    reply("354 end with <CRLF>.<CRLF>")
                    await writer.drain()
                    data = await reader.readuntil(b"\r\n.\r\n")
                    self._record(data)
                    reply("250 queued")
                elif verb == b"QUIT":
                    reply("221 bye")
                    await writer.drain()
                    break
                else:  # HELO, MAIL, RCPT, RSET, NOOP
                    reply("250 ok")
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


# --- The worker -------------------------------------------------------------------------------


class Worker:
    """A `celery worker` process on the bench broker, stopped by its PID."""

    def __init__(self, *, concurrency: int, log: Path) -> None:
        self.concurrency, self.log = concurrency, log
        self.process: subprocess.Popen | None = None
        self.hostname = f"bench-notify-{os.getpid()}@{os.uname().nodename}"

    def start(self, env: dict) -> None:
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ttms",
            "worker",
            "--pool=prefork",
            f"--concurrency={self.concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            self.hostname,
        ]
        self.log.parent.mkdir(exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL
            )
        RUNNING.append(self)
        from ttms.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[self.hostname], timeout=0.5):
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited ({self.process.returncode}); {self.log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not answer a ping in 60 s; {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        with contextlib.suppress(ValueError):
            RUNNING.remove(self)


# --- The runs ---------------------------------------------------------------------------------


def _write(index: int, label: str, committed: dict[int, float]) -> None:
    """One change: a message and its email delivery written in one transaction; the commit
    stamped by the first on-commit callback, before the one that enqueues the task."""
    from django.db import transaction

    from ttms.notifications.models import OutboxMessage
    from ttms.notifications.services import Message, outbox_add

    stamp: list[float] = []
    with transaction.atomic():
        transaction.on_commit(lambda: stamp.append(time.time()))
        outbox_add(
            messages=[
                Message(
                    "topup.credited",
                    None,
                    {"amount": 50_000 + index, "currency": "RWF", "reference": f"{label}{index}"},
                    dedupe_key=f"bench-{label}-{index}",
                    email=f"rider{index}@bench.example",
                )
            ]
        )
        message_id = OutboxMessage.objects.values_list("pk", flat=True).get(
            dedupe_key=f"bench-{label}-{index}"
        )
    committed[message_id] = stamp[0]


def _run(label: str, *, count: int, rate: float | None, sink: SmtpSink, drain: float) -> dict:
    from ttms.notifications.models import Delivery

    committed: dict[int, float] = {}
    started = time.perf_counter()
    for i in range(count):
        if rate:
            # Paced against the start, so that a slow write does not slow the whole run.
            wait = started + i / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        _write(i, label, committed)
    written_in = time.perf_counter() - started
    deadline = time.monotonic() + drain
    last_progress = 0.0
    while True:
        delivered = sum(1 for d in committed if d in sink.received)
        if delivered == count or time.monotonic() > deadline:
            break
        if time.monotonic() - last_progress > 2:
            _say(f"{label}: {delivered}/{count} delivered")
            last_progress = time.monotonic()
        time.sleep(0.05)
    ends = [sink.received[d][0] for d in committed if d in sink.received]
    latencies = [
        (sink.received[d][0] - t) * 1000 for d, t in committed.items() if d in sink.received
    ]
    duplicates = sum(len(sink.received[d]) - 1 for d in committed if d in sink.received)
    rows = Delivery.objects.filter(message_id__in=list(committed))
    first_commit = min(committed.values())
    return {
        "run": label,
        "messages": count,
        "written_per_s": round(count / written_in, 1),
        "paced_at_per_s": rate,
        "delivered": len(latencies),
        "lost": count - len(latencies),
        "duplicates": duplicates,
        "rows_sent": rows.filter(status="sent").count(),
        "rows_sent_first_attempt": rows.filter(status="sent", attempts=1).count(),
        "latency": _latency(latencies),
        "delivered_per_s": round(len(ends) / (max(ends) - first_commit), 1) if ends else 0,
    }


def _line(r: dict) -> str:
    latency = r["latency"]
    return (
        f"{r['run']}: {r['delivered']}/{r['messages']} delivered, {r['duplicates']} twice, "
        f"commit to delivery p50 {latency.get('p50_ms')} ms, p99 {latency.get('p99_ms')} ms "
        f"(max {latency.get('max_ms')}), {r['delivered_per_s']} delivered/s"
    )


def run() -> dict:
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    messages = _env_int("BENCH_MESSAGES", 600)
    rate = float(_env_int("BENCH_RATE", 20))
    burst = _env_int("BENCH_BURST", 1000)
    concurrency = _env_int("BENCH_WORKER_CONCURRENCY", 2)
    drain = float(_env_int("BENCH_DRAIN_SECONDS", 120))
    begun = time.perf_counter()
    sink = SmtpSink()
    sink.start()
    # Before the settings are read, by this process and the worker it starts.
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{sink.port}"
    os.environ["TTMS_SMS_BACKEND"] = "console"
    _say(f"setting up {_database_name(database_url)}, Redis {redis_url.rsplit('/', 1)[-1]}")
    _configure(database_url, redis_url)
    from django.db import connections

    connections.close_all()
    worker = Worker(concurrency=concurrency, log=RESULTS / f"{NAME}.worker.log")
    worker.start(dict(os.environ))
    _say(f"worker up ({concurrency} prefork processes); SMTP sink on port {sink.port}")
    warm = _run("warm", count=20, rate=None, sink=sink, drain=drain)
    _say(f"warm-up: {warm['delivered']}/20 delivered")
    runs = []
    for label, count, pace in (("paced", messages, rate), ("burst", burst, None)):
        _say(f"run {label}: {count} messages" + (f" at {pace:g}/s" if pace else " back to back"))
        result = _run(label, count=count, rate=pace, sink=sink, drain=drain)
        runs.append(result)
        _say(_line(result))
    worker.stop()
    sink.stop()
    return {
        "benchmark": NAME,
        "what": "commit of a change writing a message (outbox_add) to its email's arrival at "
        "an SMTP server, through the Redis broker and a real celery worker",
        "config": {
            "messages": messages,
            "rate_per_s": rate,
            "burst": burst,
            "worker": f"celery worker --pool=prefork --concurrency={concurrency}",
            "email": "Django's SMTP backend to an asyncio SMTP sink on 127.0.0.1",
            "database": _database_name(database_url),
            "redis": redis_url.rsplit("/", 1)[-1],
        },
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": _loadavg()},
        "runs": runs,
        "met": all(r["lost"] == 0 and r["duplicates"] == 0 for r in runs),
        "total_seconds": round(time.perf_counter() - begun, 1),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def main() -> int:
    servers_stopped_on_exit()
    RESULTS.mkdir(exist_ok=True)
    try:
        result = run()
    finally:
        stop_everything()
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"\n== {NAME}: every message delivered once; commit to delivery p50/p99")
    for r in result["runs"]:
        print("  " + _line(r))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
