"""The positions WebSocket end to end: a real uvicorn process on the Redis channel layer,
sharing the test database, and real `websockets` clients.

The fix of the trip's driver reaches a passenger with a confirmed ticket, one on RAC and a
member of the operator's staff; a driver of another trip, a passenger of another trip, a
signed-out client and a passenger whose ticket was cancelled are refused at the handshake;
invalid, stale and impossible-speed fixes never reach anyone; a client sending garbage and
a flood leaves the others served; and subscribers silent for two whole minutes still
receive the next fix (the channel layer's blocking read used to die after 5 s of silence).
"""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import websockets
from django.conf import settings

from .world import LAT, LON0, token, world

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
IDLE_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_env() -> dict:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return {"TTMS_SQLITE_PATH": str(db["NAME"])}
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return {"DATABASE_URL": f"postgres://{auth}@{host}/{db['NAME']}"}


@pytest.fixture
def server():
    """`uvicorn ttms.asgi:application` in its own process; yields its ws:// base."""
    port = _free_port()
    env = {
        **os.environ,
        **_database_env(),
        "REDIS_URL": settings.REDIS_URL,
        # Trail samples and stop events are written in the server process itself.
        "CELERY_BROKER_URL": "",
        "CELERY_RESULT_BACKEND": "",
        "TTMS_WS_PING_SECONDS": "20",
        "TTMS_WS_RATE_PER_SECOND": "5",
        "TTMS_WS_RATE_BURST": "10",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "ttms.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not listen within 30 s") from None
                time.sleep(0.2)
        yield f"ws://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _at(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()


async def _connect(base: str, trip_id: int, user=None):
    protocols = ["ttms.v1"] + ([f"ttms.bearer.{token(user)}"] if user else [])
    return await websockets.connect(
        f"{base}/ws/trips/{trip_id}/positions/", subprotocols=protocols, open_timeout=10
    )


async def _next(ws, timeout: float = 10) -> dict:
    """The next message that is not the server's ping."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if message["type"] != "ping":
            return message


async def _closed_with(base: str, trip_id: int, user=None) -> int:
    ws = await _connect(base, trip_id, user)
    try:
        await asyncio.wait_for(ws.recv(), 10)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code
    raise AssertionError("the handshake was not refused")


async def _scenario(base: str, w) -> dict:
    trip = w.trip.pk
    seen = {}
    seen["refused"] = [
        await _closed_with(base, trip, w.other_driver),
        await _closed_with(base, trip, w.other_passenger),
        await _closed_with(base, trip, None),
        await _closed_with(base, trip, w.cancelled),
    ]
    driver = await _connect(base, trip, w.driver)
    subscribers = [await _connect(base, trip, user) for user in (w.cnf, w.rac, w.staff)]
    rogue = await _connect(base, trip, w.rac)

    # A good fix, then three that must never reach anyone.
    await driver.send(json.dumps({"lat": LAT, "lon": LON0, "recorded_at": _at(60)}))
    first = await _next(driver)
    seen["first"] = [first] + [await _next(s) for s in subscribers]
    await _next(rogue)
    bad = [
        {"lat": 95, "lon": LON0},
        {"lat": LAT, "lon": LON0, "recorded_at": _at(90)},
        {"lat": LAT, "lon": LON0 + 1, "recorded_at": _at(30)},
    ]
    seen["bad"] = []
    for frame in bad:
        await driver.send(json.dumps(frame))
        seen["bad"].append((await _next(driver))["code"])

    # Garbage and a flood from another client.
    await rogue.send("{not json")
    seen["garbage"] = (await _next(rogue))["code"]
    for _ in range(40):
        await rogue.send(json.dumps({"lat": LAT, "lon": LON0}))
    flood = [(await _next(rogue))["code"] for _ in range(40)]
    seen["flood"] = sorted(set(flood))
    await rogue.close()

    # Two minutes of silence on the channel layer, then the next fix.
    await asyncio.sleep(IDLE_SECONDS)
    await driver.send(json.dumps({"lat": LAT, "lon": LON0 + 0.001, "recorded_at": _at(0)}))
    seen["after_idle"] = [await _next(ws) for ws in [driver, *subscribers]]
    for ws in [driver, *subscribers]:
        await ws.close()
    return seen


def test_fixes_reach_the_trips_watchers_only_through_a_real_server_even_after_two_idle_minutes(
    server,
):
    w = world()

    seen = asyncio.run(_scenario(server, w))

    assert seen["refused"] == [4403, 4403, 4401, 4403]
    first = seen["first"][0]
    assert (first["type"], first["trip_id"], first["lat"], first["lon"]) == (
        "position",
        w.trip.pk,
        LAT,
        LON0,
    )
    assert seen["first"] == [first] * 4
    assert seen["bad"] == ["invalid", "stale", "impossible_speed"]
    assert seen["garbage"] == "parse_error"
    assert seen["flood"] == ["permission_denied", "rate_limited"]
    after = seen["after_idle"][0]
    assert (after["type"], after["lon"]) == ("position", LON0 + 0.001)
    # Nothing refused came between the first fix and this one, for anybody.
    assert seen["after_idle"] == [after] * 4
