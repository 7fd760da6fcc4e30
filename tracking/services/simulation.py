"""Simulated vehicles on the trips running now, publishing through the same path as a
driver's phone (`trip_info_get`, `fix_publish` with source "simulator", `fix_broadcast`).

`Simulation.tick()` is one round: find the running trips (every `refresh_s`), move each trip
the way its driver would (boarding opened before departure, started at its departure,
completed once it has stood at its last stop a while, all through fleet's status service),
and publish one fix per vehicle. The motion itself is `tracking.simulator` (pure).
"""

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from fleet.exceptions import InvalidStatusTransition, TripLocked
from fleet.models import Trip, TripStatus
from fleet.services.trips import trip_advance

from ..exceptions import FixRefused
from ..fixes import Fix
from ..models import FixSource
from ..simulator import (
    VehiclePlan,
    noise_apply,
    plan_draw,
    speedup_cap,
    waypoints_from_stops,
)
from .publish import TripInfo, fix_broadcast, fix_publish, max_speeds_kmh, trip_info_get

logger = logging.getLogger(__name__)

# Simulated seconds between a vehicle's fixes, and the shortest real wait between rounds.
DEFAULT_INTERVAL_S = 5.0
MIN_WAIT_S = 0.5
# Boarding opens this long before the scheduled departure, as a driver would open it.
BOARDING_WINDOW = timedelta(minutes=15)
# A vehicle stands at its last stop this long (simulated) before its trip is completed:
# longer than the geofence dwell, so that the arrival is seen.
LINGER = timedelta(minutes=3)
# The statuses a trip goes through on its way to each.
VIA = {
    TripStatus.BOARDING: (),
    TripStatus.DEPARTED: (TripStatus.BOARDING,),
    TripStatus.ARRIVED: (TripStatus.BOARDING, TripStatus.DEPARTED),
}
# Trips that should have ended this long ago are history, not simulated.
HISTORY = timedelta(hours=12)


@dataclass
class SimulatedVehicle:
    info: TripInfo
    plan: VehiclePlan
    speedup: float
    started_real: datetime  # the wall time the simulation of this vehicle began
    started_sim: datetime  # the simulated time it began at
    rng: random.Random

    def sim_now(self, now: datetime) -> datetime:
        return self.started_sim + (now - self.started_real) * self.speedup


@dataclass
class Simulation:
    """The simulator's state between rounds. `now` is injectable for tests."""

    speedup: float = 1.0
    noise_m: float = 8.0
    delay_max_s: float = 10 * 60
    seed: int | None = None
    trip_ids: list[int] = field(default_factory=list)
    company_slug: str = ""
    refresh_s: float = 30.0
    vehicles: dict[int, SimulatedVehicle] = field(default_factory=dict)
    published: int = 0
    refused: Counter = field(default_factory=Counter)
    finished: int = 0
    _refreshed_at: datetime | None = None

    def __post_init__(self):
        if self.seed is None:
            self.seed = random.SystemRandom().randrange(2**31)

    # --- Which trips -----------------------------------------------------------------------

    def trips_running(self, now: datetime):
        """Trips under way now, or whose boarding has opened."""
        trips = Trip.objects.filter(
            Q(status__in=[TripStatus.BOARDING, TripStatus.DEPARTED])
            | Q(status=TripStatus.SCHEDULED, departure_at__lte=now + BOARDING_WINDOW),
            arrival_at__gte=now - HISTORY,
        ).order_by("pk")
        if self.trip_ids:
            trips = trips.filter(pk__in=self.trip_ids)
        if self.company_slug:
            trips = trips.filter(route__company__slug=self.company_slug)
        return trips

    def refresh(self, now: datetime) -> None:
        """Pick up trips that began running, keep the others' vehicles as they are."""
        self._refreshed_at = now
        for trip_id in self.trips_running(now).values_list("pk", flat=True):
            if trip_id in self.vehicles:
                continue
            vehicle = self._vehicle(trip_id, now)
            if vehicle is not None:
                self.vehicles[trip_id] = vehicle

    def _vehicle(self, trip_id: int, now: datetime) -> SimulatedVehicle | None:
        info = trip_info_get(trip_id)
        waypoints = waypoints_from_stops(info.stops)
        if len(waypoints) < 2:
            return None  # no route to drive on: fewer than two stops with coordinates
        rng = random.Random(f"{self.seed}:{trip_id}")
        plan = plan_draw(
            waypoints=waypoints,
            departure_at=info.departure_at,
            delay_max_s=self.delay_max_s,
            rng=rng,
        )
        limit = max_speeds_kmh().get(info.vehicle_kind, 0.0)
        speedup = speedup_cap(
            speedup=self.speedup, top_speed_kmh=plan.top_speed_kmh(), max_speed_kmh=limit
        )
        return SimulatedVehicle(info, plan, speedup, now, now, rng)

    # --- One round -------------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> int:
        """Move every vehicle to where it is now and publish its fix; returns the number of
        fixes published this round."""
        now = (now or timezone.now()).astimezone(UTC)
        if self._refreshed_at is None or (now - self._refreshed_at).total_seconds() >= (
            self.refresh_s
        ):
            self.refresh(now)
        count = 0
        for trip_id in list(self.vehicles):
            vehicle = self.vehicles[trip_id]
            sim_now = vehicle.sim_now(now)
            if not self._drive(vehicle, sim_now):
                del self.vehicles[trip_id]
                continue
            if self._publish(vehicle, sim_now, now):
                count += 1
        return count

    def _drive(self, vehicle: SimulatedVehicle, sim_now: datetime) -> bool:
        """What the driver does at `sim_now`: open boarding, start the trip, complete it.
        False once the trip is over (or was cancelled) and its vehicle leaves the simulation."""
        plan, info = vehicle.plan, vehicle.info
        if info.status in (TripStatus.ARRIVED, TripStatus.CANCELLED):
            return False
        first = plan.legs()[0]
        left_at = plan.departure_at + timedelta(seconds=first.depart_s)
        wanted = None
        if sim_now >= plan.finished_at + LINGER:
            wanted = TripStatus.ARRIVED
        elif sim_now >= left_at:
            wanted = TripStatus.DEPARTED
        elif sim_now >= plan.departure_at - BOARDING_WINDOW:
            wanted = TripStatus.BOARDING
        if wanted is not None and info.status != wanted:
            self._advance(vehicle, wanted)
        if vehicle.info.status in (TripStatus.ARRIVED, TripStatus.CANCELLED):
            self.finished += vehicle.info.status == TripStatus.ARRIVED
            return False
        return True

    def _advance(self, vehicle: SimulatedVehicle, status: str) -> None:
        trip = Trip.objects.get(pk=vehicle.info.trip_id)
        # Cancelled meanwhile, or moved on by someone else: the status is read back below.
        with contextlib.suppress(InvalidStatusTransition, TripLocked):
            trip_advance(trip=trip, to_status=status, via=VIA[status])
        vehicle.info = trip_info_get(vehicle.info.trip_id)

    def _publish(self, vehicle: SimulatedVehicle, sim_now: datetime, now: datetime) -> bool:
        state = vehicle.plan.state_at(sim_now)
        lat, lon = noise_apply(state.lat, state.lon, noise_m=self.noise_m, rng=vehicle.rng)
        fix = Fix(
            trip_id=vehicle.info.trip_id,
            lat=round(lat, 7),
            lon=round(lon, 7),
            recorded_at=now,
            speed_kmh=round(state.speed_kmh * vehicle.speedup, 1),
            heading=None if state.heading is None else round(state.heading, 1),
            accuracy_m=self.noise_m or None,
            source=FixSource.SIMULATOR.value,
            vehicle_id=vehicle.info.vehicle_id,
        )
        try:
            published = fix_publish(trip=vehicle.info, fix=fix, now=now)
        except FixRefused as exc:
            self.refused[exc.code] += 1
            return False
        async_to_sync(fix_broadcast)(published)
        self.published += 1
        return True

    def report(self) -> str:
        refused = ", ".join(f"{code} {n}" for code, n in sorted(self.refused.items()))
        return (
            f"{len(self.vehicles)} vehicles, {self.published} fixes published, "
            f"{sum(self.refused.values())} refused{f' ({refused})' if refused else ''}, "
            f"{self.finished} trips completed"
        )


async def simulation_run(simulation: Simulation, *, wait_s: float) -> None:
    """Run `simulation` round after round in this event loop until cancelled. Each round runs
    in Django's sync thread; its broadcasts come back to this loop (asgiref), which is what
    an embedded server's in-memory channel layer needs."""
    while True:
        began = time.monotonic()
        try:
            await sync_to_async(simulation.tick)()
        except Exception:
            logger.exception("simulator: a round failed; the next one follows")
        await asyncio.sleep(max(MIN_WAIT_S, wait_s - (time.monotonic() - began)))


async def simulation_lifespan(scope, receive, send) -> None:
    """The ASGI lifespan protocol: with TTMS_SIMULATOR on, the server runs the simulator
    (default options) as a task of its own event loop from startup to shutdown. In-process, so
    that an embedded server's subscribers (in-memory channel layer and position store) see
    its fixes."""
    task = None
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if settings.TTMS_SIMULATOR:
                simulation = Simulation()
                logger.info("simulator: running in this server (seed %s)", simulation.seed)
                task = asyncio.get_running_loop().create_task(
                    simulation_run(simulation, wait_s=DEFAULT_INTERVAL_S)
                )
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await send({"type": "lifespan.shutdown.complete"})
            return
