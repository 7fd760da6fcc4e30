"""The position store: each running trip's latest fix, a short recent trail and its running
status, kept for `TTMS_POSITION_TTL_SECONDS` after the last fix.

With `REDIS_URL` it lives in Redis (shared by every server process and worker), under the
keys (prefix `ttms:track:`):

- `trip:{id}` (hash): `latest` (the fix as JSON), `recorded_ts` (its device time, epoch
  seconds), `sampled_ts` (device time of the last fix sampled into the trail), `status`
  (the running status snapshot as JSON); expires with the TTL.
- `trip:{id}:recent` (list, newest first): the last `TTMS_POSITION_RECENT` fixes as JSON;
  expires with the TTL.
- `geo` (geo set): each trip's latest position, for "vehicles near here".
- `active` (sorted set): trip ids scored by when their last fix was accepted.

Embedded (no Redis), one in-process instance holds the same, for one server process.

Writes are for the publish service only (`tracking.services.publish`): `commit` stores a fix
and the status it led to together, only when the fix is newer than the stored one and the
stored one is still the one the status was worked out from (its `version`, the stored
`recorded_ts`), decided atomically: two publishers of one trip in two processes cannot
interleave an older fix after a newer one, nor advance the status from a fix they did not
see. A publisher that finds another's fix stored gets the stored state back (CONFLICT) and
works the status out again.

`async_position_store()` is the same store for code on an event loop (the WebSocket
consumer): the same keys and script through redis.asyncio, one client per loop.
"""

import asyncio
import contextlib
import json
import threading
import time
import types
import weakref
from collections import deque
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from .fixes import Fix

PREFIX = "ttms:track:"
RECENT_LIMIT = 50
# Connections an event loop's store opens to Redis at most.
ASYNC_MAX_CONNECTIONS = 32

STORED, STALE, CONFLICT = "stored", "stale", "conflict"
# A commit's `version` that stores the fix whatever is stored (when newer).
ANY_VERSION = "*"


@dataclass(frozen=True)
class TripState:
    """What is stored for a trip: its latest fix, its status, and `version`, which names
    that fix ("" when there is none)."""

    latest: Fix | None = None
    status: dict | None = None
    version: str = ""


@dataclass(frozen=True)
class Commit:
    """A commit's outcome: STORED (with `sample`: the fix is due in the trail, and `state`:
    the state now stored), STALE (a fix as new or newer is stored) or CONFLICT (the stored
    state is not the one named; `state` is the stored one)."""

    outcome: str
    sample: bool = False
    state: TripState | None = None


def _version(recorded_ts: float) -> str:
    return repr(recorded_ts)


def _ttl() -> int:
    return int(getattr(settings, "TTMS_POSITION_TTL_SECONDS", 900))


class PositionStore:
    """The interface; see the module's documentation."""

    def latest(self, trip_id: int) -> Fix | None:
        raise NotImplementedError

    def recent(self, trip_id: int, limit: int = RECENT_LIMIT) -> list[Fix]:
        """The last `limit` fixes, oldest first."""
        raise NotImplementedError

    def status(self, trip_id: int) -> dict | None:
        raise NotImplementedError

    def active_trip_ids(self) -> list[int]:
        """Trips with a fix accepted within the TTL, in id order."""
        raise NotImplementedError

    def state(self, trip_id: int) -> TripState:
        """The latest fix and status together, as one read."""
        raise NotImplementedError

    # Writes: the publish service's.
    def commit(
        self,
        fix: Fix,
        status: dict | None,
        *,
        version: str,
        sample_every_s: float,
        now: float | None = None,
    ) -> Commit:
        """Stores `fix` and `status` when `fix` is newer than the stored fix and the stored
        fix is the one `version` names (ANY_VERSION: whichever it is). The fix is due in the
        trail (`sample`) when none was sampled within `sample_every_s` of device time."""
        raise NotImplementedError

    def fix_store(self, fix: Fix, *, sample_every_s: float, now: float | None = None) -> tuple:
        """Stores `fix` when it is newer than the stored one, keeping the stored status.
        Returns (STORED, sample) or (STALE, False)."""
        done = self.commit(fix, None, version=ANY_VERSION, sample_every_s=sample_every_s, now=now)
        return done.outcome, done.sample

    def status_store(self, trip_id: int, status: dict) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        """Forget everything (tests)."""
        raise NotImplementedError


class MemoryPositionStore(PositionStore):
    def __init__(self):
        self._lock = threading.Lock()
        self._trips: dict[int, dict] = {}

    def _live(self, trip_id: int, now: float | None = None) -> dict | None:
        entry = self._trips.get(trip_id)
        if entry is None:
            return None
        if entry["expires"] <= (time.time() if now is None else now):
            self._trips.pop(trip_id, None)
            return None
        return entry

    def latest(self, trip_id):
        with self._lock:
            entry = self._live(trip_id)
            return entry["recent"][0] if entry and entry["recent"] else None

    def recent(self, trip_id, limit=RECENT_LIMIT):
        with self._lock:
            entry = self._live(trip_id)
            return list(reversed(list(entry["recent"])[:limit])) if entry else []

    def status(self, trip_id):
        with self._lock:
            entry = self._live(trip_id)
            return json.loads(json.dumps(entry["status"])) if entry and entry["status"] else None

    def active_trip_ids(self):
        with self._lock:
            return sorted(t for t in list(self._trips) if self._live(t) is not None)

    @staticmethod
    def _state(entry: dict | None) -> TripState:
        if not entry or not entry["recent"]:
            return TripState()
        return TripState(
            latest=entry["recent"][0],
            status=json.loads(json.dumps(entry["status"])) if entry["status"] else None,
            version=_version(entry["recorded_ts"]),
        )

    def state(self, trip_id):
        with self._lock:
            return self._state(self._live(trip_id))

    def commit(self, fix, status, *, version, sample_every_s, now=None):
        now = time.time() if now is None else now
        recorded = fix.recorded_at.timestamp()
        with self._lock:
            entry = self._live(fix.trip_id, now)
            last = entry["recorded_ts"] if entry else None
            if last is not None and last >= recorded:
                return Commit(STALE)
            if version != ANY_VERSION and version != ("" if last is None else _version(last)):
                return Commit(CONFLICT, state=self._state(entry))
            if entry is None:
                entry = self._trips[fix.trip_id] = {
                    "recent": deque(maxlen=RECENT_LIMIT),
                    "recorded_ts": None,
                    "sampled_ts": None,
                    "status": None,
                }
            entry["recent"].appendleft(fix)
            entry["recorded_ts"] = recorded
            entry["expires"] = now + _ttl()
            if status is not None:
                entry["status"] = json.loads(json.dumps(status))
            sample = entry["sampled_ts"] is None or recorded - entry["sampled_ts"] >= sample_every_s
            if sample:
                entry["sampled_ts"] = recorded
            return Commit(STORED, sample, self._state(entry))

    def status_store(self, trip_id, status):
        with self._lock:
            entry = self._live(trip_id)
            if entry is not None:
                entry["status"] = json.loads(json.dumps(status))

    def clear(self):
        with self._lock:
            self._trips.clear()


# KEYS: trip hash, recent list, active zset, geo set. ARGV: trip id, recorded_ts, fix JSON,
# ttl, recent limit, sample every (s), now (epoch s), lon, lat, version ("*": any), status
# JSON ("": keep the stored one). Returns {-1} stale, {-2, latest, status, recorded_ts}
# conflict, {1} stored and sampled, {0} stored.
_COMMIT_SCRIPT = """
local last = redis.call('HGET', KEYS[1], 'recorded_ts')
local recorded = tonumber(ARGV[2])
if last and tonumber(last) >= recorded then return {-1} end
if ARGV[10] ~= '*' and ARGV[10] ~= (last or '') then
  local stored = redis.call('HMGET', KEYS[1], 'latest', 'status', 'recorded_ts')
  return {-2, stored[1], stored[2], stored[3]}
end
redis.call('HSET', KEYS[1], 'latest', ARGV[3], 'recorded_ts', ARGV[2])
if ARGV[11] ~= '' then redis.call('HSET', KEYS[1], 'status', ARGV[11]) end
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
redis.call('GEOADD', KEYS[4], ARGV[8], ARGV[9], ARGV[1])
local sampled = redis.call('HGET', KEYS[1], 'sampled_ts')
if (not sampled) or (recorded - tonumber(sampled) >= tonumber(ARGV[6])) then
  redis.call('HSET', KEYS[1], 'sampled_ts', ARGV[2])
  return {1}
end
return {0}
"""

_STATE_FIELDS = ("latest", "status", "recorded_ts")


def _trip_key(trip_id: int) -> str:
    return f"{PREFIX}trip:{trip_id}"


def _state_from(latest, status, recorded_ts) -> TripState:
    """The TripState of the hash fields `_STATE_FIELDS` as Redis returns them."""
    if not latest:
        return TripState()
    return TripState(
        latest=Fix.from_message(json.loads(latest)),
        status=json.loads(status) if status else None,
        version=recorded_ts.decode() if isinstance(recorded_ts, bytes) else str(recorded_ts),
    )


def _commit_call(fix: Fix, status, version: str, sample_every_s: float, now) -> dict:
    """The commit script's keys and arguments."""
    key = _trip_key(fix.trip_id)
    return {
        "keys": [key, f"{key}:recent", f"{PREFIX}active", f"{PREFIX}geo"],
        "args": [
            fix.trip_id,
            _version(fix.recorded_at.timestamp()),
            json.dumps(fix.as_message()),
            _ttl(),
            RECENT_LIMIT,
            sample_every_s,
            time.time() if now is None else now,
            fix.lon,
            fix.lat,
            version,
            "" if status is None else json.dumps(status),
        ],
    }


def _commit_outcome(reply: list, fix: Fix, status) -> Commit:
    code = int(reply[0])
    if code == -1:
        return Commit(STALE)
    if code == -2:
        return Commit(CONFLICT, state=_state_from(*reply[1:4]))
    return Commit(STORED, code == 1, TripState(fix, status, _version(fix.recorded_at.timestamp())))


class RedisPositionStore(PositionStore):
    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
        self._commit = self.redis.register_script(_COMMIT_SCRIPT)

    _trip_key = staticmethod(_trip_key)

    def latest(self, trip_id):
        raw = self.redis.hget(self._trip_key(trip_id), "latest")
        return Fix.from_message(json.loads(raw)) if raw else None

    def recent(self, trip_id, limit=RECENT_LIMIT):
        raws = self.redis.lrange(f"{self._trip_key(trip_id)}:recent", 0, limit - 1)
        return [Fix.from_message(json.loads(raw)) for raw in reversed(raws)]

    def status(self, trip_id):
        raw = self.redis.hget(self._trip_key(trip_id), "status")
        return json.loads(raw) if raw else None

    def state(self, trip_id):
        return _state_from(*self.redis.hmget(self._trip_key(trip_id), _STATE_FIELDS))

    def active_trip_ids(self):
        cutoff = time.time() - _ttl()
        expired = self.redis.zrangebyscore(f"{PREFIX}active", "-inf", f"({cutoff}")
        if expired:
            self.redis.zrem(f"{PREFIX}active", *expired)
            self.redis.zrem(f"{PREFIX}geo", *expired)
        return sorted(int(t) for t in self.redis.zrange(f"{PREFIX}active", 0, -1))

    def commit(self, fix, status, *, version, sample_every_s, now=None):
        reply = self._commit(**_commit_call(fix, status, version, sample_every_s, now))
        return _commit_outcome(reply, fix, status)

    def status_store(self, trip_id, status):
        key = self._trip_key(trip_id)
        pipe = self.redis.pipeline()
        pipe.hset(key, "status", json.dumps(status))
        pipe.expire(key, _ttl())
        pipe.execute()

    def clear(self):
        keys = list(self.redis.scan_iter(f"{PREFIX}*"))
        if keys:
            self.redis.delete(*keys)


@cache
def _store_for(url: str) -> PositionStore:
    return RedisPositionStore(url) if url else MemoryPositionStore()


def position_store() -> PositionStore:
    """Redis when settings.REDIS_URL, else one in-process instance."""
    return _store_for(getattr(settings, "REDIS_URL", "") or "")


class AsyncPositionStore:
    """The reads and the commit the WebSocket consumer needs, awaitable."""

    async def state(self, trip_id: int) -> TripState:
        raise NotImplementedError

    async def commit(self, fix, status, *, version, sample_every_s, now=None) -> Commit:
        raise NotImplementedError


class AsyncMemoryPositionStore(AsyncPositionStore):
    """The in-process store, which never waits."""

    def __init__(self, store: MemoryPositionStore):
        self.store = store

    async def state(self, trip_id):
        return self.store.state(trip_id)

    async def commit(self, fix, status, **options):
        return self.store.commit(fix, status, **options)


class AsyncRedisPositionStore(AsyncPositionStore):
    """The Redis store through redis.asyncio, for one event loop."""

    def __init__(self, url: str):
        from redis import asyncio as aioredis

        # A burst of fixes waits for a free connection rather than failing for want of one.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=ASYNC_MAX_CONNECTIONS,
            timeout=5,
            socket_timeout=5,
            health_check_interval=30,
        )
        self.redis = aioredis.Redis(connection_pool=pool)
        self._commit = self.redis.register_script(_COMMIT_SCRIPT)

    async def state(self, trip_id):
        return _state_from(*await self.redis.hmget(_trip_key(trip_id), _STATE_FIELDS))

    async def commit(self, fix, status, *, version, sample_every_s, now=None):
        reply = await self._commit(**_commit_call(fix, status, version, sample_every_s, now))
        return _commit_outcome(reply, fix, status)


_async_stores: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncRedisPositionStore]"
_async_stores = weakref.WeakKeyDictionary()


def _closed_with(loop: asyncio.AbstractEventLoop, store: AsyncRedisPositionStore) -> None:
    """Close the store's connections when `loop` closes (as channels_redis does for its
    per-loop layers), so that none is left to a loop that no longer runs."""
    original = loop.close

    def close(self):
        if not self.is_closed() and not self.is_running():
            with contextlib.suppress(Exception):  # closing anyway
                self.run_until_complete(store.redis.aclose())
        _async_stores.pop(self, None)
        return original()

    loop.close = types.MethodType(close, loop)


def async_position_store() -> AsyncPositionStore:
    """`position_store()` for the running event loop."""
    url = getattr(settings, "REDIS_URL", "") or ""
    if not url:
        return AsyncMemoryPositionStore(position_store())
    loop = asyncio.get_running_loop()
    store = _async_stores.get(loop)
    if store is None:
        store = _async_stores[loop] = AsyncRedisPositionStore(url)
        _closed_with(loop, store)
    return store
