"""Trip generation: the trips of routes' timetables over a range of service dates."""

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from ..conflicts import turnaround
from ..locks import lock_assignees
from ..models import Route, RouteException, RouteStop, Trip, TripStatus


@dataclass
class GenerationReport:
    routes: int = 0
    created: int = 0
    existing: int = 0
    # Trips created without the route's default vehicle: it is on another trip then.
    without_vehicle: int = 0

    def __str__(self) -> str:
        text = _("{routes} routes: {created} trips created, {existing} already there").format(
            routes=self.routes, created=self.created, existing=self.existing
        )
        if self.without_vehicle:
            text += _(
                "; {count} left without a vehicle (the route's is on another trip then)"
            ).format(count=self.without_vehicle)
        return text


def route_runs_on(route: Route, day: date, exceptions: dict[date, str]) -> bool:
    """Whether `route` leaves its first stop on `day`: its weekdays within its validity,
    overridden by an exception for that date (GTFS calendar and calendar_dates)."""
    kind = exceptions.get(day)
    if kind is not None:
        return kind == RouteException.Kind.ADDED
    if route.valid_from and day < route.valid_from:
        return False
    if route.valid_to and day > route.valid_to:
        return False
    return bool(route.running_days & (1 << day.weekday()))


def _vehicles_kept_free(new: list[Trip]) -> int:
    """Take the vehicle off each of the `new` trips (not saved yet) that would overlap
    another trip of that vehicle, turnaround included: an existing one not cancelled, or a
    new one earlier in departure order that kept it. Locks the vehicles' rows first; one
    query for their trips within the new ones' times. Returns how many lost it."""
    runs: dict[int, list[Trip]] = {}
    for trip in new:
        if trip.vehicle_id is not None:
            runs.setdefault(trip.vehicle_id, []).append(trip)
    if not runs:
        return 0
    lock_assignees(vehicle_ids=runs)
    gap = turnaround()
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for vehicle_id, leaves, arrives in (
        Trip.objects.filter(
            vehicle_id__in=list(runs),
            departure_at__lt=max(t.arrival_at for t in new) + gap,
            arrival_at__gt=min(t.departure_at for t in new) - gap,
        )
        .exclude(status=TripStatus.CANCELLED)
        .values_list("vehicle_id", "departure_at", "arrival_at")
    ):
        busy.setdefault(vehicle_id, []).append((leaves, arrives + gap))
    taken_off = 0
    for vehicle_id, trips in runs.items():
        # The existing trips' spans merged: sorted, disjoint, so their ends rise too.
        merged: list[list[datetime]] = []
        for start, end in sorted(busy.get(vehicle_id, [])):
            if merged and start < merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        starts = [m[0] for m in merged]
        kept_until = None  # the latest end of a new trip that kept the vehicle
        for trip in sorted(trips, key=lambda t: t.departure_at):
            end = trip.arrival_at + gap
            before = bisect_left(starts, end)  # spans starting before this one ends
            if (before and merged[before - 1][1] > trip.departure_at) or (
                kept_until is not None and kept_until > trip.departure_at
            ):
                trip.vehicle_id = None
                taken_off += 1
                continue
            kept_until = end if kept_until is None else max(kept_until, end)
    return taken_off


def departure_at(service_date: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The aware instant `minutes` after midnight of `service_date` in `tz` (wall clock)."""
    local = datetime.combine(service_date, time()) + timedelta(minutes=minutes)
    return local.replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))


GENERATION_CHUNK = 1000


def trips_generate(
    *,
    start: date,
    end: date,
    routes: QuerySet[Route] | None = None,
    progress: Callable[[int], None] | None = None,
) -> GenerationReport:
    """Create the trips of `routes` (default: every active route) for service dates
    `start`..`end` inclusive, from their departure times, running days and exceptions.

    Idempotent: a trip that exists (same route and departure instant) is left as it is,
    whatever its status; the unique constraint settles two concurrent runs. New trips get the
    route's default vehicle and no seat inventory (the booking app creates it when the trip
    is first sold). Works in chunks of routes, one transaction each; `progress` is called
    with the number of routes done after each chunk.

    The default vehicle goes only on runs it can make: a run that would overlap another
    trip of that vehicle (turnaround included, `fleet.conflicts`), existing or generated
    earlier in departure order, is created without a vehicle and counted in the report's
    `without_vehicle`, for the operator to assign one. The vehicles' rows are locked
    (`lock_assignees`) for the chunk's transaction, as every assignment locks them.
    """
    if end < start:
        raise ValidationError({"end": _("The range ends before it starts.")})
    if (end - start).days > 400:
        raise ValidationError({"end": _("Generate at most 400 days at a time.")})
    routes = Route.objects.all() if routes is None else routes
    first_stop = RouteStop.objects.filter(route=OuterRef("pk")).order_by("sequence")
    route_rows = list(
        routes.filter(is_active=True)
        .annotate(
            origin_tz=Subquery(first_stop.values("station__time_zone")[:1]),
            duration=Max("stops__arrival_offset"),
        )
        .order_by("pk")
    )
    report = GenerationReport(routes=len(route_rows))
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    window = (
        departure_at(start, 0, ZoneInfo("UTC")) - timedelta(days=1),
        departure_at(end, 0, ZoneInfo("UTC")) + timedelta(days=3),
    )
    for offset in range(0, len(route_rows), GENERATION_CHUNK):
        chunk = [
            r
            for r in route_rows[offset : offset + GENERATION_CHUNK]
            if r.origin_tz and r.duration is not None
        ]
        ids = [r.pk for r in chunk]
        exceptions: dict[int, dict[date, str]] = {}
        for route_id, day, kind in RouteException.objects.filter(
            route_id__in=ids, date__range=(start, end)
        ).values_list("route_id", "date", "kind"):
            exceptions.setdefault(route_id, {})[day] = kind
        with transaction.atomic():
            existing = set(
                Trip.objects.filter(
                    route_id__in=ids,
                    departure_at__range=window,
                ).values_list("route_id", "departure_at")
            )
            new = []
            for route in chunk:
                tz = ZoneInfo(route.origin_tz)
                minutes = route.departure_minutes
                route_exceptions = exceptions.get(route.pk, {})
                duration = timedelta(minutes=route.duration)
                for day in days:
                    if not route_runs_on(route, day, route_exceptions):
                        continue
                    for minute in minutes:
                        leaves = departure_at(day, minute, tz)
                        if (route.pk, leaves) in existing:
                            report.existing += 1
                            continue
                        new.append(
                            Trip(
                                route_id=route.pk,
                                service_date=day,
                                departure_at=leaves,
                                arrival_at=leaves + duration,
                                vehicle_id=route.default_vehicle_id,
                            )
                        )
            report.without_vehicle += _vehicles_kept_free(new)
            Trip.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
            report.created += len(new)
        if progress:
            progress(len(route_rows[offset : offset + GENERATION_CHUNK]))
    return report
