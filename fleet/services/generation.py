"""Trip generation: the trips of routes' timetables over a range of service dates."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from ..models import Route, RouteException, RouteStop, Trip


@dataclass
class GenerationReport:
    routes: int = 0
    created: int = 0
    existing: int = 0

    def __str__(self) -> str:
        return _("{routes} routes: {created} trips created, {existing} already there").format(
            routes=self.routes, created=self.created, existing=self.existing
        )


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
            Trip.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
            report.created += len(new)
        if progress:
            progress(len(route_rows[offset : offset + GENERATION_CHUNK]))
    return report
