"""Simulated vehicles: where a vehicle is at a given moment when it runs its trip's timetable
late by a random delay, with GPS noise. Pure (no database, no clock): the management command
`simulate_trips` reads the trips and publishes what this computes through the same publish
path as a driver's phone.

A vehicle leaves its first stop `start_delay_s` late and runs every leg slower than the
timetable by one factor (`pace`), so that it reaches its last stop `end_delay_s` late; it
keeps each stop's scheduled dwell (never leaving a stop before its scheduled departure).
Between two stops it moves at a constant speed on the straight line (great circle) between
their coordinates: trains on the stations of their timetable, buses on their stops.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class Waypoint:
    """A stop of the route with coordinates; times in seconds after the trip's departure
    from its first stop, as the timetable has them."""

    sequence: int
    lat: float
    lon: float
    arrival_s: float
    departure_s: float


@dataclass(frozen=True)
class Leg:
    """A stop's call and the run to the next one, as this vehicle makes them (delays
    applied): at `origin` from `arrive_s` to `depart_s`, at the next stop at `next_arrive_s`."""

    origin: Waypoint
    destination: Waypoint | None
    arrive_s: float
    depart_s: float
    next_arrive_s: float | None


@dataclass(frozen=True)
class VehicleState:
    lat: float
    lon: float
    speed_kmh: float
    heading: float | None
    at_stop: int | None  # the sequence of the stop the vehicle stands at, if any
    finished: bool  # at the last stop, the trip's run done


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from the first point to the second, 0 to 360 (north 0, east 90)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(x, y)) % 360


def offset_m(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point `north_m` metres north and `east_m` east of (lat, lon) (locally flat)."""
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def waypoints_from_stops(stops) -> list[Waypoint]:
    """Waypoints from the route's stops (objects with `sequence`, `lat`, `lon`,
    `arrival_offset_s`, `departure_offset_s`, as `tracking.progress.StopPoint`), in
    sequence order; stops without coordinates or times are left out (the vehicle runs
    straight past them)."""
    waypoints = []
    for stop in sorted(stops, key=lambda s: s.sequence):
        arrival = stop.arrival_offset_s
        departure = stop.departure_offset_s
        if arrival is None:
            arrival = departure
        if departure is None:
            departure = arrival
        if stop.lat is None or stop.lon is None or arrival is None:
            continue
        waypoints.append(
            Waypoint(
                sequence=stop.sequence,
                lat=float(stop.lat),
                lon=float(stop.lon),
                arrival_s=float(arrival),
                departure_s=float(max(arrival, departure)),
            )
        )
    return waypoints


@dataclass(frozen=True)
class VehiclePlan:
    """One vehicle's run of its trip: the timetable's waypoints, the trip's scheduled
    departure, and the delays drawn for it."""

    waypoints: tuple[Waypoint, ...]
    departure_at: datetime
    start_delay_s: float = 0.0
    end_delay_s: float = 0.0

    def __post_init__(self):
        if len(self.waypoints) < 2:
            raise ValueError("a vehicle plan needs at least two stops with coordinates")
        if self.end_delay_s < self.start_delay_s:
            raise ValueError("the delay at the last stop is at least the delay at departure")

    @property
    def running_s(self) -> float:
        """The timetable's time spent moving (between departures and next arrivals)."""
        w = self.waypoints
        return sum(max(0.0, w[i + 1].arrival_s - w[i].departure_s) for i in range(len(w) - 1))

    @property
    def pace(self) -> float:
        """How much longer than the timetable each leg takes (1.0: on time)."""
        running = self.running_s
        if running <= 0:
            return 1.0
        return 1.0 + (self.end_delay_s - self.start_delay_s) / running

    def legs(self) -> list[Leg]:
        """Each stop's call and the run onwards, with the delays applied."""
        w, pace = self.waypoints, self.pace
        legs: list[Leg] = []
        arrive = w[0].arrival_s
        for i, origin in enumerate(w):
            if i == 0:
                depart = origin.departure_s + self.start_delay_s
                arrive = min(arrive, depart)
            else:
                # A late vehicle makes its stop and leaves once its dwell is done, never before
                # the scheduled departure.
                depart = max(origin.departure_s, arrive + (origin.departure_s - origin.arrival_s))
            if i + 1 < len(w):
                run = max(0.0, w[i + 1].arrival_s - origin.departure_s) * pace
                legs.append(Leg(origin, w[i + 1], arrive, depart, depart + run))
                arrive = depart + run
            else:
                legs.append(Leg(origin, None, arrive, arrive, None))
        return legs

    def arrival_at(self, sequence: int) -> datetime:
        """When this vehicle reaches the stop `sequence`."""
        for leg in self.legs():
            if leg.origin.sequence == sequence:
                return self.departure_at + timedelta(seconds=leg.arrive_s)
        raise KeyError(sequence)

    @property
    def finished_at(self) -> datetime:
        return self.departure_at + timedelta(seconds=self.legs()[-1].arrive_s)

    def top_speed_kmh(self) -> float:
        """The fastest leg's speed, delays applied."""
        top = 0.0
        for leg in self.legs():
            if leg.destination is None or leg.next_arrive_s <= leg.depart_s:
                continue
            d = distance_m(leg.origin.lat, leg.origin.lon, leg.destination.lat, leg.destination.lon)
            top = max(top, d / (leg.next_arrive_s - leg.depart_s) * 3.6)
        return top

    def state_at(self, moment: datetime) -> VehicleState:
        """Where the vehicle is at `moment` (no noise): at its first stop before it leaves,
        at its last stop once arrived."""
        t = (moment - self.departure_at).total_seconds()
        legs = self.legs()
        for leg in legs:
            if leg.destination is None:
                break
            if t < leg.depart_s:
                return VehicleState(
                    leg.origin.lat, leg.origin.lon, 0.0, None, leg.origin.sequence, False
                )
            if t < leg.next_arrive_s:
                a, b = leg.origin, leg.destination
                span = leg.next_arrive_s - leg.depart_s
                share = (t - leg.depart_s) / span
                lat = a.lat + (b.lat - a.lat) * share
                lon = a.lon + (b.lon - a.lon) * share
                speed = distance_m(a.lat, a.lon, b.lat, b.lon) / span * 3.6
                return VehicleState(
                    lat, lon, speed, bearing_deg(a.lat, a.lon, b.lat, b.lon), None, False
                )
        last = legs[-1].origin
        return VehicleState(last.lat, last.lon, 0.0, None, last.sequence, True)


def plan_draw(
    *, waypoints: list[Waypoint], departure_at: datetime, delay_max_s: float, rng: random.Random
) -> VehiclePlan:
    """A plan with random delays: up to half of `delay_max_s` at departure, the rest
    gathered over the run, so the vehicle reaches its last stop at most `delay_max_s` late."""
    start = rng.uniform(0, delay_max_s / 2)
    end = rng.uniform(start, delay_max_s)
    return VehiclePlan(
        waypoints=tuple(waypoints),
        departure_at=departure_at,
        start_delay_s=round(start, 3),
        end_delay_s=round(end, 3),
    )


def noise_apply(
    lat: float, lon: float, *, noise_m: float, rng: random.Random
) -> tuple[float, float]:
    """(lat, lon) moved a random distance of at most `noise_m` metres in a random direction
    (uniform over the disc): what a phone's GPS does."""
    if noise_m <= 0:
        return lat, lon
    radius = noise_m * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    return offset_m(lat, lon, radius * math.cos(angle), radius * math.sin(angle))


def speedup_cap(*, speedup: float, top_speed_kmh: float, max_speed_kmh: float) -> float:
    """The speed-up a vehicle can take: fixes carry the real time they are sent at, so a
    vehicle run N times faster than its timetable moves N times faster between fixes, and
    the publish path refuses a fix implying more than its kind's maximum speed. Kept at 90%
    of that maximum."""
    if top_speed_kmh <= 0 or max_speed_kmh <= 0:
        return speedup
    return max(1.0, min(speedup, 0.9 * max_speed_kmh / top_speed_kmh))
