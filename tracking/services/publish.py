"""Publishing a fix: the one path every publisher takes (the WebSocket consumer, the REST
fallback, a GTFS-Realtime import, the simulator).

    info = trip_info_get(trip_id)                     # one DB read; callers cache it
    published = fix_publish(trip=info, fix=fix)
    async_to_sync(fix_broadcast)(published)           # or await it

    published = await fix_publish_async(trip=info, fix=fix)   # on an event loop

`fix_publish` never touches the database: it checks the fix against the trip's state and
the last fix, advances the trip's progress, and stores fix and status in one atomic commit;
the trail sample and stop events go to a Celery task. The state a process last stored for
a trip is remembered, so a publisher's fix costs one round trip to the store; the commit
names the fix that state holds, and when another process stored one since, the stored
state is read back and the fix checked again.
"""

import asyncio
import json
import logging
import math
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from fleet.models import Trip, TripStatus

from ..exceptions import TRIP_NOT_RUNNING, FixRefused
from ..fixes import Fix
from ..store import CONFLICT, STALE, Commit, TripState, async_position_store, position_store

logger = logging.getLogger(__name__)

# A device clock may run a little fast; more than this ahead of the server is refused.
FUTURE_TOLERANCE = timedelta(seconds=30)
# GPS error allowed for when judging speed: each fix may be off by its accuracy, or this.
DEFAULT_ACCURACY_M = 25.0
RUNNING = frozenset({TripStatus.BOARDING, TripStatus.DEPARTED})
DEFAULT_MAX_SPEED_KMH = {"bus": 140.0, "train": 200.0}


def trip_group(trip_id: int) -> str:
    return f"trip.{trip_id}.positions"


@dataclass(frozen=True)
class TripInfo:
    """What publishing needs to know about a trip, read once."""

    trip_id: int
    company_id: int
    status: str
    vehicle_id: int | None
    vehicle_kind: str  # "bus" or "train"
    time_zone: str
    departure_at: datetime
    stops: tuple = field(default=())  # tracking.progress.StopPoint, in sequence order

    @property
    def running(self) -> bool:
        return self.status in RUNNING


@dataclass(frozen=True)
class Published:
    fix: Fix
    status: dict | None
    # The trail task's arguments, when the fix is sampled or caused stop events.
    trail: dict | None = None

    def message(self) -> dict:
        """What subscribers receive."""
        from ..progress import public_status

        return {"type": "position", **self.fix.as_message(), "status": public_status(self.status)}

    def event(self) -> dict:
        """The channel layer event carrying `message()` to the trip's consumers, encoded
        once for all of them, with the fix's time (epoch seconds) to keep each in order."""
        return {
            "type": "position.message",
            "recorded_ts": self.fix.recorded_at.timestamp(),
            "text": json.dumps(self.message()),
        }


def max_speeds_kmh() -> dict[str, float]:
    """`TTMS_MAX_SPEED_KMH` ("bus:140,train:200") as a dict."""
    configured = getattr(settings, "TTMS_MAX_SPEED_KMH", None)
    if isinstance(configured, dict):
        return {**DEFAULT_MAX_SPEED_KMH, **{k: float(v) for k, v in configured.items()}}
    speeds = dict(DEFAULT_MAX_SPEED_KMH)
    for part in (configured or "").split(","):
        kind, _sep, value = part.partition(":")
        if kind.strip() and value.strip():
            speeds[kind.strip()] = float(value)
    return speeds


def trip_info_get(trip_id: int) -> TripInfo:
    """The trip's publishing facts and its route's stops; raises Trip.DoesNotExist."""
    from ..progress import StopPoint

    trip = Trip.objects.select_related("route__company", "vehicle").get(pk=trip_id)
    route_stops = trip.route.stops.select_related("station").order_by("sequence")
    stops = tuple(
        StopPoint(
            sequence=stop.sequence,
            station_id=stop.station_id,
            code=stop.station.code,
            name=stop.station.name,
            lat=stop.station.latitude,
            lon=stop.station.longitude,
            distance_m=float(stop.distance_km) * 1000,
            arrival_offset_s=None if stop.arrival_offset is None else stop.arrival_offset * 60,
            departure_offset_s=(
                None if stop.departure_offset is None else stop.departure_offset * 60
            ),
        )
        for stop in route_stops
    )
    vehicle_kind = trip.vehicle.kind if trip.vehicle else "bus"
    return TripInfo(
        trip_id=trip.pk,
        company_id=trip.route.company_id,
        status=trip.status,
        vehicle_id=trip.vehicle_id,
        vehicle_kind=vehicle_kind,
        time_zone=trip.route.company.time_zone,
        departure_at=trip.departure_at,
        stops=stops,
    )


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(min(1.0, math.sqrt(a)))


def _check(trip: TripInfo, fix: Fix, last: Fix | None, now: datetime) -> None:
    if not trip.running:
        raise FixRefused("trip_not_running", TRIP_NOT_RUNNING)
    fields = {}
    if not -90 <= fix.lat <= 90:
        fields["lat"] = _("Must be between -90 and 90.")
    if not -180 <= fix.lon <= 180:
        fields["lon"] = _("Must be between -180 and 180.")
    if fields:
        raise FixRefused("out_of_range", _("This position is not on Earth."), fields)
    if fix.recorded_at > now + FUTURE_TOLERANCE:
        raise FixRefused(
            "in_future",
            _("This fix is recorded in the future; check the device's clock."),
            {"recorded_at": _("More than 30 seconds ahead of the server's clock.")},
        )
    if last is None:
        return
    if fix.recorded_at <= last.recorded_at:
        raise FixRefused(
            "stale",
            _("A newer fix of this trip is already in."),
            {"recorded_at": _("Not after the last fix's time.")},
        )
    seconds = (fix.recorded_at - last.recorded_at).total_seconds()
    slack = (fix.accuracy_m or DEFAULT_ACCURACY_M) + (last.accuracy_m or DEFAULT_ACCURACY_M)
    moved = max(0.0, distance_m(last.lat, last.lon, fix.lat, fix.lon) - slack)
    speed_kmh = moved / seconds * 3.6
    limit = max_speeds_kmh().get(trip.vehicle_kind, DEFAULT_MAX_SPEED_KMH["train"])
    if speed_kmh > limit:
        raise FixRefused(
            "impossible_speed",
            _(
                "This fix is %(speed).0f km/h from the last one; a %(kind)s goes at most "
                "%(limit).0f km/h."
            )
            % {"speed": speed_kmh, "kind": trip.vehicle_kind, "limit": limit},
        )


# The state each trip was last stored in by this process, most recently used last.
_REMEMBERED_TRIPS = 10_000
_remembered: OrderedDict[int, TripState] = OrderedDict()
_remembered_lock = threading.Lock()
# Commits that find another process's fix stored before giving up on a fix.
_COMMIT_ATTEMPTS = 5


def _remember(trip_id: int, state: TripState | None) -> None:
    with _remembered_lock:
        if state is None:
            _remembered.pop(trip_id, None)
            return
        _remembered[trip_id] = state
        _remembered.move_to_end(trip_id)
        while len(_remembered) > _REMEMBERED_TRIPS:
            _remembered.popitem(last=False)


def _remembered_state(trip_id: int) -> TripState | None:
    with _remembered_lock:
        return _remembered.get(trip_id)


async def trip_state_load(trip_id: int) -> None:
    """Read the trip's stored state into this process's memory (for a publisher that is
    about to send fixes), so that its first fix is checked without a read."""
    _remember(trip_id, await async_position_store().state(trip_id))


def _stale() -> FixRefused:
    return FixRefused(
        "stale",
        _("A newer fix of this trip is already in."),
        {"recorded_at": _("Not after the last fix's time.")},
    )


class _Publishing:
    """One fix on its way to the store: the steps between the store's reads and commits,
    shared by `fix_publish` and `fix_publish_async`."""

    def __init__(self, trip: TripInfo, fix: Fix, now: datetime | None):
        self.now = now or timezone.now()
        if fix.trip_id != trip.trip_id:
            raise FixRefused("invalid", _("This fix is of another trip."))
        if fix.vehicle_id is None and trip.vehicle_id is not None:
            fix = Fix(**{**fix.__dict__, "vehicle_id": trip.vehicle_id})
        self.trip, self.fix = trip, fix
        self.sample_every = float(getattr(settings, "TTMS_TRAIL_SAMPLE_SECONDS", 30))
        self.attempts = 0

    def commit_for(self, state: TripState, *, fresh: bool) -> dict | None:
        """The commit's arguments after checking the fix against `state`; None when
        `state` was remembered rather than read and the fix is refused: it is checked
        again against the stored state, which may differ. Raises FixRefused."""
        from ..progress import progress_advance

        self.attempts += 1
        if self.attempts > _COMMIT_ATTEMPTS:
            raise _stale()
        try:
            _check(self.trip, self.fix, state.latest, self.now)
        except FixRefused:
            if fresh:
                raise
            return None
        self.status = progress_advance(
            trip=self.trip, fix=self.fix, previous=state.status, now=self.now
        )
        return {
            "fix": self.fix,
            "status": self.status,
            "version": state.version,
            "sample_every_s": self.sample_every,
            "now": self.now.timestamp(),
        }

    def published(self, done: Commit) -> Published | None:
        """The outcome of a commit; None when another process's fix was in the way, and
        the commit is to be tried again from the stored state `done.state`."""
        trip_id = self.trip.trip_id
        if done.outcome == CONFLICT:
            _remember(trip_id, done.state)
            return None
        if done.outcome == STALE:
            _remember(trip_id, None)
            raise _stale()
        _remember(trip_id, done.state)
        events = (self.status or {}).get("events") or []
        trail = None
        if done.sample or events:
            trail = {
                "trip_id": trip_id,
                "fix": self.fix.as_message() if done.sample else None,
                "progress_m": (self.status or {}).get("progress_m"),
                "received_at": self.now.astimezone(UTC).isoformat(),
                "events": events,
            }
        return Published(fix=self.fix, status=self.status, trail=trail)


def trail_enqueue(records: list[dict]) -> None:
    """Hand fixes' trail samples and stop events (`Published.trail`) to the trail task."""
    from ..tasks import trail_record_task

    if records:
        trail_record_task.apply_async(kwargs={"records": records}, ignore_result=True)


def fix_publish(*, trip: TripInfo, fix: Fix, now: datetime | None = None) -> Published:
    """Check, store and account for one fix; raises FixRefused. No database access: the
    trail sample and stop events are recorded by `tracking.tasks.trail_record_task`."""
    publishing = _Publishing(trip, fix, now)
    store = position_store()
    state = _remembered_state(trip.trip_id)
    fresh = state is None
    if fresh:
        state = store.state(trip.trip_id)
    while True:
        call = publishing.commit_for(state, fresh=fresh)
        if call is None:
            state, fresh = store.state(trip.trip_id), True
            continue
        published = publishing.published(store.commit(**call))
        if published is not None:
            if published.trail:
                trail_enqueue([published.trail])
            return published
        state, fresh = _remembered_state(trip.trip_id), True


async def fix_publish_async(*, trip: TripInfo, fix: Fix, now: datetime | None = None) -> Published:
    """`fix_publish` for a caller on an event loop: the store is awaited, never waited on,
    and the trail task is handed over in the background, on the thread that may touch the
    database, so that the fix goes out without waiting for it."""
    publishing = _Publishing(trip, fix, now)
    store = async_position_store()
    state = _remembered_state(trip.trip_id)
    fresh = state is None
    if fresh:
        state = await store.state(trip.trip_id)
    while True:
        call = publishing.commit_for(state, fresh=fresh)
        if call is None:
            state, fresh = await store.state(trip.trip_id), True
            continue
        published = publishing.published(await store.commit(**call))
        if published is not None:
            if published.trail:
                _trail_batch().add(published.trail)
            return published
        state, fresh = _remembered_state(trip.trip_id), True


class _TrailBatch:
    """The trail records of one event loop's publishers, handed to the trail task in the
    background, on the thread that may touch the database: the first at once, and those
    that come while it is being handed over together after it. A burst of fixes (every
    vehicle's first one is sampled) costs a few task messages, not one each."""

    def __init__(self):
        self.records: list[dict] = []
        self.flushing: asyncio.Task | None = None

    def add(self, record: dict) -> None:
        self.records.append(record)
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        while self.records:
            records, self.records = self.records, []
            try:
                await database_sync_to_async(trail_enqueue)(records)
            except Exception:
                logger.exception("tracking: %d trail records could not be queued", len(records))


_trail_batches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _TrailBatch]"
_trail_batches = weakref.WeakKeyDictionary()


async def trail_flushed() -> None:
    """Wait until this event loop's trail records are handed to the trail task (for code
    that ends its loop right after publishing: a script, a test)."""
    batch = _trail_batches.get(asyncio.get_running_loop())
    while batch is not None and batch.flushing is not None and not batch.flushing.done():
        await asyncio.shield(batch.flushing)


def _trail_batch() -> _TrailBatch:
    loop = asyncio.get_running_loop()
    batch = _trail_batches.get(loop)
    if batch is None:
        batch = _trail_batches[loop] = _TrailBatch()
    return batch


async def fix_broadcast(published: Published) -> None:
    """Send a published fix to the trip's subscribers."""
    await get_channel_layer().group_send(trip_group(published.fix.trip_id), published.event())
