"""A trip's progress along its route from its vehicle's fixes: pure computation, no database.

The route is the polyline through its stops' coordinates (fleet keeps no GTFS shapes: the
importer reads stops and times only, so an imported route is drawn stop to stop too). A stop
without coordinates is placed on the line between its neighbours that have them, in
proportion to its distance along the route.

Rules, applied by `progress_advance` to each accepted fix:

- **Matching.** The fix is projected onto the nearest point of the polyline, searching only a
  window around the last progress: from `BACKWARD_WINDOW_M` behind to as far ahead as the
  vehicle could have gone since the last fix at its kind's top speed (plus a margin). A loop
  route or a return leg over the same road therefore never jumps to the other pass, and a
  GPS gap followed by a jump ahead is accepted when the implied speed is plausible.
- **Never backwards on jitter.** Progress is the maximum of the previous and the new
  projection. A projection more than `BACKWARD_TOLERANCE_M` behind, on
  `BACKWARD_PERSISTENCE` consecutive fixes spanning at least `BACKWARD_PERSISTENCE_S`
  seconds, is believed (the vehicle really went back); stop events already recorded stay.
- **Off route.** A fix farther than `OFF_ROUTE_M` (plus its accuracy) from the window's
  nearest point does not move progress; the status says `off_route`.
- **Stop events** (geofence with a debounce), stop by stop in route order: *arrived* once the
  vehicle has stayed within `TTMS_GEOFENCE_RADIUS_M` of the stop for
  `TTMS_GEOFENCE_DWELL_SECONDS` (the arrival time is when it entered the radius); *departed*
  at the first fix outside the radius and past the stop after arriving; *skipped* when
  progress goes beyond the stop without an arrival there: passed at speed (inside the radius
  for less than the dwell), or not seen at all (a GPS gap). A skipped stop has no actual
  times. Each stop gets at most one arrival, and the stops behind are never revisited.
- **Delay** is the fix's time minus the timetable's time at the current progress
  (interpolated between a stop's departure and the next one's arrival; at a stop, zero
  between its scheduled arrival and departure). Never negative before the first departure.
- **ETA** for each stop not yet reached: the fix's time plus the remaining scheduled running
  time scaled by a speed factor, plus the scheduled dwell at the stops in between. The
  factor is the timetable's speed over the observed speed (an EWMA over the recent moving
  fixes), weighted by how much speed evidence there is (0 with none: the timetable shifted
  by the delay). Never earlier than `now`.
"""

import bisect
import itertools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings

EARTH_RADIUS_M = 6_371_008.8

BACKWARD_WINDOW_M = 1_000.0
BACKWARD_TOLERANCE_M = 500.0
BACKWARD_PERSISTENCE = 3
BACKWARD_PERSISTENCE_S = 60.0
OFF_ROUTE_M = 1_000.0
AHEAD_MARGIN_M = 1_000.0
# Top speeds by vehicle kind for the search window, above what any fix should imply.
TOP_SPEED_KMH = {"bus": 140.0, "train": 200.0}

# What watchers are told of a status (`public_status`); the rest (the open stop visit, the
# backward-move count, what was already handled) is progress's own memory between fixes.
PUBLIC_STATUS_KEYS = (
    "progress_m",
    "last_stop_sequence",
    "next_stop_sequence",
    "at_stop",
    "distance_to_next_m",
    "distance_to_end_m",
    "delay_seconds",
    "etas",
    "events",
    "off_route",
    "speed_mps",
    "updated_at",
)


def public_status(status: dict | None) -> dict | None:
    """The part of a status snapshot that subscribers and the API are sent."""
    if status is None:
        return None
    return {key: status.get(key) for key in PUBLIC_STATUS_KEYS}


# Speed evidence: an EWMA over moving fixes; weight grows as n / (n + SPEED_PRIOR_FIXES).
SPEED_EWMA_ALPHA = 0.3
SPEED_PRIOR_FIXES = 5
SPEED_MAX_WEIGHT = 0.8
MOVING_MIN_MPS = 1.0
# Progress gained below this is no motion (rounding, GPS error held back).
MOVED_MIN_M = 1.0
FACTOR_RANGE = (0.5, 3.0)


@dataclass(frozen=True)
class StopPoint:
    """One stop of a trip's route as tracking needs it (offsets in seconds after the trip
    leaves its first stop; `distance_m` along the route, as the timetable gives it)."""

    sequence: int
    station_id: int
    code: str
    name: str
    lat: float | None
    lon: float | None
    distance_m: float
    arrival_offset_s: int | None
    departure_offset_s: int | None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Projection:
    progress_m: float
    offset_m: float  # from the fix to the matched point


class RouteGeometry:
    """The polyline through a route's stops, with each vertex's distance along it."""

    def __init__(self, points: list[tuple[float, float]], stop_m: list[float]):
        self.points = points
        self.cumulative = [0.0]
        for (a_lat, a_lon), (b_lat, b_lon) in itertools.pairwise(points):
            self.cumulative.append(self.cumulative[-1] + distance_m(a_lat, a_lon, b_lat, b_lon))
        self.stop_m = stop_m
        self.length_m = self.cumulative[-1]

    @classmethod
    def from_stops(cls, stops) -> "RouteGeometry":
        """Stops in sequence order; those without coordinates are interpolated by their
        distance along the route between the nearest stops that have them (before the first
        or after the last located stop: placed on it). Fewer than two located stops: an
        empty geometry (`usable` is false)."""
        stops = list(stops)
        located = [i for i, s in enumerate(stops) if s.lat is not None and s.lon is not None]
        if len(located) < 2:
            return cls([], [])
        points = []
        for i, stop in enumerate(stops):
            if stop.lat is not None and stop.lon is not None:
                points.append((stop.lat, stop.lon))
                continue
            before = max((j for j in located if j < i), default=None)
            after = min((j for j in located if j > i), default=None)
            if before is None or after is None:
                anchor = stops[after if before is None else before]
                points.append((anchor.lat, anchor.lon))
                continue
            a, b = stops[before], stops[after]
            span = b.distance_m - a.distance_m
            share = (stop.distance_m - a.distance_m) / span if span > 0 else 0.5
            if not 0 <= share <= 1:
                share = (i - before) / (after - before)
            points.append((a.lat + (b.lat - a.lat) * share, a.lon + (b.lon - a.lon) * share))
        geometry = cls(points, [])
        geometry.stop_m = list(geometry.cumulative)
        return geometry

    @property
    def usable(self) -> bool:
        return len(self.points) >= 2 and self.length_m > 0

    def point_at(self, progress_m: float) -> tuple[float, float]:
        """The coordinates `progress_m` along the line (clamped to its ends)."""
        progress_m = min(max(progress_m, 0.0), self.length_m)
        i = max(0, min(bisect.bisect_right(self.cumulative, progress_m) - 1, len(self.points) - 2))
        seg = self.cumulative[i + 1] - self.cumulative[i]
        share = (progress_m - self.cumulative[i]) / seg if seg > 0 else 0.0
        (a_lat, a_lon), (b_lat, b_lon) = self.points[i], self.points[i + 1]
        return a_lat + (b_lat - a_lat) * share, a_lon + (b_lon - a_lon) * share

    def project(
        self, lat: float, lon: float, *, low_m: float = 0.0, high_m: float | None = None
    ) -> Projection:
        """The nearest point to (lat, lon) on the part of the line between `low_m` and
        `high_m` along it (equirectangular plane around the fix: metres-exact at the scale
        of a segment's neighbourhood). Ties go to the smaller progress."""
        high_m = self.length_m if high_m is None else min(high_m, self.length_m)
        low_m = max(0.0, min(low_m, high_m))
        first = max(0, bisect.bisect_right(self.cumulative, low_m) - 1)
        last = min(
            len(self.points) - 2, max(first, bisect.bisect_left(self.cumulative, high_m) - 1)
        )
        k = math.radians(1) * EARTH_RADIUS_M
        cos_lat = math.cos(math.radians(lat))
        best: Projection | None = None
        for i in range(first, last + 1):
            (a_lat, a_lon), (b_lat, b_lon) = self.points[i], self.points[i + 1]
            ax, ay = (a_lon - lon) * cos_lat * k, (a_lat - lat) * k
            bx, by = (b_lon - lon) * cos_lat * k, (b_lat - lat) * k
            dx, dy = bx - ax, by - ay
            seg2 = dx * dx + dy * dy
            t = 0.0 if seg2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / seg2))
            seg_len = self.cumulative[i + 1] - self.cumulative[i]
            # Keep the matched point inside the window.
            t_low = (low_m - self.cumulative[i]) / seg_len if seg_len > 0 else 0.0
            t_high = (high_m - self.cumulative[i]) / seg_len if seg_len > 0 else 1.0
            t = max(t, max(0.0, t_low))
            t = min(t, min(1.0, t_high))
            px, py = ax + dx * t, ay + dy * t
            offset = math.hypot(px, py)
            progress = self.cumulative[i] + seg_len * t
            if best is None or offset < best.offset_m - 1e-6:
                best = Projection(progress_m=progress, offset_m=offset)
        return best


@lru_cache(maxsize=1024)
def _geometry(stops: tuple) -> RouteGeometry:
    return RouteGeometry.from_stops(stops)


def route_geometry(stops) -> RouteGeometry:
    """The route's geometry, cached per stop list (StopPoints are immutable)."""
    return _geometry(tuple(stops))


# --- the timetable along the route -------------------------------------------------------


def _offsets(stops) -> list[tuple[float | None, float | None]]:
    """(arrival, departure) seconds per stop, the missing end filled from the other."""
    rows = []
    for i, stop in enumerate(stops):
        arr, dep = stop.arrival_offset_s, stop.departure_offset_s
        if i == 0 and arr is None:
            arr = dep if dep is not None else 0
        if dep is None:
            dep = arr
        if arr is None:
            arr = dep
        rows.append((arr, dep))
    return rows


def _scheduled_at(stop_m: list[float], offsets, progress_m: float, *, at_stop: int | None):
    """The timetable's offset at `progress_m`: a (earliest, latest) pair, equal between
    stops, the stop's (arrival, departure) at a stop."""
    if at_stop is not None and offsets[at_stop][0] is not None:
        return offsets[at_stop]
    known = [(m, o) for m, o in zip(stop_m, offsets, strict=True) if o[0] is not None]
    if not known:
        return None
    if progress_m <= known[0][0]:
        return known[0][1][1], known[0][1][1]
    for (m_a, (_, dep_a)), (m_b, (arr_b, _)) in itertools.pairwise(known):
        if m_a <= progress_m <= m_b:
            if m_b == m_a:
                return arr_b, arr_b
            value = dep_a + (arr_b - dep_a) * (progress_m - m_a) / (m_b - m_a)
            return value, value
    return known[-1][1][0], known[-1][1][0]


# --- the status snapshot ------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _window_ahead(kind: str, elapsed_s: float | None) -> float | None:
    if elapsed_s is None:
        return None
    top = TOP_SPEED_KMH.get(kind, TOP_SPEED_KMH["bus"]) / 3.6
    return max(elapsed_s, 0.0) * top + AHEAD_MARGIN_M


def progress_advance(
    *,
    trip,
    fix,
    previous: dict | None,
    now: datetime,
    radius_m: float | None = None,
    dwell_s: float | None = None,
) -> dict:
    """The trip's status after `fix`, from the `previous` status (None for the first fix).

    `trip` has `stops` (StopPoints in sequence order), `departure_at` (aware) and
    optionally `vehicle_kind` ("bus"/"train"). Returns a JSON-ready dict: progress_m,
    last_stop_sequence, next_stop_sequence, at_stop, distance_to_next_m, distance_to_end_m,
    delay_seconds, etas [{sequence, eta}], events [{kind, sequence, at}] (the stop events
    this fix caused, for the caller to record), off_route, and the state the next call
    needs (fix_at, progress_at, speed_mps, speed_samples, handled_sequence, visit, backward).
    Pure: no database, no clock other than `now`.
    """
    radius_m = settings.TTMS_GEOFENCE_RADIUS_M if radius_m is None else radius_m
    dwell_s = settings.TTMS_GEOFENCE_DWELL_SECONDS if dwell_s is None else dwell_s
    stops = list(trip.stops)
    geometry = route_geometry(stops)
    kind = getattr(trip, "vehicle_kind", "bus") or "bus"
    prev = previous or {}
    at = fix.recorded_at
    prev_at = _parse(prev.get("fix_at"))
    elapsed = (at - prev_at).total_seconds() if prev_at else None
    prev_progress = prev.get("progress_m")

    # 1. Match the fix onto the route.
    progress = prev_progress
    off_route = False
    backward = dict(prev.get("backward") or {"count": 0, "since": None})
    if geometry.usable:
        if prev_progress is None:
            low, high = 0.0, None
        else:
            ahead = _window_ahead(kind, elapsed)
            low = prev_progress - BACKWARD_WINDOW_M
            high = None if ahead is None else prev_progress + ahead
        found = geometry.project(fix.lat, fix.lon, low_m=low, high_m=high)
        allowance = OFF_ROUTE_M + (fix.accuracy_m or 0.0)
        if found.offset_m > allowance:
            off_route = True
        elif prev_progress is None or found.progress_m >= prev_progress:
            progress = found.progress_m
            backward = {"count": 0, "since": None}
        elif prev_progress - found.progress_m > BACKWARD_TOLERANCE_M:
            since = backward.get("since") or _iso(at)
            backward = {"count": backward.get("count", 0) + 1, "since": since}
            lasted = (at - _parse(since)).total_seconds()
            if backward["count"] >= BACKWARD_PERSISTENCE and lasted >= BACKWARD_PERSISTENCE_S:
                progress = found.progress_m
                backward = {"count": 0, "since": None}
        else:
            backward = {"count": 0, "since": None}

    # 2. Stop events.
    events: list[dict] = []
    handled = prev.get("handled_sequence", 0)
    visit = dict(prev["visit"]) if prev.get("visit") else None
    arrived_seq = prev.get("arrived_sequence")
    if geometry.usable and progress is not None and not off_route:
        for index, stop in enumerate(stops):
            if stop.sequence <= handled:
                continue
            stop_m = geometry.stop_m[index]
            s_lat, s_lon = geometry.points[index]
            inside = distance_m(fix.lat, fix.lon, s_lat, s_lon) <= radius_m
            is_last = index == len(stops) - 1
            if visit and visit["sequence"] != stop.sequence:
                visit = None
            if inside:
                if visit is None:
                    visit = {"sequence": stop.sequence, "entered_at": _iso(at), "arrived": False}
                entered = _parse(visit["entered_at"])
                if not visit["arrived"] and (at - entered).total_seconds() >= dwell_s:
                    visit["arrived"] = True
                    arrived_seq = stop.sequence
                    events.append(
                        {"kind": "arrived", "sequence": stop.sequence, "at": visit["entered_at"]}
                    )
                    if is_last:
                        handled, visit = stop.sequence, None
                break
            if progress < stop_m:
                break  # not there yet (or jitter behind it while calling)
            if visit and visit["arrived"]:
                events.append({"kind": "departed", "sequence": stop.sequence, "at": _iso(at)})
            else:
                events.append({"kind": "skipped", "sequence": stop.sequence, "at": _iso(at)})
            handled, visit = stop.sequence, None

    # Speed evidence: moving fixes away from stops only (the dwell is in the timetable, and
    # GPS error at a stop is no motion).
    speed = prev.get("speed_mps")
    weight_n = prev.get("speed_samples", 0)
    # Measured from when progress last moved, so a fix held back as jitter is no stop.
    moved_at = _parse(prev.get("progress_at")) or prev_at
    moving_s = (at - moved_at).total_seconds() if moved_at else None
    away = visit is None and not prev.get("visit")
    if away and progress is not None and prev_progress is not None and moving_s:
        observed = (progress - prev_progress) / moving_s
        if observed >= MOVING_MIN_MPS:
            speed = (
                observed
                if speed is None
                else (SPEED_EWMA_ALPHA * observed + (1 - SPEED_EWMA_ALPHA) * speed)
            )
            weight_n += 1

    # 3. Where it is, against the timetable.
    at_stop = visit["sequence"] if visit and visit["arrived"] else None
    last_stop = at_stop if at_stop is not None else (handled or None)
    later = [s for s in stops if s.sequence > (last_stop or 0)]
    next_stop = later[0].sequence if later else None
    status = {
        "progress_m": None if progress is None else round(progress, 1),
        "fix_at": _iso(at),
        "progress_at": (
            _iso(at)
            if prev_progress is None or (progress or 0.0) - prev_progress > MOVED_MIN_M
            else prev.get("progress_at")
        ),
        "last_stop_sequence": last_stop,
        "next_stop_sequence": next_stop,
        "at_stop": at_stop,
        "distance_to_next_m": None,
        "distance_to_end_m": None,
        "delay_seconds": None,
        "etas": [],
        "events": events,
        "off_route": off_route,
        "speed_mps": None if speed is None else round(speed, 3),
        "speed_samples": weight_n,
        "handled_sequence": handled,
        "arrived_sequence": arrived_seq,
        "visit": visit,
        "backward": backward,
        "updated_at": _iso(now),
    }
    if not geometry.usable or progress is None:
        return status
    index_of = {s.sequence: i for i, s in enumerate(stops)}
    if next_stop is not None:
        status["distance_to_next_m"] = round(
            max(0.0, geometry.stop_m[index_of[next_stop]] - progress), 1
        )
    status["distance_to_end_m"] = round(max(0.0, geometry.length_m - progress), 1)

    offsets = _offsets(stops)
    at_index = index_of[at_stop] if at_stop is not None else None
    scheduled = _scheduled_at(geometry.stop_m, offsets, progress, at_stop=at_index)
    if scheduled is None:
        return status
    elapsed_trip = (at - trip.departure_at).total_seconds()
    earliest, latest = scheduled
    if elapsed_trip > latest:
        delay = elapsed_trip - latest
    elif elapsed_trip < earliest:
        delay = elapsed_trip - earliest
    else:
        delay = 0.0
    if handled == 0 and at_stop in (None, stops[0].sequence) and progress <= geometry.stop_m[0]:
        delay = max(0.0, delay)
    status["delay_seconds"] = round(delay)
    # Waiting at a stop (or at the first one before leaving): it will not leave before
    # its scheduled departure.
    start = at
    if at_stop is not None or (handled == 0 and progress <= geometry.stop_m[0]):
        start = max(at, trip.departure_at + timedelta(seconds=latest))
    status["etas"] = _etas(
        trip=trip,
        stops=stops,
        geometry=geometry,
        offsets=offsets,
        # At a stop it is at the stop, whatever GPS error says.
        progress=progress if at_index is None else geometry.stop_m[at_index],
        at=start,
        now=now,
        now_offset=latest,
        first_pending=index_of[next_stop] if next_stop is not None else len(stops),
        speed=speed,
        samples=weight_n,
    )
    return status


def _etas(
    *, trip, stops, geometry, offsets, progress, at, now, now_offset, first_pending, speed, samples
):
    """Arrival estimates for the stops from `first_pending` on (see the module's rules)."""
    factor = 1.0
    pending = range(first_pending, len(stops))
    if speed and speed > 0 and pending:
        end = pending[-1]
        run_s = _running_s(offsets, now_offset, first_pending, end)
        run_m = geometry.stop_m[end] - progress
        if run_s > 0 and run_m > 0:
            observed = (run_m / speed) / run_s
            weight = min(SPEED_MAX_WEIGHT, samples / (samples + SPEED_PRIOR_FIXES))
            factor = weight * observed + (1 - weight)
            factor = min(max(factor, FACTOR_RANGE[0]), FACTOR_RANGE[1])
    out = []
    for j in pending:
        arrival = offsets[j][0]
        if arrival is None:
            continue
        run = _running_s(offsets, now_offset, first_pending, j)
        dwell = (arrival - now_offset) - run
        eta = max(at + timedelta(seconds=round(run * factor + dwell)), now)
        out.append({"sequence": stops[j].sequence, "eta": _iso(eta.replace(microsecond=0))})
    return out


def _running_s(offsets, now_offset: float, first: int, last: int) -> float:
    """Scheduled seconds in motion from `now_offset` to the arrival at stop `last`: the
    time between, less the dwell at the stops strictly between."""
    total = offsets[last][0] - now_offset
    for k in range(first, last):
        arr, dep = offsets[k]
        if arr is not None and dep is not None:
            total -= dep - arr
    return max(0.0, total)
