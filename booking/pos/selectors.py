"""What a station agent's device needs to sell: the catalogue of the agent's companies' trips
leaving in the next hours, with their stops, fares and an availability snapshot."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from fleet.models import CompanyMembership, RouteStop, Station, Trip, TripStatus
from fleet.selectors import TripOption, classes_by_vehicle
from ttms.accounts.models import Role, User

from ..sales.selectors.availability import ClassAvailability, trips_availability, trips_refusals


@dataclass
class CatalogStop:
    station: Station
    sequence: int
    arrival_at: datetime | None  # aware UTC; None at the first stop
    departure_at: datetime | None  # aware UTC; None at the last stop


@dataclass
class CatalogJourney:
    """One (from, to) pair of a trip the device may sell, with each class's fares and
    availability for exactly those legs; `refusal` says why it cannot be sold now."""

    origin: Station
    destination: Station
    departure_at: datetime
    arrival_at: datetime
    classes: list[ClassAvailability] = field(default_factory=list)
    refusal: str = ""


@dataclass
class CatalogTrip:
    trip: Trip
    stops: list[CatalogStop]
    classes: list[str]
    journeys: list[CatalogJourney] = field(default_factory=list)


@dataclass
class Catalog:
    as_of: datetime
    hours: int
    trips: list[CatalogTrip]


def pos_catalog(*, agent: User, hours: int, now: datetime | None = None) -> Catalog:
    """The trips of `agent`'s companies (as a station agent) that leave a stop between
    `now` and `hours` later, soonest first, not cancelled: their stops with times, classes,
    and the journeys to sell with fares and availability as trip search counts them.

    Bounded: from the agent's home station for that company when it has one (to each later
    stop), else every pair of stops not yet left. Queries: memberships, trips, stops,
    classes, then six per round of `trips_availability` (one journey per trip per round:
    as many rounds as the longest trip has journeys)."""
    now = now or timezone.now()
    until = now + timedelta(hours=hours)
    homes = {
        company_id: home_id
        for company_id, home_id in CompanyMembership.objects.filter(
            user=agent, role=Role.AGENT
        ).values_list("company_id", "home_station_id")
    }
    if getattr(agent, "role", None) != Role.AGENT or not homes:
        return Catalog(as_of=now, hours=hours, trips=[])
    stops_by_route: dict[int, list[RouteStop]] = defaultdict(list)
    for stop in (
        RouteStop.objects.filter(route__company_id__in=list(homes), route__is_active=True)
        .select_related("station")
        .order_by("route_id", "sequence")
    ):
        stops_by_route[stop.route_id].append(stop)
    offsets = [
        s.departure_offset
        for stops in stops_by_route.values()
        for s in stops
        if s.departure_offset is not None
    ]
    if not offsets:
        return Catalog(as_of=now, hours=hours, trips=[])
    trips = (
        Trip.objects.filter(
            route_id__in=list(stops_by_route),
            departure_at__gte=now - timedelta(minutes=max(offsets)),
            departure_at__lte=until,
        )
        .exclude(status=TripStatus.CANCELLED)
        .select_related("route", "route__company", "vehicle")
        .order_by("departure_at", "pk")
    )
    trips = list(trips)
    classes = classes_by_vehicle({t.vehicle_id for t in trips if t.vehicle_id})
    found: list[tuple[datetime, CatalogTrip, list[TripOption]]] = []
    for trip in trips:
        stops = stops_by_route[trip.route_id]
        home = homes.get(trip.route.company_id)
        at = {
            s.sequence: (
                trip.departure_at + timedelta(minutes=s.arrival_offset)
                if s.arrival_offset is not None
                else None,
                trip.departure_at + timedelta(minutes=s.departure_offset)
                if s.departure_offset is not None
                else None,
            )
            for s in stops
        }
        boarding = [
            s
            for s in stops
            if at[s.sequence][1] is not None
            and now <= at[s.sequence][1] <= until
            and (home is None or s.station_id == home)
        ]
        if not boarding:
            continue
        trip_classes = classes.get(trip.vehicle_id, [])
        options = [
            TripOption(
                trip=trip,
                origin=origin.station,
                destination=destination.station,
                departure_at=at[origin.sequence][1],
                arrival_at=at[destination.sequence][0],
                distance_km=destination.distance_km - origin.distance_km,
                origin_sequence=origin.sequence,
                destination_sequence=destination.sequence,
                classes=trip_classes,
            )
            for origin in boarding
            for destination in stops
            if destination.sequence > origin.sequence and at[destination.sequence][0] is not None
        ]
        if not options:
            continue
        entry = CatalogTrip(
            trip=trip,
            stops=[CatalogStop(s.station, s.sequence, *at[s.sequence]) for s in stops],
            classes=trip_classes,
        )
        found.append((min(o.departure_at for o in options), entry, options))
    found.sort(key=lambda row: (row[0], row[1].trip.route.number, row[1].trip.pk))
    _fill_journeys([(entry, options) for _at, entry, options in found], now=now)
    return Catalog(as_of=now, hours=hours, trips=[entry for _at, entry, _o in found])


def _fill_journeys(rows: list[tuple[CatalogTrip, list[TripOption]]], *, now: datetime) -> None:
    """Each trip's journeys with their availability: `trips_availability` counts one journey
    per trip at a time, so the i-th journeys of every trip go in round i."""
    rounds = max((len(options) for _entry, options in rows), default=0)
    for i in range(rounds):
        batch = [(entry, options[i]) for entry, options in rows if i < len(options)]
        picked = [option for _entry, option in batch]
        available = trips_availability(picked)
        refusals = trips_refusals(picked, now=now)
        for entry, option in batch:
            entry.journeys.append(
                CatalogJourney(
                    origin=option.origin,
                    destination=option.destination,
                    departure_at=option.departure_at,
                    arrival_at=option.arrival_at,
                    classes=available.get(entry.trip.pk, []),
                    refusal=str(refusals.get(entry.trip.pk, "")),
                )
            )
