"""Read-side queries of the fleet app: company scoping, station lookup, trip search."""

import difflib
import time as clock
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Model, Q, QuerySet
from django.utils.translation import gettext

from ttms.accounts.models import Role

from .models import (
    Coach,
    Company,
    CompanyMembership,
    Route,
    RouteStop,
    Station,
    StationAlias,
    Trip,
    TripStatus,
    Vehicle,
)
from .text import fold_name

# --- Company scoping ----------------------------------------------------------------------------

# Membership roles that may change a company's timetable and fleet (in admin and API).
EDITOR_ROLES = frozenset({Role.COMPANY_ADMIN, Role.SCHEDULER})


def company_ids_for_user(user) -> set[int] | None:
    """Ids of the companies whose data `user` may see; None means every company.

    A platform admin (or superuser) sees everything; anyone else sees the companies they hold
    a staff membership of, which for passengers is none.
    """
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser or user.role == Role.PLATFORM_ADMIN:
        return None
    return set(user.memberships.values_list("company_id", flat=True))


def editable_company_ids(user) -> set[int] | None:
    """Ids of the companies whose timetable and fleet `user` may change; None: every one."""
    ids = company_ids_for_user(user)
    if ids is None:
        return None
    return set(
        CompanyMembership.objects.filter(user=user, role__in=EDITOR_ROLES).values_list(
            "company_id", flat=True
        )
    )


def company_editor_ids(company_id: int) -> list[int]:
    """Ids of the users who run `company_id`'s timetable and fleet (its admins and
    schedulers): those told of what needs an operator's hand. One query."""
    return list(
        CompanyMembership.objects.filter(company_id=company_id, role__in=EDITOR_ROLES)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def companies_for_user(user) -> QuerySet[Company]:
    ids = company_ids_for_user(user)
    companies = Company.objects.all()
    return companies if ids is None else companies.filter(pk__in=ids)


def company_path(model: type[Model]) -> str:
    """The lookup from `model` to its Company (the model's `company_path`, else "company")."""
    return getattr(model, "company_path", "company")


def is_company_scoped(model: type[Model]) -> bool:
    if hasattr(model, "company_path"):
        return True
    return any(f.name == "company" for f in model._meta.get_fields())


def scope_queryset(
    queryset: QuerySet, ids: set[int] | None, *, include_shared: bool = True
) -> QuerySet:
    """Rows of `queryset` belonging to the companies `ids` (None: every row). Rows without a
    company are included for models that share them (`company_shared_when_null`)."""
    if ids is None:
        return queryset
    model = queryset.model
    path = company_path(model)
    condition = Q(**{f"{path}__in": ids})
    if include_shared and getattr(model, "company_shared_when_null", False):
        condition |= Q(**{f"{path}__isnull": True})
    return queryset.filter(condition)


def trips_for_user(user) -> QuerySet[Trip]:
    """The trips `user` may see as operator staff, newest service date last."""
    return scope_queryset(
        Trip.objects.select_related("route", "route__company", "vehicle").prefetch_related(
            "drivers"
        ),
        company_ids_for_user(user),
    )


def trip_get_for_user(user, pk: int) -> Trip:
    """A trip the user may see; Trip.DoesNotExist (a 404, not a 403) otherwise, so that
    staff of one company cannot learn which ids another company's trips have."""
    return trips_for_user(user).get(pk=pk)


def vehicles_for_user(user) -> QuerySet[Vehicle]:
    return scope_queryset(
        Vehicle.objects.select_related("company").prefetch_related("coaches__travel_class"),
        company_ids_for_user(user),
    )


def routes_for_user(user) -> QuerySet[Route]:
    return scope_queryset(
        Route.objects.select_related("company", "default_vehicle").prefetch_related(
            "stops__station"
        ),
        company_ids_for_user(user),
    )


# --- Station lookup -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StationMatch:
    station: Station
    match: str  # code, code_prefix, name_prefix, alias, word, fuzzy


_FUZZY_TTL = 300.0
_fuzzy_cache: dict[str, object] = {"expires": 0.0, "names": {}}


def _fuzzy_names() -> dict[str, set[int]]:
    """Folded names, aliases and codes -> station ids; rebuilt every few minutes. A per-process
    cache of public data: a stale entry only makes a fuzzy suggestion a little late."""
    now = clock.monotonic()
    if _fuzzy_cache["expires"] < now:
        names: dict[str, set[int]] = {}
        for pk, code, name in Station.objects.values_list("pk", "code", "search_name"):
            names.setdefault(name, set()).add(pk)
            names.setdefault(code, set()).add(pk)
        for pk, name in StationAlias.objects.values_list("station_id", "search_name"):
            names.setdefault(name, set()).add(pk)
        _fuzzy_cache.update(expires=now + _FUZZY_TTL, names=names)
    return _fuzzy_cache["names"]


def station_names_cache_clear() -> None:
    """Forget the fuzzy-match names (tests; after a bulk import in the same process)."""
    _fuzzy_cache.update(expires=0.0, names={})


def station_lookup(*, query: str, limit: int = 10) -> list[StationMatch]:
    """Stations matching what a passenger typed, best first: the exact code, then codes,
    names and aliases starting with it, then names with a word starting with it, then (only
    when those leave room) names that look alike (typos)."""
    raw = (query or "").strip().upper()
    folded = fold_name(query or "")
    if not folded:
        return []
    found: dict[int, StationMatch] = {}

    def add(queryset, match):
        if len(found) >= limit:
            return
        for station in queryset.exclude(pk__in=list(found))[: limit - len(found)]:
            found[station.pk] = StationMatch(station, match)

    stations = Station.objects.all()
    # Busier stations first among equal matches: "Howrah" means HOWRAH JN, not HOWRAH GOODS.
    busiest = stations.annotate(calls=Count("route_stops")).order_by("-calls", "code")
    add(stations.filter(code=raw), "code")
    add(busiest.filter(code__startswith=raw), "code_prefix")
    add(busiest.filter(search_name__startswith=folded), "name_prefix")
    add(
        busiest.filter(
            pk__in=StationAlias.objects.filter(search_name__startswith=folded).values("station_id")
        ),
        "alias",
    )
    add(
        busiest.filter(
            Q(search_name__contains=f" {folded}")
            | Q(
                pk__in=StationAlias.objects.filter(search_name__contains=f" {folded}").values(
                    "station_id"
                )
            )
        ),
        "word",
    )
    if not found:
        # Nothing starts with what was typed: suggest names that look alike (typos).
        names = _fuzzy_names()
        close = difflib.get_close_matches(folded, names.keys(), n=limit, cutoff=0.75)
        ids = [pk for name in close for pk in sorted(names[name])]
        by_id = Station.objects.in_bulk(ids)
        for pk in ids:
            if len(found) < limit and pk in by_id and pk not in found:
                found[pk] = StationMatch(by_id[pk], "fuzzy")
    return list(found.values())


def station_get_by_code(code: str) -> Station:
    """The station with this code (case-insensitive); Station.DoesNotExist otherwise."""
    return Station.objects.get(code=(code or "").strip().upper())


# --- Trip search ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TripOption:
    """One trip a passenger can take from `origin` to `destination`, times at those stops."""

    trip: Trip
    origin: Station
    destination: Station
    departure_at: datetime  # leaves the passenger's origin (aware, UTC)
    arrival_at: datetime  # reaches the passenger's destination (aware, UTC)
    distance_km: Decimal
    origin_sequence: int
    destination_sequence: int
    classes: list[str] = field(default_factory=list)

    @property
    def duration(self) -> timedelta:
        return self.arrival_at - self.departure_at

    @property
    def local_departure(self) -> datetime:
        return self.departure_at.astimezone(self.origin.tzinfo)

    @property
    def local_arrival(self) -> datetime:
        return self.arrival_at.astimezone(self.destination.tzinfo)


@dataclass(frozen=True)
class _Leg:
    origin_sequence: int
    departure_offset: int
    origin_km: Decimal
    destination_sequence: int
    arrival_offset: int
    destination_km: Decimal


def _legs(origin: Station, destination: Station) -> dict[int, _Leg]:
    """Per route calling at `origin` and later at `destination`, the stops to use: if a route
    calls twice at one of them (loops), the shortest ride."""
    # order_by(): the models' default orderings would join routes and companies for nothing.
    origin_rows = list(
        RouteStop.objects.filter(
            station=origin,
            departure_offset__isnull=False,
            route__is_active=True,
        )
        .order_by()
        .values_list("route_id", "sequence", "departure_offset", "distance_km")
    )
    if not origin_rows:
        return {}
    destination_rows = (
        RouteStop.objects.filter(
            station=destination,
            arrival_offset__isnull=False,
            route_id__in=RouteStop.objects.filter(station=origin).order_by().values("route_id"),
        )
        .order_by()
        .values_list("route_id", "sequence", "arrival_offset", "distance_km")
    )
    arrivals: dict[int, list[tuple]] = {}
    for route_id, sequence, offset, km in destination_rows:
        arrivals.setdefault(route_id, []).append((sequence, offset, km))
    legs: dict[int, _Leg] = {}
    for route_id, sequence, offset, km in origin_rows:
        later = [a for a in arrivals.get(route_id, ()) if a[0] > sequence]
        if not later:
            continue
        d_sequence, d_offset, d_km = min(later)
        leg = _Leg(sequence, offset, km, d_sequence, d_offset, d_km)
        best = legs.get(route_id)
        if best is None or (
            leg.destination_sequence - leg.origin_sequence
            < best.destination_sequence - best.origin_sequence
        ):
            legs[route_id] = leg
    return legs


def _day_bounds(day: date, station: Station) -> tuple[datetime, datetime]:
    tz = station.tzinfo
    start = datetime.combine(day, time(), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=tz)
    return start, end


def trip_search_refusal(*, origin: Station, destination: Station) -> str | None:
    """Why no trip goes from `origin` to `destination` whatever the date (the same station
    twice), or None. `trip_search` finds nothing then; the search page and the API show
    this message at the destination. Reads nothing."""
    if origin.pk == destination.pk:
        return gettext("Choose a destination other than the origin.")
    return None


def trip_search(*, origin: Station, destination: Station, travel_date: date) -> list[TripOption]:
    """Trips from `origin` to `destination` (any stops of a route, in that order) that leave
    `origin` on `travel_date` in `origin`'s time zone, earliest first.

    The date is the boarding date, as on the Indian Railways site: a train that left its
    first station the day before counts when it calls at `origin` on `travel_date`.
    Cancelled trips are left out; none is found for a pair `trip_search_refusal` refuses.
    Three queries: the legs, the trips, their classes.
    """
    if trip_search_refusal(origin=origin, destination=destination):
        return []
    legs = _legs(origin, destination)
    if not legs:
        return []
    start, end = _day_bounds(travel_date, origin)
    offsets = [leg.departure_offset for leg in legs.values()]
    candidates = (
        Trip.objects.filter(
            route_id__in=list(legs),
            departure_at__gt=start - timedelta(minutes=max(offsets) + 1),
            departure_at__lt=end - timedelta(minutes=min(offsets)),
        )
        .exclude(status=TripStatus.CANCELLED)
        .select_related("route", "route__company", "vehicle")
        .order_by()
    )
    options = []
    for trip in candidates:
        leg = legs[trip.route_id]
        leaves = trip.departure_at + timedelta(minutes=leg.departure_offset)
        if not start <= leaves < end:
            continue
        options.append((trip, leg, leaves))
    classes = classes_by_vehicle({s.vehicle_id for s, _, _ in options if s.vehicle_id})
    results = [
        TripOption(
            trip=trip,
            origin=origin,
            destination=destination,
            departure_at=leaves,
            arrival_at=trip.departure_at + timedelta(minutes=leg.arrival_offset),
            distance_km=leg.destination_km - leg.origin_km,
            origin_sequence=leg.origin_sequence,
            destination_sequence=leg.destination_sequence,
            classes=classes.get(trip.vehicle_id, []),
        )
        for trip, leg, leaves in options
    ]
    results.sort(key=lambda option: (option.departure_at, option.trip.route.number))
    return results


def classes_by_vehicle(vehicle_ids: set[int]) -> dict[int, list[str]]:
    """Per vehicle, the codes of its coaches' classes, best class first: one query."""
    if not vehicle_ids:
        return {}
    classes: dict[int, list[str]] = {}
    rows = (
        Coach.objects.filter(vehicle_id__in=vehicle_ids)
        .values_list("vehicle_id", "travel_class__code", "travel_class__rank")
        .distinct()
        .order_by("vehicle_id", "travel_class__rank", "travel_class__code")
    )
    for vehicle_id, code, _rank in rows:
        if code not in classes.setdefault(vehicle_id, []):
            classes[vehicle_id].append(code)
    return classes
