"""Demo data of the fleet app (`manage.py load_demo`), written for this project.

A rail operator with three real corridors (real station codes of the 2017 timetable, names
and approximate distances and times) and a Rwandan bus company on Kigali–Musanze–Rubavu and
Kigali–Huye with intermediate stops, buses, drivers and the trips of the next 14 days.
Idempotent: a second run finds everything and creates nothing but the trips of days that
have come into the 14.

`make run` loads the demo on every start, so the loader touches only its own objects, as it
left them: an operator's own routes, trips and vehicles (even in a demo company) are never
read for changing; a demo trip someone has changed keeps the change; staff roles are given
once, when the account or the demo company is made, and never reset.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from ttms.accounts.models import Role, User
from ttms.accounts.services import user_create

from .demo_data import (
    BUS,
    BUS_ROUTES,
    BUS_STATIONS,
    BUSES,
    DEMO_DAYS,
    DRIVERS,
    RAIL,
    RAIL_LAYOUTS,
    RAIL_STATIONS,
    RAIL_TRAINS,
    STAFF,
)
from .models import ALL_DAYS, Company, CompanyMembership, Route, Station, Trip, Vehicle
from .services import (
    membership_set,
    route_create,
    standard_layout,
    station_upsert,
    travel_class_standard,
    trip_update,
    trips_generate,
    vehicle_create,
)


def _company(spec: dict, lines: list[str]) -> tuple[Company, bool]:
    company, created = Company.objects.get_or_create(
        slug=spec["slug"], defaults={k: v for k, v in spec.items() if k != "slug"}
    )
    lines.append(f"company {company.slug}: {'created' if created else 'exists'}")
    return company, created


def _stations(rows, company, time_zone, lines, label) -> dict[str, Station]:
    stations, created = {}, 0
    for code, name, lat, lon, region, aliases in rows:
        existing = Station.objects.filter(code=code).first()
        if existing is None:
            created += 1
            existing = station_upsert(
                code=code,
                name=name,
                time_zone=time_zone,
                latitude=lat,
                longitude=lon,
                region=region,
                company=company,
                aliases=aliases,
            )
        stations[code] = existing
    lines.append(f"{label} stations: {created} created, {len(rows) - created} exist")
    return stations


def _vehicle(company, code, name, kind, coaches) -> tuple[Vehicle, bool]:
    vehicle = Vehicle.objects.filter(company=company, code=code).first()
    if vehicle is not None:
        return vehicle, False
    return vehicle_create(company=company, code=code, kind=kind, name=name, coaches=coaches), True


def _route(company, code, number, name, departures, days, stops, stations, vehicle):
    if Route.objects.filter(company=company, code=code).exists():
        return False
    route_create(
        company=company,
        code=code,
        number=number,
        name=name,
        departure_times=departures,
        running_days=days,
        default_vehicle=vehicle,
        stops=[(stations[c], km, arr, dep) for c, km, arr, dep in stops],
    )
    return True


def _user(email, name, role, password, lines) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user, False
    user = user_create(email=email, password=password, full_name=name, role=role)
    lines.append(f"user {email} ({role}): created")
    return user, True


def _give_role(company: Company, user: User | None, role: str, *, new: bool) -> bool:
    """Make a demo account staff of a demo company, only when one of them is new (made in
    this run) and the account has that role and no membership there yet: a role an
    operator has changed or taken away since stays as they left it."""
    if (
        not new
        or user is None
        or user.role != role
        or CompanyMembership.objects.filter(company=company, user=user).exists()
    ):
        return False
    membership_set(company=company, user=user, role=role)
    return True


def demo_load(*, password: str | None = None) -> list[str]:
    """Load the demo operators, stations, fleet, routes, staff and 14 days of trips."""
    password = password or settings.TTMS_DEMO_PASSWORD
    lines: list[str] = []
    (rail, new_rail), (bus, new_bus) = _company(RAIL, lines), _company(BUS, lines)

    # Railway stations are shared by every operator (no company), as the importer makes them.
    rail_stations = _stations(RAIL_STATIONS, None, "Asia/Kolkata", lines, "rail")
    bus_stations = _stations(BUS_STATIONS, bus, "Africa/Kigali", lines, "bus")

    created_vehicles = created_routes = 0
    for number, name, departure, days, coaches, stops in RAIL_TRAINS:
        vehicle, new = _vehicle(
            rail,
            f"RAKE-{number}",
            name,
            Vehicle.Kind.TRAIN,
            [
                (code, travel_class_standard(code=cls), standard_layout(kind=RAIL_LAYOUTS[cls]))
                for code, cls in coaches
            ],
        )
        created_vehicles += new
        created_routes += _route(
            rail, number, number, name, departure, days, stops, rail_stations, vehicle
        )
    buses = {}
    for code, name, cls, kind, rows in BUSES:
        buses[code], new = _vehicle(
            bus,
            code,
            name,
            Vehicle.Kind.BUS,
            [("BUS", travel_class_standard(code=cls), standard_layout(kind=kind, rows=rows))],
        )
        created_vehicles += new
    for code, number, name, departures, bus_code, stops in BUS_ROUTES:
        created_routes += _route(
            bus, code, number, name, departures, ALL_DAYS, stops, bus_stations, buses[bus_code]
        )
    lines.append(f"vehicles: {created_vehicles} created; routes: {created_routes} created")

    given = 0
    for email, name in DRIVERS:
        user, new_user = _user(email, name, Role.DRIVER, password, lines)
        given += _give_role(bus, user, Role.DRIVER, new=new_user or new_bus)
    for email, which, role in STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            lines.append(f"staff {email}: no such account (load the accounts demo first)")
            continue
        company, new_company = (bus, new_bus) if which == "bus" else (rail, new_rail)
        given += _give_role(company, user, role, new=new_company)
    lines.append(f"memberships given: {given}")
    # The rota takes the demo drivers who still drive for the demo company, in their order.
    driving = {
        u.email: u
        for u in User.objects.filter(
            email__in=[email for email, _ in DRIVERS],
            memberships__company=bus,
            memberships__role=Role.DRIVER,
        )
    }
    drivers = [driving[email] for email, _ in DRIVERS if email in driving]

    today = timezone.localdate()
    demo_routes = Route.objects.filter(
        company__in=[rail, bus], code__in=[t[0] for t in RAIL_TRAINS] + [r[0] for r in BUS_ROUTES]
    )
    report = trips_generate(
        start=today, end=today + timedelta(days=DEMO_DAYS - 1), routes=demo_routes
    )
    lines.append(f"trips for {today}..{today + timedelta(days=DEMO_DAYS - 1)}: {report}")

    # One driver per trip of the demo's bus routes, in turn, for the trips as the demo made
    # them: not yet given a driver and never changed since (no event). A trip whose driver
    # someone removed has an event, and the operator's own routes are not the demo's.
    unassigned = (
        Trip.objects.filter(
            route__in=demo_routes.filter(company=bus),
            drivers__isnull=True,
            events__isnull=True,
            service_date__gte=today,
        )
        .select_related("route__company")
        .order_by("departure_at", "pk")
    )
    assigned = 0
    for index, trip in enumerate(unassigned if drivers else []):
        trip_update(trip=trip, drivers=[drivers[index % len(drivers)]], reason="demo rota")
        assigned += 1
    lines.append(f"bus trips given a driver: {assigned}")
    return lines
