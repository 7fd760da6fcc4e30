"""An operator's GTFS-Realtime VehiclePositions feed, fed through the publish path a
driver's phone uses (`tracking.services.publish`), with source "feed".

Each entity is matched to a trip of the operator: its trip_id is the code of a route
`import_gtfs` made (one per GTFS trip); an entity naming only a route_id matches the routes
whose number is that route_id (their route_short_name, when it equals the route_id, as is
common). Among the trips of those routes the one named by start_date and start_time is
taken; else the trip the vehicle already reported on; else, among the trips not claimed by
another vehicle of the feed, the one running at the fix's time that left last, else the
next to leave within an hour; a trip_id alone names its next run even when it leaves later
(a vehicle laying over at its terminal), whose fixes are then refused until it is due.

An AVL feed is authoritative that a vehicle runs: a SCHEDULED trip due to leave within
`BOARDING_WINDOW` (or already due) is moved to BOARDING through fleet's status service; the
trip then takes fixes, and its first departure from a stop moves it on to DEPARTED.
"""

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from google.protobuf.message import DecodeError
from google.transit import gtfs_realtime_pb2

from fleet.exceptions import InvalidStatusTransition, TripLocked
from fleet.models import Company, Route, Trip, TripStatus, Vehicle
from fleet.services import departure_at, trip_transition, vehicle_create

from ..exceptions import FixRefused
from ..fixes import fix_parse
from ..models import FixSource
from ..services.publish import fix_broadcast, fix_publish, trip_info_get
from ..store import position_store

BOARDING_WINDOW = timedelta(hours=1)
# A run late by this much past its timetabled arrival may still be the one reporting.
LATE_WINDOW = timedelta(hours=2)
# How far ahead the run a feed names by trip_id alone is looked for.
NAMED_RUN_HORIZON = timedelta(hours=12)
KMH_PER_MS = 3.6


class FeedUnreadable(Exception):
    """The bytes are not a GTFS-Realtime FeedMessage."""


@dataclass
class FeedImport:
    """What happened to each entity of one feed read."""

    entities: int = 0
    accepted: int = 0
    refused: Counter = field(default_factory=Counter)
    unknown_trip: int = 0
    no_position: int = 0
    boarding: int = 0
    matched: dict[str, int] = field(default_factory=dict)  # entity id -> trip id
    refusals: dict[str, str] = field(default_factory=dict)  # entity id -> refusal code

    def lines(self) -> list[str]:
        lines = [
            _(
                "{entities} entities: {accepted} accepted, {refused} refused, "
                "{unknown} unknown trip, {no_position} without a position"
            ).format(
                entities=self.entities,
                accepted=self.accepted,
                refused=sum(self.refused.values()),
                unknown=self.unknown_trip,
                no_position=self.no_position,
            )
        ]
        for code, count in sorted(self.refused.items()):
            lines.append(_("  refused ({code}): {count}").format(code=code, count=count))
        if self.boarding:
            lines.append(_("{count} scheduled trips moved to boarding").format(count=self.boarding))
        return lines


def feed_parse(data: bytes) -> gtfs_realtime_pb2.FeedMessage:
    message = gtfs_realtime_pb2.FeedMessage()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise FeedUnreadable(_("Not a GTFS-Realtime feed: {error}").format(error=exc)) from None
    if not message.HasField("header"):
        raise FeedUnreadable(_("Not a GTFS-Realtime feed: it has no header."))
    return message


class _Matcher:
    def __init__(self, company: Company):
        self.company = company
        self.claimed: set[int] = set()
        self.routes: dict[tuple[str, str], list[Route]] = {}

    def _routes(self, trip_id: str, route_id: str) -> list[Route]:
        key = (trip_id, route_id)
        if key not in self.routes:
            routes = Route.objects.filter(company=self.company)
            if trip_id:
                routes = routes.filter(code=trip_id)
            elif route_id:
                routes = routes.filter(number=route_id)
            else:
                routes = routes.none()
            self.routes[key] = list(routes)
        return self.routes[key]

    def trip(self, descriptor, vehicle: Vehicle | None, when: datetime) -> Trip | None:
        routes = self._routes(descriptor.trip_id, descriptor.route_id)
        if not routes:
            return None
        trips = Trip.objects.filter(route__in=routes).select_related("route")
        if descriptor.start_date:
            try:
                day = datetime.strptime(descriptor.start_date, "%Y%m%d").date()
            except ValueError:
                day = None
            if day is not None:
                trips = trips.filter(service_date=day)
                named = self._named(trips, descriptor.start_time, day)
                if named is not None:
                    return self._claim(named)
        window = trips.filter(
            departure_at__lte=when + BOARDING_WINDOW, arrival_at__gte=when - LATE_WINDOW
        ).exclude(status__in=[TripStatus.CANCELLED, TripStatus.ARRIVED])
        candidates = [t for t in window.order_by("-departure_at") if t.pk not in self.claimed]
        if not candidates and descriptor.trip_id:
            # A vehicle laying over before the run it names: that run, though not yet due.
            upcoming = trips.filter(
                departure_at__gt=when, departure_at__lte=when + NAMED_RUN_HORIZON
            ).exclude(status__in=[TripStatus.CANCELLED, TripStatus.ARRIVED])
            candidates = [t for t in upcoming.order_by("departure_at") if t.pk not in self.claimed]
            return self._claim(candidates[0]) if candidates else None
        if not candidates:
            return None
        if vehicle is not None:
            store = position_store()
            for trip in candidates:
                last = store.latest(trip.pk)
                if last is not None and last.vehicle_id == vehicle.pk:
                    return self._claim(trip)
        running = [t for t in candidates if t.departure_at <= when]
        if running:
            return self._claim(running[0])
        return self._claim(min(candidates, key=lambda t: t.departure_at))

    def _named(self, trips, start_time: str, day: date) -> Trip | None:
        if not start_time:
            found = list(trips[:2])
            return found[0] if len(found) == 1 else None
        try:
            hours, minutes, seconds = (int(p) for p in start_time.split(":"))
        except ValueError:
            return None
        for trip in trips:
            first = trip.route.stops.select_related("station").order_by("sequence").first()
            if first is None:
                continue
            tz = ZoneInfo(first.station.time_zone)
            leaves = departure_at(day, hours * 60 + minutes, tz) + timedelta(seconds=seconds)
            if trip.departure_at == leaves:
                return trip
        return None

    def _claim(self, trip: Trip) -> Trip:
        self.claimed.add(trip.pk)
        return trip


def _vehicle_code(descriptor) -> str:
    return (descriptor.id or descriptor.label or descriptor.license_plate).strip()[:40]


def _vehicle_create(company: Company, descriptor) -> Vehicle:
    """The operator's vehicle the feed names, created (without coaches) the first time."""
    kind = Vehicle.Kind.TRAIN if company.kind == Company.Kind.RAIL else Vehicle.Kind.BUS
    return vehicle_create(
        company=company,
        code=_vehicle_code(descriptor),
        kind=kind,
        name=(descriptor.label or "").strip()[:120],
    )


def _board_if_due(trip: Trip, when: datetime) -> bool:
    if trip.status != TripStatus.SCHEDULED or trip.departure_at - when > BOARDING_WINDOW:
        return False
    try:
        trip_transition(
            trip=trip,
            to_status=TripStatus.BOARDING,
            reason=_("The operator's GTFS-Realtime feed reports its vehicle."),
        )
    except (InvalidStatusTransition, TripLocked):
        return False
    return True


def feed_import(
    *, company: Company, message: gtfs_realtime_pb2.FeedMessage, now: datetime | None = None
) -> FeedImport:
    """Publish each VehiclePosition of `message` to the trip of `company` it matches (see
    the module docstring). A fix is timed by the entity's timestamp, else the header's,
    else `now`. Refusals (FixRefused codes, "invalid" for a fix out of range) are counted,
    never raised; nothing is written for an entity that matches no trip."""
    now = now or timezone.now()
    result = FeedImport()
    matcher = _Matcher(company)
    for entity in message.entity:
        if not entity.HasField("vehicle"):
            continue
        result.entities += 1
        vp = entity.vehicle
        if not vp.HasField("position"):
            result.no_position += 1
            continue
        stamp = vp.timestamp or message.header.timestamp
        when = datetime.fromtimestamp(stamp, tz=UTC) if stamp else now
        code = _vehicle_code(vp.vehicle) if vp.HasField("vehicle") else ""
        vehicle = Vehicle.objects.filter(company=company, code=code).first() if code else None
        trip = matcher.trip(vp.trip, vehicle, when)
        if trip is None:
            result.unknown_trip += 1
            continue
        result.matched[entity.id] = trip.pk
        data = {
            "lat": vp.position.latitude,
            "lon": vp.position.longitude,
            "recorded_at": when.isoformat(),
        }
        if vp.position.HasField("bearing"):
            data["heading"] = vp.position.bearing % 360
        if vp.position.HasField("speed"):
            data["speed_kmh"] = vp.position.speed * KMH_PER_MS
        try:
            fix = fix_parse(trip_id=trip.pk, data=data, source=FixSource.FEED)
        except ValidationError:
            result.refused["invalid"] += 1
            result.refusals[entity.id] = "invalid"
            continue
        if code and vehicle is None:
            vehicle = _vehicle_create(company, vp.vehicle)
        fix = replace(fix, vehicle_id=vehicle.pk if vehicle else None)
        if _board_if_due(trip, when):
            result.boarding += 1
        try:
            published = fix_publish(trip=trip_info_get(trip.pk), fix=fix, now=now)
        except FixRefused as exc:
            result.refused[exc.code] += 1
            result.refusals[entity.id] = exc.code
            continue
        async_to_sync(fix_broadcast)(published)
        result.accepted += 1
    return result
