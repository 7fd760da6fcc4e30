"""Reads of tracking: a trip's running status for pages, the API and GTFS-Realtime."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from fleet.models import RouteStop, Station, Trip

from .fixes import Fix
from .store import position_store


@dataclass(frozen=True)
class StopStatus:
    """One stop of a running trip, times aware in UTC (pages show them in `station`'s
    time zone). `expected_arrival` is the ETA for a stop not yet reached; `delay_seconds`
    is the actual (else expected) arrival, or departure at the first stop, against the
    timetable; None when neither is known."""

    sequence: int
    station: Station
    distance_km: float
    scheduled_arrival: datetime | None
    scheduled_departure: datetime | None
    expected_arrival: datetime | None
    actual_arrival: datetime | None
    actual_departure: datetime | None
    skipped: bool
    delay_seconds: int | None

    @property
    def state(self) -> str:
        """departed, arrived (still there), skipped, or upcoming."""
        if self.skipped:
            return "skipped"
        if self.actual_departure:
            return "departed"
        if self.actual_arrival:
            return "arrived"
        return "upcoming"


@dataclass(frozen=True)
class RunningStatus:
    """A trip's running status: the stops table and, once a fix is in, where the vehicle
    is (`status` is progress's snapshot: progress_m, last/next stop, distance to go)."""

    trip: Trip
    stops: list[StopStatus]
    fix: Fix | None = None
    fix_age_seconds: int | None = None
    delay_seconds: int | None = None
    last_stop_sequence: int | None = None
    next_stop_sequence: int | None = None
    status: dict | None = field(default=None)
    now: datetime | None = None


def _offset(trip: Trip, minutes: int | None) -> datetime | None:
    return None if minutes is None else trip.departure_at + timedelta(minutes=minutes)


def running_status_get(*, trip_id: int, now: datetime | None = None) -> RunningStatus:
    """The trip's stops with their scheduled, expected and actual times and delay, and the
    latest fix with its age, from three indexed queries (the trip, its route's stops with
    their stations, its stop visits) and the position store. Works before any fix (the
    timetable alone). Raises Trip.DoesNotExist."""
    now = now or timezone.now()
    trip = (
        Trip.objects.select_related("route__company", "vehicle")
        .prefetch_related(
            Prefetch(
                "route__stops",
                queryset=RouteStop.objects.select_related("station").order_by("sequence"),
                to_attr="ordered_stops",
            ),
            "stop_visits",
        )
        .get(pk=trip_id)
    )
    visits = {visit.sequence: visit for visit in trip.stop_visits.all()}
    store = position_store()
    fix = store.latest(trip_id)
    status = store.status(trip_id) if fix is not None else None
    etas = {
        item["sequence"]: datetime.fromisoformat(item["eta"])
        for item in (status or {}).get("etas", [])
    }
    route_stops = trip.route.ordered_stops
    rows = []
    for index, stop in enumerate(route_stops):
        visit = visits.get(stop.sequence)
        arrival = _offset(trip, stop.arrival_offset)
        departure = _offset(trip, stop.departure_offset)
        actual_arrival = visit.arrived_at if visit else None
        actual_departure = visit.departed_at if visit else None
        skipped = bool(visit and visit.skipped)
        expected = None
        if not visit:
            expected = etas.get(stop.sequence)
        delay = None
        if index == 0 and actual_departure and departure:
            delay = (actual_departure - departure).total_seconds()
        elif actual_arrival and arrival:
            delay = (actual_arrival - arrival).total_seconds()
        elif expected and arrival:
            delay = (expected - arrival).total_seconds()
        rows.append(
            StopStatus(
                sequence=stop.sequence,
                station=stop.station,
                distance_km=float(stop.distance_km),
                scheduled_arrival=arrival if index else None,
                scheduled_departure=departure,
                expected_arrival=expected,
                actual_arrival=actual_arrival,
                actual_departure=actual_departure,
                skipped=skipped,
                delay_seconds=None if delay is None else round(delay),
            )
        )
    return RunningStatus(
        trip=trip,
        stops=rows,
        fix=fix,
        fix_age_seconds=None
        if fix is None
        else max(0, round((now - fix.recorded_at).total_seconds())),
        delay_seconds=(status or {}).get("delay_seconds"),
        last_stop_sequence=(status or {}).get("last_stop_sequence"),
        next_stop_sequence=(status or {}).get("next_stop_sequence"),
        status=status,
        now=now,
    )
