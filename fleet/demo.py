"""Demo data of the fleet app (`manage.py load_demo`), written for this project.

A rail operator with three real corridors (real station codes of the 2017 timetable, names
and approximate distances and times) in rupees; two Rwandan coach companies in francs on
Kigali–Musanze–Rubavu, Kigali–Huye and Kigali–Rusizi; a Nairobi matatu operator in
shillings on two corridors out of the CBD; their buses, drivers and the trips of the next 14
days, each bus trip given a bus and a driver free for it (`_rota`: nobody on two trips at
once). Idempotent: a second run finds everything and creates nothing but the trips of days
that have come into the 14.

`make run` loads the demo on every start, so the loader touches only its own objects, as it
left them: an operator's own routes, trips and vehicles (even in a demo company) are never
read for changing; a demo trip someone has changed keeps the change; staff roles are given
once, when the account or the demo company is made, and never reset.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ttms.accounts.models import Role, User
from ttms.accounts.services import user_create

from .demo_data import (
    BUS,
    BUS_OPERATORS,
    DEMO_DAYS,
    RAIL,
    RAIL_LAYOUTS,
    RAIL_STATIONS,
    RAIL_TRAINS,
    STAFF,
    TURNAROUND_MINUTES,
)
from .models import ALL_DAYS, Company, CompanyMembership, Route, Station, Trip, TripStatus, Vehicle
from .selectors import classes_by_vehicle
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
    """Load the demo operators, stations, fleet, routes, staff and 14 days of trips, and
    give each new bus trip a bus and a driver free for it."""
    password = password or settings.TTMS_DEMO_PASSWORD
    lines: list[str] = []
    rail, new_rail = _company(RAIL, lines)

    # Railway stations are shared by every operator (no company), as the importer makes them.
    rail_stations = _stations(RAIL_STATIONS, None, "Asia/Kolkata", lines, "rail")
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
    route_codes = {rail: [t[0] for t in RAIL_TRAINS]}

    stations: dict[str, Station] = {}
    operators = []  # (company, new, drivers' emails)
    for spec, station_rows, bus_rows, routes, drivers in BUS_OPERATORS:
        company, new_company = _company(spec, lines)
        stations |= _stations(station_rows, company, spec["time_zone"], lines, f"{company.slug}")
        buses = {}
        for code, name, cls, kind, rows in bus_rows:
            buses[code], new = _vehicle(
                company,
                code,
                name,
                Vehicle.Kind.BUS,
                [("BUS", travel_class_standard(code=cls), standard_layout(kind=kind, rows=rows))],
            )
            created_vehicles += new
        for code, number, name, departures, bus_code, stops in routes:
            created_routes += _route(
                company, code, number, name, departures, ALL_DAYS, stops, stations, buses[bus_code]
            )
        route_codes[company] = [r[0] for r in routes]
        operators.append((company, new_company, [email for email, _ in drivers]))
        given = 0
        for email, name in drivers:
            user, new_user = _user(email, name, Role.DRIVER, password, lines)
            given += _give_role(company, user, Role.DRIVER, new=new_user or new_company)
        lines.append(f"{company.slug}: driver memberships given: {given}")
    lines.append(f"vehicles: {created_vehicles} created; routes: {created_routes} created")

    bus, new_bus = next((c, n) for c, n, _ in operators if c.slug == BUS["slug"])
    given = 0
    for email, which, role in STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            lines.append(f"staff {email}: no such account (load the accounts demo first)")
            continue
        company, new_company = (bus, new_bus) if which == "bus" else (rail, new_rail)
        given += _give_role(company, user, role, new=new_company)
    lines.append(f"staff memberships given: {given}")

    today = timezone.localdate()
    last = today + timedelta(days=DEMO_DAYS - 1)
    demo_routes = Route.objects.none()
    for company, codes in route_codes.items():
        demo_routes |= Route.objects.filter(company=company, code__in=codes)
    report = trips_generate(start=today, end=last, routes=demo_routes)
    lines.append(f"trips for {today}..{last}: {report}")

    for company, _new, emails in operators:
        lines.append(_rota(company, demo_routes.filter(company=company), emails, today))
    return lines


def _rota(company: Company, routes, emails: list[str], today) -> str:
    """Give each demo trip of `routes` as the demo made it (no driver yet, never changed
    since: no event) a bus of the same classes and a driver of the demo's, in departure
    order, each free from its other trips (their times plus the turnaround: the demo's,
    or TTMS_TURNAROUND_MINUTES when longer, which `trip_update` enforces). The trip's own
    bus is kept when free; among free drivers, the one free the longest drives. A trip
    whose driver someone removed has an event; the operator's own routes are not the
    demo's. Returns the line saying what it did."""
    pending = list(
        Trip.objects.filter(
            route__in=routes,
            drivers__isnull=True,
            events__isnull=True,
            service_date__gte=today,
        )
        .exclude(status=TripStatus.CANCELLED)
        .select_related("route")
        .order_by("departure_at", "pk")
    )
    if not pending:
        return f"{company.slug}: bus trips given a bus and a driver: 0"
    driving = {
        u.email: u
        for u in User.objects.filter(
            email__in=emails,
            memberships__company=company,
            memberships__role=Role.DRIVER,
        )
    }
    drivers = [driving[email] for email in emails if email in driving]
    vehicles = list(Vehicle.objects.filter(company=company, is_active=True).order_by("code"))
    classes = classes_by_vehicle({v.pk for v in vehicles})
    gap = timedelta(minutes=max(TURNAROUND_MINUTES, settings.TTMS_TURNAROUND_MINUTES))
    busy: dict[tuple[str, int], list[tuple]] = {}
    pending_ids = {t.pk for t in pending}
    settled = (
        Trip.objects.filter(
            Q(vehicle__in=vehicles) | Q(drivers__in=drivers),
            arrival_at__gte=pending[0].departure_at - gap,
        )
        .exclude(status=TripStatus.CANCELLED)
        .exclude(pk__in=pending_ids)
        .distinct()
        .prefetch_related("drivers")
    )
    for trip in settled:
        span = (trip.departure_at, trip.arrival_at + gap)
        busy.setdefault(("vehicle", trip.vehicle_id), []).append(span)
        for driver in trip.drivers.all():
            busy.setdefault(("driver", driver.pk), []).append(span)

    # A trip still waiting its turn keeps the bus generation gave it until then: no other
    # trip takes that bus at its time meanwhile (`trip_update` would refuse).
    for trip in pending:
        if trip.vehicle_id is not None:
            span = (trip.departure_at, trip.arrival_at + gap)
            busy.setdefault(("vehicle", trip.vehicle_id), []).append(span)

    def free(key, start, end) -> bool:
        return all(end <= s or start >= e for s, e in busy.get(key, []))

    def last_end(driver) -> object:
        spans = busy.get(("driver", driver.pk), [])
        return max((e for _s, e in spans), default=pending[0].departure_at - timedelta(days=1))

    assigned = short = 0
    for trip in pending:
        start, end = trip.departure_at, trip.arrival_at + gap
        if trip.vehicle_id is not None:
            busy[("vehicle", trip.vehicle_id)].remove((start, end))
        # Generation leaves a run its route's bus cannot make without one.
        wanted = classes.get(trip.vehicle_id or trip.route.default_vehicle_id)
        candidates = sorted(
            (v for v in vehicles if classes.get(v.pk) == wanted),
            key=lambda v: (v.pk != trip.vehicle_id, v.code),
        )
        vehicle = next((v for v in candidates if free(("vehicle", v.pk), start, end)), None)
        available = [d for d in drivers if free(("driver", d.pk), start, end)]
        if vehicle is None or not available:
            if trip.vehicle_id is not None:
                busy[("vehicle", trip.vehicle_id)].append((start, end))
            short += 1
            continue
        driver = min(available, key=lambda d: (last_end(d), d.pk))
        trip_update(trip=trip, vehicle=vehicle, drivers=[driver], reason="demo rota")
        busy.setdefault(("vehicle", vehicle.pk), []).append((start, end))
        busy.setdefault(("driver", driver.pk), []).append((start, end))
        assigned += 1
    line = f"{company.slug}: bus trips given a bus and a driver: {assigned}"
    if short:
        line += f"; {short} left without (no bus or driver free)"
    return line
