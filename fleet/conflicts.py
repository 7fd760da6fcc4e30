"""Assignment conflicts, the read side: which trips a vehicle or a driver would be on at once.

Two trips conflict when neither is cancelled, they share the vehicle or a driver, and their
times overlap once the turnaround (TTMS_TURNAROUND_MINUTES) is added to each arrival:
A leaves before B's arrival plus the turnaround, and B leaves before A's arrival plus it.
`assignment_conflicts` answers for one assignment about to be made (the services lock the
vehicle and drivers first: `fleet.services.assignments.assignment_check`);
`assignment_conflicts_existing` and `trips_in_conflict` find the ones already in the
timetable (the `trip_conflicts` command, the trip admin's "assignment conflict" filter).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from ttms.localtime import local_datetime

from .models import Company, RouteStop, Trip, TripStatus

VEHICLE, DRIVER = "vehicle", "driver"

TripDriver = Trip.drivers.through


def turnaround() -> timedelta:
    """The least time between a vehicle's or driver's arrival and their next departure."""
    return timedelta(minutes=settings.TTMS_TURNAROUND_MINUTES)


def _origin_zone() -> Subquery:
    """The time zone of a trip's first stop (the zone its departure is read in)."""
    return Subquery(
        RouteStop.objects.filter(route=OuterRef("route"))
        .order_by("sequence")
        .values("station__time_zone")[:1]
    )


@dataclass(frozen=True)
class Conflict:
    """One reason an assignment is refused: `who` (a vehicle's code or a driver's name,
    as `kind` says) is already on the trip `trip_id`, route `number`, leaving at
    `departure_at` and arriving at `arrival_at` (read in `zone`, its first stop's)."""

    kind: str
    who: str
    trip_id: int
    number: str
    departure_at: datetime
    arrival_at: datetime
    zone: str

    @property
    def message(self) -> str:
        names = {
            "who": self.who,
            "number": self.number,
            "departure": local_datetime(self.departure_at, self.zone),
            "arrival": local_datetime(self.arrival_at, self.zone),
            "minutes": settings.TTMS_TURNAROUND_MINUTES,
        }
        if self.kind == VEHICLE:
            text = _(
                "Vehicle {who} is already on trip {number} leaving {departure} and arriving "
                "{arrival}; a vehicle needs {minutes} minutes between trips."
            )
        else:
            text = _(
                "Driver {who} already drives trip {number} leaving {departure} and arriving "
                "{arrival}; a driver needs {minutes} minutes between trips."
            )
        return text.format(**names)


def _overlapping(departure_at: datetime, arrival_at: datetime) -> Q:
    gap = turnaround()
    return Q(departure_at__lt=arrival_at + gap, arrival_at__gt=departure_at - gap)


def assignment_conflicts(
    *,
    vehicle=None,
    drivers: Iterable = (),
    departure_at: datetime,
    arrival_at: datetime,
    exclude_trip_id: int | None = None,
) -> list[Conflict]:
    """The trips (not cancelled, other than `exclude_trip_id`) that `vehicle` or any of
    `drivers` is on between `departure_at` and `arrival_at`, the turnaround added on both
    sides; the vehicle's first, then each driver's, each in departure order. Empty: free.

    One query (the vehicle's and the drivers' trips, by their indexes, within the times).
    Reads without locking: a service about to assign holds the vehicle's and drivers' row
    locks first (`fleet.locks.lock_assignees`), so what it reads stays true until it
    commits.
    """
    drivers = {d.pk: d for d in drivers}
    whose = Q(vehicle=vehicle) if vehicle is not None else Q()
    if drivers:
        whose |= Q(drivers__in=list(drivers))
    if not whose:
        return []
    trips = (
        Trip.objects.filter(whose, _overlapping(departure_at, arrival_at))
        .exclude(status=TripStatus.CANCELLED)
        .annotate(zone=_origin_zone())
    )
    if exclude_trip_id is not None:
        trips = trips.exclude(pk=exclude_trip_id)
    # A row per (trip, driver of it), the driver join shared with the filter's.
    rows = trips.values_list(
        "pk",
        "route__number",
        "departure_at",
        "arrival_at",
        "zone",
        "route__company__time_zone",
        "vehicle_id",
        "drivers",
    ).order_by("departure_at", "pk")
    found: dict[tuple, Conflict] = {}
    for pk, number, leaves, arrives, zone, company_zone, vehicle_id, driver_id in rows:
        trip = {
            "trip_id": pk,
            "number": number,
            "departure_at": leaves,
            "arrival_at": arrives,
            "zone": zone or company_zone,
        }
        if vehicle is not None and vehicle_id == vehicle.pk:
            found.setdefault((0, 0, pk), Conflict(kind=VEHICLE, who=vehicle.code, **trip))
        if driver_id in drivers:
            name = drivers[driver_id].full_name or drivers[driver_id].email
            found.setdefault((1, driver_id, pk), Conflict(kind=DRIVER, who=name, **trip))
    # Vehicle first; then the drivers in the order given; each in departure order (the
    # rows' order, which dicts keep).
    order = {pk: i for i, pk in enumerate(drivers)}
    return [found[k] for k in sorted(found, key=lambda k: (k[0], order.get(k[1], 0)))]


def _vehicle_overlap() -> Exists:
    gap = turnaround()
    return Exists(
        Trip.objects.filter(
            vehicle_id=OuterRef("vehicle_id"),
            departure_at__lt=OuterRef("arrival_at") + gap,
            arrival_at__gt=OuterRef("departure_at") - gap,
        )
        .exclude(pk=OuterRef("pk"))
        .exclude(status=TripStatus.CANCELLED)
    )


def _driver_overlap() -> Exists:
    gap = turnaround()
    # A driver of this trip (the outer one) also drives another trip at the same time.
    others = (
        TripDriver.objects.filter(
            user_id=OuterRef("user_id"),
            trip__departure_at__lt=OuterRef("trip__arrival_at") + gap,
            trip__arrival_at__gt=OuterRef("trip__departure_at") - gap,
        )
        .exclude(trip_id=OuterRef("trip_id"))
        .exclude(trip__status=TripStatus.CANCELLED)
    )
    return Exists(
        TripDriver.objects.filter(trip_id=OuterRef("pk")).filter(Exists(others)),
    )


def trips_in_conflict(trips: QuerySet[Trip], *, kind: str | None = None) -> QuerySet[Trip]:
    """Those of `trips` (not cancelled) that share their vehicle (`kind` VEHICLE), a driver
    (DRIVER) or either (None) with another trip at an overlapping time."""
    trips = trips.exclude(status=TripStatus.CANCELLED)
    if kind == VEHICLE:
        return trips.filter(_vehicle_overlap(), vehicle__isnull=False)
    if kind == DRIVER:
        return trips.filter(_driver_overlap())
    return trips.filter(Q(_vehicle_overlap(), vehicle__isnull=False) | Q(_driver_overlap()))


@dataclass(frozen=True)
class ExistingConflict:
    """Two trips of the timetable that share `who` (a vehicle or a driver, as `kind`
    says) at overlapping times, `first` leaving no later than `second`."""

    kind: str
    who: str
    first: Trip
    second: Trip


def assignment_conflicts_existing(
    *, companies: Iterable[Company] | QuerySet[Company], since: datetime | None = None
) -> list[ExistingConflict]:
    """The pairs of trips of `companies` that share a vehicle or a driver at overlapping
    times (neither cancelled), in the first trip's departure order; with `since`, only
    trips still running or to come then (arriving after `since` less the turnaround).

    Two queries: the trips in conflict (each with its drivers), the rest paired here.
    """
    trips = Trip.objects.filter(route__company__in=companies)
    if since is not None:
        trips = trips.filter(arrival_at__gt=since - turnaround())
    flagged = list(
        trips_in_conflict(trips)
        .select_related("route", "route__company", "vehicle")
        .prefetch_related("drivers")
        .annotate(zone=_origin_zone())
        .order_by("departure_at", "pk")
    )
    gap = turnaround()
    pairs: list[tuple] = []
    groups: dict[tuple, list[Trip]] = {}
    for trip in flagged:
        if trip.vehicle_id is not None:
            groups.setdefault((VEHICLE, trip.vehicle_id), []).append(trip)
        for driver in trip.drivers.all():
            groups.setdefault((DRIVER, driver.pk), []).append(trip)
    for (kind, who_pk), group in groups.items():
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                # Sorted by departure: `second` leaves no earlier than `first`, so they
                # overlap iff it leaves before `first` arrives plus the turnaround.
                if second.departure_at >= first.arrival_at + gap:
                    break
                if kind == VEHICLE:
                    who = first.vehicle.code
                else:
                    driver = next(d for d in first.drivers.all() if d.pk == who_pk)
                    who = driver.full_name or driver.email
                pairs.append(ExistingConflict(kind=kind, who=who, first=first, second=second))
    pairs.sort(key=lambda c: (c.first.departure_at, c.first.pk, c.second.departure_at, c.kind))
    return pairs


def trip_zone(trip: Trip) -> str:
    """The zone a trip's departure is read in: its first stop's (annotated as `zone` by
    these reads), else its operator's."""
    return getattr(trip, "zone", None) or trip.route.company.time_zone
