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

Writes are for the publish service only (`tracking.services.publish`): a fix is stored only
when newer than the stored one, decided atomically, so two publishers of one trip cannot
interleave an older fix after a newer one.
"""

import json
import threading
import time
from collections import deque
from functools import cache

from django.conf import settings

from .fixes import Fix

PREFIX = "ttms:track:"
RECENT_LIMIT = 50

STORED, STALE = "stored", "stale"


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

    # Writes: the publish service's.
    def fix_store(self, fix: Fix, *, sample_every_s: float, now: float | None = None) -> tuple:
        """Stores `fix` when it is newer than the stored one. Returns (STORED, sample) where
        `sample` says whether it is due in the trail (none sampled within `sample_every_s`
        of device time), or (STALE, False) when a fix as new or newer is stored."""
        raise NotImplementedError

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

    def fix_store(self, fix, *, sample_every_s, now=None):
        now = time.time() if now is None else now
        recorded = fix.recorded_at.timestamp()
        with self._lock:
            entry = self._live(fix.trip_id, now)
            if entry is None:
                entry = self._trips[fix.trip_id] = {
                    "recent": deque(maxlen=RECENT_LIMIT),
                    "recorded_ts": None,
                    "sampled_ts": None,
                    "status": None,
                }
            if entry["recorded_ts"] is not None and entry["recorded_ts"] >= recorded:
                return STALE, False
            entry["recent"].appendleft(fix)
            entry["recorded_ts"] = recorded
            entry["expires"] = now + _ttl()
            sample = entry["sampled_ts"] is None or recorded - entry["sampled_ts"] >= sample_every_s
            if sample:
                entry["sampled_ts"] = recorded
            return STORED, sample

    def status_store(self, trip_id, status):
        with self._lock:
            entry = self._live(trip_id)
            if entry is not None:
                entry["status"] = json.loads(json.dumps(status))

    def clear(self):
        with self._lock:
            self._trips.clear()


# KEYS: trip hash, recent list, active zset, geo set. ARGV: trip id, recorded_ts, fix JSON,
# ttl, recent limit, sample every (s), now (epoch s), lon, lat.
_STORE_SCRIPT = """
local last = redis.call('HGET', KEYS[1], 'recorded_ts')
local recorded = tonumber(ARGV[2])
if last and tonumber(last) >= recorded then return -1 end
redis.call('HSET', KEYS[1], 'latest', ARGV[3], 'recorded_ts', ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[7], ARGV[1])
redis.call('GEOADD', KEYS[4], ARGV[8], ARGV[9], ARGV[1])
local sampled = redis.call('HGET', KEYS[1], 'sampled_ts')
if (not sampled) or (recorded - tonumber(sampled) >= tonumber(ARGV[6])) then
  redis.call('HSET', KEYS[1], 'sampled_ts', ARGV[2])
  return 1
end
return 0
"""


class RedisPositionStore(PositionStore):
    def __init__(self, url: str):
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=5, health_check_interval=30)
        self._store = self.redis.register_script(_STORE_SCRIPT)

    @staticmethod
    def _trip_key(trip_id: int) -> str:
        return f"{PREFIX}trip:{trip_id}"

    def latest(self, trip_id):
        raw = self.redis.hget(self._trip_key(trip_id), "latest")
        return Fix.from_message(json.loads(raw)) if raw else None

    def recent(self, trip_id, limit=RECENT_LIMIT):
        raws = self.redis.lrange(f"{self._trip_key(trip_id)}:recent", 0, limit - 1)
        return [Fix.from_message(json.loads(raw)) for raw in reversed(raws)]

    def status(self, trip_id):
        raw = self.redis.hget(self._trip_key(trip_id), "status")
        return json.loads(raw) if raw else None

    def active_trip_ids(self):
        cutoff = time.time() - _ttl()
        expired = self.redis.zrangebyscore(f"{PREFIX}active", "-inf", f"({cutoff}")
        if expired:
            self.redis.zrem(f"{PREFIX}active", *expired)
            self.redis.zrem(f"{PREFIX}geo", *expired)
        return sorted(int(t) for t in self.redis.zrange(f"{PREFIX}active", 0, -1))

    def fix_store(self, fix, *, sample_every_s, now=None):
        now = time.time() if now is None else now
        key = self._trip_key(fix.trip_id)
        result = self._store(
            keys=[key, f"{key}:recent", f"{PREFIX}active", f"{PREFIX}geo"],
            args=[
                fix.trip_id,
                repr(fix.recorded_at.timestamp()),
                json.dumps(fix.as_message()),
                _ttl(),
                RECENT_LIMIT,
                sample_every_s,
                now,
                fix.lon,
                fix.lat,
            ],
        )
        if int(result) < 0:
            return STALE, False
        return STORED, int(result) == 1

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
