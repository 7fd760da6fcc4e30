"""Publishing a fix: the one path every publisher takes (the WebSocket consumer, the REST
fallback, a GTFS-Realtime import, the simulator).

    info = trip_info_get(trip_id)            # one DB read; callers cache it
    published = fix_publish(trip=info, fix=fix)
    async_to_sync(fix_broadcast)(published)  # or await it

`fix_publish` never touches the database: it checks the fix against the trip's state and
the last fix, stores it, advances the trip's progress and stores the status; the trail
sample and stop events go to a Celery task.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from fleet.models import Trip, TripStatus

from ..exceptions import TRIP_NOT_RUNNING, FixRefused
from ..fixes import Fix
from ..store import STALE, position_store

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

    def message(self) -> dict:
        """What subscribers receive."""
        from ..progress import public_status

        return {"type": "position", **self.fix.as_message(), "status": public_status(self.status)}


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


def fix_publish(*, trip: TripInfo, fix: Fix, now: datetime | None = None) -> Published:
    """Check, store and account for one fix; raises FixRefused. No database access: the
    trail sample and stop events are recorded by `tracking.tasks.trail_record_task`."""
    from ..progress import progress_advance
    from ..tasks import trail_record_task

    now = now or timezone.now()
    if fix.trip_id != trip.trip_id:
        raise FixRefused("invalid", _("This fix is of another trip."))
    if fix.vehicle_id is None and trip.vehicle_id is not None:
        fix = Fix(**{**fix.__dict__, "vehicle_id": trip.vehicle_id})
    store = position_store()
    _check(trip, fix, store.latest(trip.trip_id), now)
    sample_every = float(getattr(settings, "TTMS_TRAIL_SAMPLE_SECONDS", 30))
    outcome, sample = store.fix_store(fix, sample_every_s=sample_every, now=now.timestamp())
    if outcome == STALE:
        raise FixRefused(
            "stale",
            _("A newer fix of this trip is already in."),
            {"recorded_at": _("Not after the last fix's time.")},
        )
    previous = store.status(trip.trip_id)
    status = progress_advance(trip=trip, fix=fix, previous=previous, now=now)
    events = (status or {}).get("events") or []
    if status is not None:
        store.status_store(trip.trip_id, status)
    if sample or events:
        trail_record_task.delay(
            trip_id=trip.trip_id,
            fix=fix.as_message() if sample else None,
            progress_m=(status or {}).get("progress_m"),
            received_at=now.astimezone(UTC).isoformat(),
            events=events,
        )
    return Published(fix=fix, status=status)


async def fix_broadcast(published: Published) -> None:
    """Send a published fix to the trip's subscribers."""
    await get_channel_layer().group_send(
        trip_group(published.fix.trip_id),
        {"type": "position.message", "message": published.message()},
    )
