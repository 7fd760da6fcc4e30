"""Writes of the fleet app: seats from layouts, trip status and edits, trip generation.

Every function is keyword-only, runs in one `transaction.atomic` and raises
`fleet.exceptions` refusals (or Django's ValidationError for a bad field) with messages a
user can read. Interfaces (admin, API, commands) check who may act on which company;
services check the rules of the domain.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from ttms.accounts.models import Role
from ttms.audit.services import audit_changes, audit_record, audit_values

from .exceptions import InvalidStatusTransition, RouteInService, TripLocked, VehicleInService
from .layouts import STANDARD_LAYOUTS, LayoutError, build_seats, layout_seats
from .locks import lock_trip
from .models import (
    ALL_DAYS,
    Coach,
    Company,
    CompanyMembership,
    Route,
    RouteException,
    RouteStop,
    Seat,
    SeatLayout,
    Station,
    StationAlias,
    TravelClass,
    Trip,
    TripEvent,
    TripStatus,
    Vehicle,
)
from .sales import seats_on_sale, seats_sold
from .text import fold_name

Status = TripStatus

# code, name, sleeper, rank: the shared classes (also seeded by migration 0003).
STANDARD_CLASSES = [
    ("1A", "AC First Class", True, 10),
    ("2A", "AC 2 Tier", True, 20),
    ("3A", "AC 3 Tier", True, 30),
    ("FC", "First Class", True, 35),
    ("CC", "AC Chair Car", False, 40),
    ("SL", "Sleeper", True, 50),
    ("2S", "Second Sitting", False, 60),
    ("VIP", "VIP", False, 70),
    ("STANDARD", "Standard", False, 80),
]

# The status machine: SCHEDULED -> BOARDING -> DEPARTED -> ARRIVED, CANCELLED before leaving.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SCHEDULED: frozenset({Status.BOARDING, Status.CANCELLED}),
    Status.BOARDING: frozenset({Status.DEPARTED, Status.CANCELLED}),
    Status.DEPARTED: frozenset({Status.ARRIVED}),
    Status.ARRIVED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# Trips "on the way": their route and vehicle must not change under them.
IN_SERVICE = (Status.BOARDING, Status.DEPARTED)

_UNSET = object()

# Once the booking app sells a trip's seats, fleet alone can neither cancel the trip (its
# passengers would keep their money in limbo) nor move it to another vehicle (the seats
# sold are the vehicle's): these point to the booking app's operations that do both.
TRIP_CANCEL_NEEDED = (
    "Seats of this trip are on sale; cancel it with the trip cancellation "
    '("Cancel" in the admin, POST operator/trips/<id>/status/ in the API), '
    "which also cancels and refunds its bookings."
)
VEHICLE_SWAP_NEEDED = (
    "Seats of this trip are already sold on its vehicle; change it with a "
    'vehicle swap ("Swap vehicle" in the admin, POST '
    "operator/trips/<id>/vehicle/ in the API), which moves the passengers "
    "to the new vehicle's seats."
)


# --- Layouts, classes, vehicles --------------------------------------------------------------


def travel_class_standard(*, code: str) -> TravelClass:
    """The shared travel class `code` (one of STANDARD_CLASSES), created if it was deleted."""
    defaults = {c: (name, sleeper, rank) for c, name, sleeper, rank in STANDARD_CLASSES}
    if code not in defaults:
        raise ValueError(f"{code!r} is not a standard travel class.")
    name, sleeper, rank = defaults[code]
    with transaction.atomic():
        travel_class, _ = TravelClass.objects.get_or_create(
            company=None, code=code, defaults={"name": name, "is_sleeper": sleeper, "rank": rank}
        )
    return travel_class


def standard_layout(*, kind: str, rows: int | None = None) -> SeatLayout:
    """The shared seat layout of this kind (and row count, for buses), created if missing."""
    with transaction.atomic():
        layout = SeatLayout.objects.filter(company=None, kind=kind, rows=rows).first()
        if layout is None:
            name = next((n for n, k, r in STANDARD_LAYOUTS if k == kind and r == rows), None)
            if name is None:
                seats = len(build_seats(kind, rows=rows))
                name = f"{SeatLayout.Kind(kind).label.split(' (')[0]}, {rows} rows ({seats})"
            layout = SeatLayout.objects.create(company=None, kind=kind, rows=rows, name=name)
    return layout


def vehicle_check_editable(*, vehicle_id: int) -> None:
    """Raise VehicleInService while a trip of the vehicle is boarding or on its way: its
    passengers sit on its seats, so the seats must not be rebuilt under them. One query."""
    if Trip.objects.filter(vehicle_id=vehicle_id, status__in=IN_SERVICE).exists():
        raise VehicleInService()


def coach_build_seats(*, coach: Coach, layout: SeatLayout | None = None) -> list[Seat]:
    """Replace the seats of `coach` with those of `layout` (default: the coach's own layout).

    Refuses (VehicleInService) while the coach's vehicle is on a trip; raises ValidationError
    when there is no layout or it cannot be built. Returns the new seats.
    """
    layout = layout or coach.layout
    if layout is None:
        raise ValidationError({"layout": "Choose a seat layout to build the seats from."})
    try:
        specs = layout_seats(layout)
    except LayoutError as exc:
        raise ValidationError({"layout": str(exc)}) from exc
    with transaction.atomic():
        vehicle_check_editable(vehicle_id=coach.vehicle_id)
        coach.seats.all().delete()
        if coach.layout_id != layout.pk:
            coach.layout = layout
            coach.save(update_fields=["layout"])
        return Seat.objects.bulk_create(
            Seat(
                coach=coach,
                number=s.number,
                berth_type=s.berth_type,
                is_rac=s.is_rac,
                row=s.row,
                column=s.column,
            )
            for s in specs
        )


def vehicle_create(
    *,
    company: Company,
    code: str,
    kind: str,
    name: str = "",
    coaches: Iterable[tuple[str, TravelClass, SeatLayout]] = (),
) -> Vehicle:
    """A vehicle with its coaches, each given the seats of its layout.

    `coaches` are (code, travel class, layout) in rake order. Raises ValidationError for a
    duplicate code or a travel class of another company.
    """
    with transaction.atomic():
        if Vehicle.objects.filter(company=company, code=code).exists():
            raise ValidationError({"code": f"{company} already has a vehicle {code}."})
        vehicle = Vehicle.objects.create(company=company, code=code, kind=kind, name=name)
        for position, (coach_code, travel_class, layout) in enumerate(coaches, start=1):
            if travel_class.company_id not in (None, company.pk):
                raise ValidationError({"coaches": f"{travel_class} belongs to another company."})
            coach = Coach.objects.create(
                vehicle=vehicle,
                code=coach_code,
                travel_class=travel_class,
                layout=layout,
                position=position,
            )
            coach_build_seats(coach=coach, layout=layout)
    return vehicle


def membership_set(*, company: Company, user, role: str) -> CompanyMembership:
    """Make `user` staff of `company` in `role` (company admin, scheduler, driver, agent)."""
    if role not in CompanyMembership.STAFF_ROLES:
        raise ValidationError({"role": f"{role!r} is not a staff role of a company."})
    with transaction.atomic():
        membership, _ = CompanyMembership.objects.update_or_create(
            company=company, user=user, defaults={"role": role}
        )
    return membership


# The company's rules an admin edits (not `created_at`): each change is audited.
COMPANY_AUDITED_FIELDS = [
    "name",
    "slug",
    "kind",
    "time_zone",
    "commission_bp",
    "refund_policy",
    "refund_tiers",
    "quota_distribution",
    "charting_offset_minutes",
    "is_active",
]


def company_save(*, company: Company, by) -> Company:
    """Save `company` as edited (its form has validated it) and audit it: "company.created"
    with its values, or "company.changed" with each changed field's [before, after]
    (nothing when nothing changed). Compares under the company row's no-key lock, so two
    saves at once each record what they changed."""
    with transaction.atomic():
        old = None
        if company.pk is not None:
            old = Company.objects.select_for_update(no_key=True).filter(pk=company.pk).first()
        before = old and audit_values(instance=old, fields=COMPANY_AUDITED_FIELDS)
        company.save()
        after = audit_values(instance=company, fields=COMPANY_AUDITED_FIELDS)
        if before is None:
            audit_record(actor=by, action="company.created", target=company, data=after)
        elif changes := audit_changes(before=before, after=after):
            audit_record(actor=by, action="company.changed", target=company, data=changes)
    return company


# --- Stations -------------------------------------------------------------------------------------


def station_upsert(
    *,
    code: str,
    name: str,
    time_zone: str,
    latitude: float | None = None,
    longitude: float | None = None,
    city: str = "",
    region: str = "",
    company: Company | None = None,
    aliases: Iterable[str] = (),
) -> Station:
    """Create the station `code` or update its fields; add the aliases it lacks.

    Validates the fields (ValidationError). The code is upper-cased; a station of another
    company is never taken over (ValidationError on code).
    """
    code = code.strip().upper()
    with transaction.atomic():
        station = Station.objects.select_for_update().filter(code=code).first()
        if station is not None and station.company_id not in (None, getattr(company, "pk", None)):
            raise ValidationError({"code": f"{code} is a station of another operator."})
        station = station or Station(code=code)
        station.name, station.time_zone, station.city, station.region = (
            name,
            time_zone,
            city,
            region,
        )
        station.latitude, station.longitude, station.company = latitude, longitude, company
        station.full_clean(validate_unique=False)
        station.save()
        have = set(station.aliases.values_list("search_name", flat=True))
        for alias in aliases:
            folded = fold_name(alias)
            if folded and folded not in have and folded != station.search_name:
                StationAlias.objects.create(station=station, name=alias, search_name=folded)
                have.add(folded)
    return station


# --- Routes -------------------------------------------------------------------------------------


def route_create(
    *,
    company: Company,
    code: str,
    number: str,
    name: str,
    departure_times: str,
    stops: list[tuple[Station, float, int | None, int | None]],
    running_days: int = ALL_DAYS,
    valid_from: date | None = None,
    valid_to: date | None = None,
    default_vehicle: Vehicle | None = None,
) -> Route:
    """A route with its stops, given as (station, km from the first stop, arrival offset,
    departure offset) in order; offsets in minutes after the first departure.

    Validates the route's fields and its stops (route_stops_validate): ValidationError.
    """
    stop_rows = [
        {
            "sequence": i,
            "station": station,
            "distance_km": Decimal(str(km)),
            "arrival_offset": arrival,
            "departure_offset": departure,
        }
        for i, (station, km, arrival, departure) in enumerate(stops, start=1)
    ]
    route_stops_validate(stop_rows)
    if default_vehicle is not None and default_vehicle.company_id != company.pk:
        raise ValidationError({"default_vehicle": "Choose a vehicle of this company."})
    route = Route(
        company=company,
        code=code,
        number=number,
        name=name,
        departure_times=departure_times,
        running_days=running_days,
        valid_from=valid_from,
        valid_to=valid_to,
        default_vehicle=default_vehicle,
    )
    route.full_clean()
    with transaction.atomic():
        route.save()
        RouteStop.objects.bulk_create(RouteStop(route=route, **row) for row in stop_rows)
    return route


def route_check_editable(*, route: Route) -> None:
    """Raise RouteInService while a trip of `route` is boarding or on its way: its times come
    from the route's stops, so they must not move under it."""
    if route.pk and Trip.objects.filter(route=route, status__in=IN_SERVICE).exists():
        raise RouteInService()


def route_stops_validate(stops: list[dict]) -> None:
    """Check one route's stops, given in sequence order as dicts of RouteStop fields.

    The first stop needs a departure, the last an arrival, the others both; times and
    distances never go backwards. Raises ValidationError naming the stop at fault.
    """
    if len(stops) < 2:
        raise ValidationError("A route needs at least two stops.")
    previous_time, previous_distance = -1, -1
    for index, stop in enumerate(stops):
        label = f"Stop {stop.get('sequence', index + 1)}"
        arrival, departure = stop.get("arrival_offset"), stop.get("departure_offset")
        if index == 0 and departure is None:
            raise ValidationError(f"{label}: the first stop needs a departure time.")
        if index == len(stops) - 1 and arrival is None:
            raise ValidationError(f"{label}: the last stop needs an arrival time.")
        if 0 < index < len(stops) - 1 and (arrival is None or departure is None):
            raise ValidationError(f"{label}: an intermediate stop needs both times.")
        if index == 0 and departure != 0:
            raise ValidationError(
                f"{label}: times count from the first stop's departure, "
                "so its departure offset is 0."
            )
        for value in (arrival, departure):
            if value is None:
                continue
            if value < previous_time:
                raise ValidationError(
                    f"{label}: times must not go backwards ({value} min after {previous_time} min)."
                )
            previous_time = value
        distance = stop.get("distance_km") or 0
        if distance < previous_distance:
            raise ValidationError(f"{label}: the distance must not decrease.")
        previous_distance = distance


# --- Trip status and edits ------------------------------------------------------------------------


def _local(trip: Trip, moment: datetime) -> str:
    tz = ZoneInfo(trip.route.company.time_zone)
    return timezone.localtime(moment, tz).strftime("%d %b %Y %H:%M")


def trip_locked_message(trip: Trip) -> str:
    """What a user is told when they try to change a departed, arrived or cancelled trip."""
    label = f"Trip {trip.route.number} of {trip.service_date:%d %b %Y}"
    when = _local(trip, trip.status_changed_at or trip.departure_at)
    if trip.status == Status.CANCELLED:
        return f"{label} was cancelled on {when}; a cancelled trip can no longer be changed."
    if trip.status == Status.ARRIVED:
        return f"{label} arrived on {when}; a completed trip can no longer be changed."
    return f"{label} departed on {when}; a departed trip can no longer be changed."


def _event(
    trip: Trip,
    *,
    action: str,
    by,
    reason: str = "",
    from_status: str = "",
    to_status: str = "",
    details: dict | None = None,
) -> None:
    TripEvent.objects.create(
        trip=trip,
        action=action,
        by=by if getattr(by, "pk", None) else None,
        reason=reason[:300],
        from_status=from_status,
        to_status=to_status,
        details=details or {},
    )


def trip_transition(*, trip: Trip, to_status: str, by=None, reason: str = "") -> Trip:
    """Move a trip along SCHEDULED -> BOARDING -> DEPARTED -> ARRIVED, or cancel it before it
    departs. Cancelling needs a reason (passengers are told).

    Locks the trip row, re-checks its status inside the lock and records a
    TripEvent. Raises TripLocked once the trip has departed (except to mark it arrived),
    arrived or been cancelled; InvalidStatusTransition for any other move the machine does
    not allow, and for cancelling a trip whose seats are on sale (the booking app's
    `trip_cancel` closes them and refunds every booking, then calls this); ValidationError
    for an unknown status or a missing reason.
    """
    if to_status not in Status.values:
        raise ValidationError({"status": f"{to_status!r} is not a trip status."})
    reason = (reason or "").strip()
    if to_status == Status.CANCELLED and not reason:
        raise ValidationError({"reason": "Say why the trip is cancelled; passengers are told."})
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        current = locked.status
        if to_status not in TRANSITIONS[current]:
            if locked.is_locked:
                raise TripLocked(trip_locked_message(locked))
            allowed = ", ".join(Status(s).label.lower() for s in sorted(TRANSITIONS[current]))
            raise InvalidStatusTransition(
                f"A {Status(current).label.lower()} trip cannot become "
                f"{Status(to_status).label.lower()}; it can become: {allowed}."
            )
        # Seats on sale mean passengers who would be left unrefunded.
        if to_status == Status.CANCELLED and seats_on_sale(trip_id=locked.pk):
            raise InvalidStatusTransition(TRIP_CANCEL_NEEDED)
        locked.status = to_status
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at"])
        _event(
            locked, action="status", by=by, reason=reason, from_status=current, to_status=to_status
        )
        audit_record(
            actor=by,
            action="trip.cancelled" if to_status == Status.CANCELLED else "trip.status_changed",
            target=locked,
            data={"from": current, "to": to_status, "reason": reason},
        )
    return locked


def trip_start_boarding(*, trip: Trip, by=None) -> Trip:
    return trip_transition(trip=trip, to_status=Status.BOARDING, by=by)


def trip_depart(*, trip: Trip, by=None) -> Trip:
    return trip_transition(trip=trip, to_status=Status.DEPARTED, by=by)


def trip_arrive(*, trip: Trip, by=None) -> Trip:
    return trip_transition(trip=trip, to_status=Status.ARRIVED, by=by)


def trip_mark_cancelled(*, trip: Trip, by=None, reason: str) -> Trip:
    return trip_transition(trip=trip, to_status=Status.CANCELLED, by=by, reason=reason)


# The way a trip runs, in order (cancelling leaves it).
WAY = [Status.SCHEDULED, Status.BOARDING, Status.DEPARTED, Status.ARRIVED]


def trip_advance(*, trip: Trip, to_status: str, via: tuple[str, ...] = (), by=None) -> Trip:
    """Move a trip forward to `to_status`, through the statuses `via` first, skipping any
    step the trip has reached or passed: asked again (a retry over a flaky network, two
    taps), it changes nothing. Decided under the trip's row lock; anything else the status
    machine refuses as `trip_transition` does (TripLocked, InvalidStatusTransition)."""
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        for status in (*via, to_status):
            if locked.status in WAY and WAY.index(locked.status) >= WAY.index(status):
                continue
            locked = trip_transition(trip=locked, to_status=status, by=by)
    return locked


def _check_drivers(company_id: int, drivers: list) -> None:
    driver_ids = {d.pk for d in drivers}
    members = set(
        CompanyMembership.objects.filter(
            company_id=company_id,
            role=Role.DRIVER,
            user_id__in=driver_ids,
        ).values_list("user_id", flat=True)
    )
    # One message whatever the ids are: naming them would tell staff who else has an account.
    if driver_ids - members:
        raise ValidationError({"drivers": _("Not a driver of this company.")})


def trip_update(*, trip: Trip, by=None, vehicle=_UNSET, drivers=_UNSET, reason: str = "") -> Trip:
    """Change the vehicle and/or drivers of a trip that has not departed.

    Locks the trip row; refuses with TripLocked once it has departed, arrived or been
    cancelled. The vehicle must be an active one of the route's company, the drivers its
    drivers (ValidationError otherwise). Records what changed as a TripEvent.

    The vehicle of a trip that has sold seats (its seat inventory exists) is not changed
    here (ValidationError on vehicle): the booking app's vehicle swap moves the passengers
    to the new vehicle's seats and then calls `trip_vehicle_set`.
    """
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        if locked.is_locked:
            raise TripLocked(trip_locked_message(locked))
        company_id = locked.route.company_id
        details = {}
        if (
            vehicle is not _UNSET
            and vehicle is not None
            and (vehicle.company_id != company_id or not vehicle.is_active)
        ):
            raise ValidationError({"vehicle": "Choose an active vehicle of this company."})
        if drivers is not _UNSET:
            drivers = list(drivers)
            _check_drivers(company_id, drivers)
        if vehicle is not _UNSET and (vehicle.pk if vehicle else None) != locked.vehicle_id:
            # Seats sold belong to the current vehicle.
            if seats_sold(trip_id=locked.pk):
                raise ValidationError({"vehicle": VEHICLE_SWAP_NEEDED})
            details["vehicle"] = [locked.vehicle_id, vehicle.pk if vehicle else None]
            locked.vehicle = vehicle
            locked.save(update_fields=["vehicle"])
        if drivers is not _UNSET:
            before = set(locked.drivers.values_list("pk", flat=True))
            after = {d.pk for d in drivers}
            if before != after:
                details["drivers"] = [sorted(before), sorted(after)]
                locked.drivers.set(drivers)
        if details:
            _event(locked, action="update", by=by, reason=reason, details=details)
            audit_record(
                actor=by, action="trip.updated", target=locked, data={**details, "reason": reason}
            )
    return locked


def trip_vehicle_set(
    *, trip: Trip, vehicle: Vehicle, by=None, reason: str = "", details: dict | None = None
) -> Trip:
    """Put `vehicle` on a trip that has not departed and record it (a TripEvent
    "vehicle_swap" whose details hold the vehicles before and after, plus `details`).

    For the booking app's vehicle swap, which moves the trip's seat inventory in the same
    transaction, holding the trip's row lock; everything else changes vehicles through
    `trip_update`, which refuses once seats are sold. Locks the trip row (again:
    re-entrant in one transaction); raises TripLocked once the trip has departed, arrived
    or been cancelled, ValidationError when `vehicle` is not an active one of the route's
    company.
    """
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        if locked.is_locked:
            raise TripLocked(trip_locked_message(locked))
        if vehicle.company_id != locked.route.company_id or not vehicle.is_active:
            raise ValidationError({"vehicle": "Choose an active vehicle of this company."})
        before = locked.vehicle_id
        locked.vehicle = vehicle
        locked.save(update_fields=["vehicle"])
        _event(
            locked,
            action="vehicle_swap",
            by=by,
            reason=reason,
            details={"vehicle": [before, vehicle.pk], **(details or {})},
        )
        audit_record(
            actor=by,
            action="trip.vehicle_swapped",
            target=locked,
            data={"vehicle": [before, vehicle.pk], "reason": reason, **(details or {})},
        )
    return locked


def trip_delete(*, trip: Trip, by=None) -> None:
    """Delete a trip that has not departed (a mistake of planning; cancel it instead once
    passengers may hold tickets). Raises TripLocked once it has departed or ended."""
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        if locked.is_locked:
            raise TripLocked(trip_locked_message(locked))
        audit_record(
            actor=by,
            action="trip.deleted",
            target=locked,
            data={
                "route": locked.route.number,
                "service_date": locked.service_date.isoformat(),
                "departure_at": locked.departure_at.isoformat(),
            },
        )
        locked.delete()


# --- Trip generation ------------------------------------------------------------------------


@dataclass
class GenerationReport:
    routes: int = 0
    created: int = 0
    existing: int = 0

    def __str__(self) -> str:
        return f"{self.routes} routes: {self.created} trips created, {self.existing} already there"


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
        raise ValidationError({"end": "The range ends before it starts."})
    if (end - start).days > 400:
        raise ValidationError({"end": "Generate at most 400 days at a time."})
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
