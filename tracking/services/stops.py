"""Recording the stop events progress found: each stop's actual arrival and departure, and
the trip's status moving with them."""

from contextlib import suppress
from datetime import datetime

from django.db import transaction

from fleet.exceptions import InvalidStatusTransition, TripLocked
from fleet.models import RouteStop, Trip, TripStatus
from fleet.services import trip_advance

from ..models import StopVisit
from .notices import stop_events_tell

ARRIVED, DEPARTED, SKIPPED = "arrived", "departed", "skipped"


def stop_events_record(*, trip_id: int, events: list[dict]) -> list[StopVisit]:
    """Write `events` ([{kind: arrived/departed/skipped, sequence, at (ISO)}], as
    `tracking.progress.progress_advance` returns them) as the trip's StopVisits, then move
    the trip: the first event past its first stop (leaving it, or any event at a later
    stop) to DEPARTED (through BOARDING when it never opened boarding), the arrival at its
    last stop to ARRIVED, through fleet's `trip_advance`.

    Idempotent: a stop keeps its first arrival and departure (each field is set only while
    empty, by a conditional UPDATE, so concurrent replays write once); a stop already
    arrived at is never marked skipped, nor a skipped stop arrived. Events for a sequence
    the route does not have are ignored. A trip cancelled or already arrived keeps its
    status. In the same transaction, unless the trip is cancelled, its passengers are told
    what the events mean for them (`notices.stop_events_tell`: the vehicle approaching
    their stop, a delay). Returns the trip's visits touched.
    """
    if not events:
        return []
    trip = Trip.objects.select_related("route").get(pk=trip_id)
    stations = dict(
        RouteStop.objects.filter(route_id=trip.route_id).values_list("sequence", "station_id")
    )
    if not stations:
        return []
    first, last = min(stations), max(stations)
    touched: set[int] = set()
    departed = arrived = False
    with transaction.atomic():
        for event in events:
            sequence, kind = event.get("sequence"), event.get("kind")
            if sequence not in stations or kind not in (ARRIVED, DEPARTED, SKIPPED):
                continue
            at = datetime.fromisoformat(event["at"])
            visit, _created = StopVisit.objects.get_or_create(
                trip_id=trip_id,
                sequence=sequence,
                defaults={
                    "station_id": stations[sequence],
                    "skipped": kind == SKIPPED,
                    "arrived_at": at if kind == ARRIVED else None,
                    "departed_at": at if kind == DEPARTED else None,
                },
            )
            rows = StopVisit.objects.filter(pk=visit.pk, skipped=False)
            if kind == ARRIVED:
                rows.filter(arrived_at__isnull=True).update(arrived_at=at)
            elif kind == DEPARTED:
                rows.filter(departed_at__isnull=True).update(departed_at=at)
            touched.add(visit.pk)
            if sequence > first or kind in (DEPARTED, SKIPPED):
                departed = True
            if sequence == last and kind == ARRIVED:
                arrived = True
        if trip.status != TripStatus.CANCELLED:
            stop_events_tell(trip=trip, events=events)
    if arrived:
        _advance(trip, TripStatus.ARRIVED, (TripStatus.BOARDING, TripStatus.DEPARTED))
    elif departed:
        _advance(trip, TripStatus.DEPARTED, (TripStatus.BOARDING,))
    return list(StopVisit.objects.filter(pk__in=touched).order_by("sequence"))


def _advance(trip: Trip, to_status: str, via: tuple[str, ...]) -> None:
    if trip.status in (TripStatus.CANCELLED, TripStatus.ARRIVED):
        return
    # Cancelled meanwhile: the events stay recorded, the status is the operator's.
    with suppress(TripLocked, InvalidStatusTransition):
        trip_advance(trip=trip, to_status=to_status, via=via)
