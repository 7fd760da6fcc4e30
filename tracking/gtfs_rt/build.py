"""GTFS-Realtime feeds of the trips being tracked: VehiclePositions and TripUpdates
(FULL_DATASET), from the position store (latest fix and running status per trip) and the
trips' timetables. Reads only: the store, one query for the trips with their stops and one
for the vehicles the fixes name, whatever the number of trips (the ETAs and delays are
those `tracking.selectors.running_status_get` shows, which reads per trip)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone
from google.transit import gtfs_realtime_pb2

from fleet.models import Company, RouteStop, Trip, Vehicle
from fleet.selectors import company_ids_for_user

from ..fixes import Fix
from ..store import position_store
from .ids import gtfs_stop_id, trip_descriptor_fill

KMH_PER_MS = 3.6
GTFS_REALTIME_VERSION = "2.0"


@dataclass
class TrackedTrip:
    trip: Trip
    fix: Fix
    status: dict | None
    vehicle: Vehicle | None
    time_zone: str


def feed_trips(*, user, company: Company | None = None) -> list[TrackedTrip]:
    """The trips with a live fix (within the store's TTL) that `user` may watch: those of
    companies whose positions are public, and every trip of the companies `user` is staff
    of (all of them for a platform admin). Limited to `company` when given."""
    store = position_store()
    ids = store.active_trip_ids()
    trips = Trip.objects.filter(pk__in=ids).select_related("route__company", "vehicle")
    visible = company_ids_for_user(user)
    if visible is not None:
        trips = trips.filter(
            Q(route__company__positions_public=True) | Q(route__company_id__in=visible)
        )
    if company is not None:
        trips = trips.filter(route__company=company)
    trips = trips.prefetch_related(
        Prefetch(
            "route__stops",
            queryset=RouteStop.objects.select_related("station").order_by("sequence"),
        )
    ).order_by("pk")
    tracked = []
    fixes = {}
    for trip in trips:
        fix = store.latest(trip.pk)
        if fix is not None:
            fixes[trip.pk] = (trip, fix)
    vehicles = Vehicle.objects.in_bulk(
        {fix.vehicle_id for _, fix in fixes.values() if fix.vehicle_id is not None}
    )
    for trip, fix in fixes.values():
        stops = list(trip.route.stops.all())
        tracked.append(
            TrackedTrip(
                trip=trip,
                fix=fix,
                status=store.status(trip.pk),
                vehicle=vehicles.get(fix.vehicle_id) or trip.vehicle,
                time_zone=stops[0].station.time_zone if stops else trip.route.company.time_zone,
            )
        )
    return tracked


def _message(now: datetime | None) -> gtfs_realtime_pb2.FeedMessage:
    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = GTFS_REALTIME_VERSION
    message.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    message.header.timestamp = int((now or timezone.now()).timestamp())
    return message


def _vehicle_fill(descriptor, vehicle: Vehicle | None) -> None:
    if vehicle is None:
        return
    descriptor.id = vehicle.code
    descriptor.label = vehicle.name or vehicle.code
    if vehicle.kind == Vehicle.Kind.BUS:
        descriptor.license_plate = vehicle.code


def vehicle_positions_feed(
    tracked: list[TrackedTrip], *, now: datetime | None = None
) -> gtfs_realtime_pb2.FeedMessage:
    """One VehiclePosition per trip: the run (trip descriptor), its vehicle (id = the
    vehicle's code, the feed's vehicle id for a vehicle an imported feed named), the latest
    fix (bearing, speed in m/s, its device time) and the stop it is at or heading to."""
    message = _message(now)
    for item in tracked:
        entity = message.entity.add()
        entity.id = str(item.trip.pk)
        vp = entity.vehicle
        trip_descriptor_fill(vp.trip, item.trip, item.time_zone)
        _vehicle_fill(vp.vehicle, item.vehicle)
        fix = item.fix
        vp.position.latitude = fix.lat
        vp.position.longitude = fix.lon
        if fix.heading is not None:
            vp.position.bearing = fix.heading
        if fix.speed_kmh is not None:
            vp.position.speed = fix.speed_kmh / KMH_PER_MS
        vp.timestamp = int(fix.recorded_at.timestamp())
        status = item.status or {}
        if status.get("at_stop"):
            vp.current_stop_sequence = status["at_stop"]
            vp.current_status = gtfs_realtime_pb2.VehiclePosition.STOPPED_AT
        elif status.get("next_stop_sequence"):
            vp.current_stop_sequence = status["next_stop_sequence"]
            vp.current_status = gtfs_realtime_pb2.VehiclePosition.IN_TRANSIT_TO
    return message


def _moment(value) -> datetime | None:
    if not value:
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def trip_updates_feed(
    tracked: list[TrackedTrip], *, now: datetime | None = None
) -> gtfs_realtime_pb2.FeedMessage:
    """One TripUpdate per trip with a running status: the trip's delay, and per stop still
    ahead its expected arrival and departure (time and delay against the timetable). The
    expected departure is the expected arrival plus the timetabled dwell, never before
    the timetabled departure."""
    message = _message(now)
    for item in tracked:
        status = item.status
        if not status:
            continue
        entity = message.entity.add()
        entity.id = str(item.trip.pk)
        update = entity.trip_update
        trip_descriptor_fill(update.trip, item.trip, item.time_zone)
        _vehicle_fill(update.vehicle, item.vehicle)
        update.timestamp = int(item.fix.recorded_at.timestamp())
        if status.get("delay_seconds") is not None:
            update.delay = int(status["delay_seconds"])
        etas = {e["sequence"]: _moment(e.get("eta")) for e in status.get("etas") or []}
        leaves = item.trip.departure_at
        for stop in item.trip.route.stops.all():
            expected = etas.get(stop.sequence)
            if expected is None:
                continue
            stu = update.stop_time_update.add()
            stu.stop_sequence = stop.sequence
            stu.stop_id = gtfs_stop_id(stop.station.code)
            scheduled_arrival = (
                leaves + timedelta(minutes=stop.arrival_offset)
                if stop.arrival_offset is not None
                else None
            )
            if scheduled_arrival is not None:
                stu.arrival.time = int(expected.timestamp())
                stu.arrival.delay = int((expected - scheduled_arrival).total_seconds())
            if stop.departure_offset is not None:
                scheduled_departure = leaves + timedelta(minutes=stop.departure_offset)
                dwell = scheduled_departure - (scheduled_arrival or scheduled_departure)
                departs = max(expected + dwell, scheduled_departure)
                stu.departure.time = int(departs.timestamp())
                stu.departure.delay = int((departs - scheduled_departure).total_seconds())
    return message
