"""POS offline sync: 16 station agents' devices upload their offline sales at once, over HTTP.

The production layout of bench/booking_rush.py (gunicorn serving `ttms.wsgi`, PostgreSQL and
Redis, DEBUG off, the booking throttle out of the way), against throwaway stores: the
PostgreSQL database of BENCH_DATABASE_URL (default `ttms_bench_pos_sync`, dropped and
recreated at start; its name must contain "bench") and the Redis database of
BENCH_REDIS_URL (default db 12, flushed at start).

One trip of 6 stops and BENCH_COACHES SL coaches (default 2: 144 berths), so that the
devices' sales outnumber the berths and meet each other under the trip class's lock. Each
of BENCH_DEVICES devices (16), enrolled to its own agent, has recorded BENCH_BATCHES
batches (2) of BENCH_BATCH sales (50) offline: one passenger each on a random leg (seeded),
hash-chained and signed as docs/pos.md specifies. Every device posts its batches to
`POST /api/v1/pos/sync/` in turn, all devices at once; a 503 "busy" is sent again. Then
every batch is sent once more (it must book nothing), and the database is checked: one
SyncRecord per sale, PNRs equal to the booked and waitlisted records, no seat leg held
twice, each drawer equal to its agent's PNRs' fares, and `ttms.invariants`.

A sync holds its device's row and the trip class's lock for the whole batch (one
transaction, each sale a savepoint): batches on one trip class run one after another, so
the booking lock wait is raised for the bench (BENCH_LOCK_TIMEOUT_MS, 120000) instead of
answering busy. Reported: the time per sale inside a batch (the request's time over its
sales), the batches' latency, and sales per second over the whole run.

Knobs (environment): BENCH_DEVICES (16), BENCH_BATCH (50), BENCH_BATCHES (2), BENCH_COACHES
(2), BENCH_GUNICORN_WORKERS (16), BENCH_LOCK_TIMEOUT_MS (120000).
"""

import base64
import contextlib
import json
import os
import random
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ._servers import servers_stopped_on_exit, stop_everything
from .booking_rush import (
    IST,
    Gunicorn,
    RushTrip,
    _configure,
    _invariants,
    _latency,
    _machine,
    _trip_check,
)

RESULTS = Path(__file__).resolve().parent / "results"
NAME = "pos_sync"
SEED = 20261203
STOPS = 6  # as booking_rush's trip check counts the legs
SYNC_PATH = "/api/v1/pos/sync/"
BUSY_RETRIES = 20
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ttms_bench_pos_sync"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _say(message: str) -> None:
    print(f"[{NAME} {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _make_trip(company, coaches: int) -> RushTrip:
    from booking.models import Place, TripClass
    from booking.sales.inventory import inventory_ensure
    from fleet.models import RouteStop

    from ._fixtures import rail_trip

    day = (datetime.now(IST) + timedelta(days=20)).date()
    departure = datetime(day.year, day.month, day.day, 8, 0, tzinfo=IST)
    trip = rail_trip(
        company=company,
        coaches=tuple((f"S{i}", "SL") for i in range(1, coaches + 1)),
        stops=STOPS,
        departure=departure,
        code_prefix="PS",
    )
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


class Device:
    """A bench device: its agent's bearer token, its key and its batches, made offline."""

    def __init__(self, index: int, token: str, key) -> None:
        self.device_id = f"POS-BENCH-{index:02d}"
        self.token = token
        self.key = key
        self.batches: list[dict] = []


def _batches(device: Device, trip: RushTrip, currency: str, count: int, size: int, rng):
    from booking.pos import chain

    prev, seq = chain.GENESIS, 0
    for _ in range(count):
        records = []
        for _ in range(size):
            seq += 1
            a = rng.randrange(0, STOPS - 1)
            b = rng.randrange(a + 1, STOPS)
            record = {
                "client_uuid": str(uuid.uuid4()),
                "device_id": device.device_id,
                "seq": seq,
                "device_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sale": {
                    "trip": trip.trip_id,
                    "from": trip.codes[a],
                    "to": trip.codes[b],
                    "class": "SL",
                    "quota": "GENERAL",
                    "passengers": [
                        {"name": f"Bench {device.device_id} {seq}", "age": 30, "gender": "F"}
                    ],
                    "buyer": {"name": "Bench Buyer", "phone": "+919876543210"},
                    # Above any fare: the answer says what to give back.
                    "amount": 1_000_000,
                    "cash_given": 1_000_000,
                    "currency": currency,
                },
                "prev_hash": prev,
            }
            record["hash"] = chain.record_hash(record)
            prev = record["hash"]
            records.append(record)
        signature = base64.b64encode(
            device.key.sign(chain.batch_signed_bytes(device.device_id, records))
        ).decode()
        device.batches.append(
            {"device_id": device.device_id, "records": records, "signature": signature}
        )


def _setup(devices: int, batches: int, size: int, coaches: int):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import RefreshToken

    from booking.pos.services.devices import device_enrol
    from fleet.models import CompanyMembership
    from ttms.accounts.models import Role, User

    from ._fixtures import rail_company

    company = rail_company(name="Bench POS Rail", slug="bench-pos-rail")
    trip = _make_trip(company, coaches)
    rng = random.Random(SEED)
    made = []
    for i in range(devices):
        agent = User.objects.create(
            email=f"agent-{i}@bench.invalid",
            full_name=f"Bench Agent {i}",
            password=make_password(None),
            role=Role.AGENT,
        )
        CompanyMembership.objects.create(user=agent, company=company, role=Role.AGENT)
        key = Ed25519PrivateKey.generate()
        device = Device(i, str(RefreshToken.for_user(agent).access_token), key)
        device_enrol(
            company=company,
            agent=agent,
            device_id=device.device_id,
            public_key_b64=base64.b64encode(key.public_key().public_bytes_raw()).decode(),
            by=None,
        )
        _batches(device, trip, company.currency, batches, size, rng)
        made.append(device)
    return company, trip, made


def _post(client, base_url: str, device: Device, batch: dict) -> tuple:
    """Post one batch until it is not busy: (status, answer, seconds of the last try,
    busy answers)."""
    busy = 0
    while True:
        started = time.perf_counter()
        response = client.post(
            base_url + SYNC_PATH,
            json=batch,
            headers={"Authorization": f"Bearer {device.token}"},
            timeout=600,
        )
        seconds = time.perf_counter() - started
        if response.status_code == 503 and busy < BUSY_RETRIES:
            busy += 1
            time.sleep(0.05 * busy)
            continue
        return response.status_code, response.json(), seconds, busy


def _round(base_url: str, devices: list[Device], label: str) -> dict:
    """Every device posts all its batches in turn, all devices at once."""
    import httpx

    lock = threading.Lock()
    outcomes: list[dict] = []
    done = [0]
    total = sum(len(d.batches) for d in devices)

    def run(device: Device) -> None:
        with httpx.Client() as client:
            for batch in device.batches:
                status, body, seconds, busy = _post(client, base_url, device, batch)
                with lock:
                    outcomes.append(
                        {
                            "device": device.device_id,
                            "status": status,
                            "seconds": seconds,
                            "busy": busy,
                            "sales": len(batch["records"]),
                            "results": Counter(s["result"] for s in body.get("sales", [])),
                            "replayed": sum(1 for s in body.get("sales", []) if s["replayed"]),
                            "error": body.get("error"),
                        }
                    )
                    done[0] += 1
                    _say(f"{label}: {done[0]}/{total} batches answered")

    threads = [threading.Thread(target=run, args=(d,)) for d in devices]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    sales = sum(o["sales"] for o in outcomes)
    results = Counter()
    for o in outcomes:
        results.update(o["results"])
    per_sale_ms = [o["seconds"] / o["sales"] * 1000 for o in outcomes if o["status"] == 200]
    return {
        "batches": len(outcomes),
        "statuses": dict(Counter(str(o["status"]) for o in outcomes)),
        "busy_retries": sum(o["busy"] for o in outcomes),
        "sales": sales,
        "results": dict(results),
        "replayed": sum(o["replayed"] for o in outcomes),
        "wall_seconds": round(wall, 2),
        "sales_per_second": round(sales / wall, 1) if wall else None,
        "batch_latency": _latency([o["seconds"] * 1000 for o in outcomes]),
        "time_per_sale_in_batch": _latency(per_sale_ms),
        "errors": [o["error"] for o in outcomes if o["error"]][:5],
    }


def _checks(trip: RushTrip, devices: list[Device]) -> dict:
    from django.db.models import Sum

    from booking.models import Device as DeviceRow
    from booking.models import Pnr, SyncRecord
    from payments.models import Account

    kept = SyncRecord.objects.count()
    with_pnr = SyncRecord.objects.exclude(pnr=None)
    drawers_off = []
    for row in DeviceRow.objects.select_related("agent"):
        fares = with_pnr.filter(device=row).aggregate(total=Sum("pnr__total_fare"))["total"] or 0
        drawer = Account.objects.filter(kind="drawer", user=row.agent).first()
        if (drawer.balance if drawer else 0) != fares:
            drawers_off.append(row.device_id)
    sales = sum(len(b["records"]) for d in devices for b in d.batches)
    return {
        "sales_made_offline": sales,
        "sync_records": kept,
        "pnrs": Pnr.objects.count(),
        "pnrs_of_sync_records": with_pnr.values("pnr").distinct().count(),
        "sync_records_with_pnr": with_pnr.count(),
        "double_booked": with_pnr.count() - with_pnr.values("pnr").distinct().count(),
        "drawers_not_equal_to_their_pnrs": drawers_off,
        "trip": _trip_check(trip),
    }


def run() -> dict:
    devices_n = _env_int("BENCH_DEVICES", 16)
    size = _env_int("BENCH_BATCH", 50)
    batches = _env_int("BENCH_BATCHES", 2)
    coaches = _env_int("BENCH_COACHES", 2)
    workers = _env_int("BENCH_GUNICORN_WORKERS", devices_n)
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    _say(f"setting up {database_url.rsplit('/', 1)[-1]} (dropped and recreated)")
    os.environ["TTMS_BOOKING_LOCK_TIMEOUT_MS"] = str(_env_int("BENCH_LOCK_TIMEOUT_MS", 120_000))
    _configure(database_url, redis_url)
    machine = _machine()
    _say(f"{devices_n} devices, {batches} batches of {size} sales each, enrolling")
    _, trip, devices = _setup(devices_n, batches, size, coaches)
    _say(f"trip {trip.trip_id}: {trip.berths} berths; starting gunicorn ({workers} workers)")
    server = Gunicorn(
        app="ttms.wsgi:application", workers=workers, threads=1, log=RESULTS / f"{NAME}.log"
    )
    server.start()
    try:
        first = _round(server.url, devices, "sync")
        again = _round(server.url, devices, "sent again")
    finally:
        server.stop()
    from django.db import connections

    connections.close_all()
    checks = _checks(trip, devices)
    invariants = _invariants()
    ok = (
        first["statuses"] == {"200": first["batches"]}
        and again["replayed"] == again["sales"]
        and checks["sync_records"] == checks["sales_made_offline"]
        and checks["double_booked"] == 0
        and checks["pnrs"] == checks["sync_records_with_pnr"]
        and not checks["drawers_not_equal_to_their_pnrs"]
        and checks["trip"]["seat_legs_sold_twice"] == 0
        and invariants["invariants_ok"]
    )
    return {
        "benchmark": NAME,
        "transport": "HTTP: gunicorn ttms.wsgi, one httpx client thread per device",
        "machine": machine,
        "server": server.describe(),
        "devices": devices_n,
        "batches_per_device": batches,
        "sales_per_batch": size,
        "trip": trip.describe(),
        "lock_timeout_ms": int(os.environ["TTMS_BOOKING_LOCK_TIMEOUT_MS"]),
        "sync": first,
        "sent_again": again,
        "checks": checks,
        "invariants": invariants,
        "ok": ok,
    }


def _summary(result: dict) -> None:
    first, again = result["sync"], result["sent_again"]
    per_sale = first["time_per_sale_in_batch"]
    print(
        f"\n== {NAME}: {result['devices']} devices × {result['batches_per_device']} batches "
        f"of {result['sales_per_batch']}\n"
        f"  sync: {first['sales']} sales in {first['wall_seconds']} s "
        f"({first['sales_per_second']}/s), results {first['results']}, "
        f"statuses {first['statuses']}\n"
        f"  time per sale in a batch: p50 {per_sale.get('p50_ms')} ms, "
        f"p95 {per_sale.get('p95_ms')} ms, max {per_sale.get('max_ms')} ms\n"
        f"  sent again: {again['replayed']}/{again['sales']} answered as before in "
        f"{again['wall_seconds']} s\n"
        f"  double booked: {result['checks']['double_booked']}; seat legs sold twice: "
        f"{result['checks']['trip']['seat_legs_sold_twice']}; invariants ok: "
        f"{result['invariants']['invariants_ok']}; all checks: {result['ok']}",
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
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
