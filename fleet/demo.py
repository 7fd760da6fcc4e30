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

from .models import (
    ALL_DAYS,
    Company,
    CompanyMembership,
    Route,
    SeatLayout,
    Station,
    Trip,
    Vehicle,
    Weekday,
)
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

DEMO_DAYS = 14

RAIL = {
    "slug": "indian-railways",
    "name": "Indian Railways",
    "kind": Company.Kind.RAIL,
    "time_zone": "Asia/Kolkata",
    "refund_policy": Company.RefundPolicy.IRCTC2015,
}
BUS = {
    "slug": "rwanda-intercity",
    "name": "Rwanda Intercity Coaches (demo)",
    "kind": Company.Kind.BUS,
    "time_zone": "Africa/Kigali",
    "refund_policy": Company.RefundPolicy.TIERED,
}

# code, name, latitude, longitude, region, aliases (renamed stations keep their old code in
# the 2017 timetable: ALD is now Prayagraj Jn PRYJ, MGS is Pt. Deen Dayal Upadhyaya Jn DDU).
RAIL_STATIONS = [
    ("NDLS", "New Delhi", 28.6429, 77.2191, "Delhi", ["Delhi"]),
    ("CNB", "Kanpur Central", 26.4538, 80.3515, "Uttar Pradesh", ["Cawnpore"]),
    ("ALD", "Allahabad Jn", 25.4449, 81.8246, "Uttar Pradesh", ["Prayagraj Jn", "PRYJ"]),
    (
        "MGS",
        "Mughal Sarai Jn",
        25.2819,
        83.1197,
        "Uttar Pradesh",
        ["Pt. Deen Dayal Upadhyaya Jn", "DDU"],
    ),
    ("GAYA", "Gaya Jn", 24.8016, 84.9994, "Bihar", []),
    ("DHN", "Dhanbad Jn", 23.7920, 86.4294, "Jharkhand", []),
    ("HWH", "Howrah Jn", 22.5839, 88.3425, "West Bengal", ["Kolkata", "Calcutta"]),
    ("KOTA", "Kota Jn", 25.2275, 75.8817, "Rajasthan", []),
    ("RTM", "Ratlam Jn", 23.3405, 75.0455, "Madhya Pradesh", []),
    ("BRC", "Vadodara Jn", 22.3104, 73.1812, "Gujarat", ["Baroda"]),
    ("ST", "Surat", 21.2056, 72.8403, "Gujarat", []),
    ("BCT", "Mumbai Central", 18.9696, 72.8196, "Maharashtra", ["Bombay Central"]),
    ("MAS", "Chennai Central", 13.0827, 80.2750, "Tamil Nadu", ["Madras Central"]),
    ("KPD", "Katpadi Jn", 12.9718, 79.1378, "Tamil Nadu", ["Vellore"]),
    ("SBC", "KSR Bengaluru City", 12.9780, 77.5697, "Karnataka", ["Bangalore City"]),
    ("MYS", "Mysuru Jn", 12.3164, 76.6456, "Karnataka", ["Mysore"]),
]

EXCEPT_WEDNESDAY = ALL_DAYS & ~Weekday.WEDNESDAY

# number, name, departure, days, coaches (code, class), stops (code, km, arrival, departure
# as minutes after the first departure).
RAIL_TRAINS = [
    (
        "12302",
        "New Delhi–Howrah Rajdhani Express",
        "16:55",
        ALL_DAYS,
        [("H1", "1A"), ("A1", "2A"), ("A2", "2A"), ("B1", "3A"), ("B2", "3A"), ("B3", "3A")],
        [
            ("NDLS", 0, None, 0),
            ("CNB", 440, 280, 285),
            ("ALD", 634, 415, 417),
            ("MGS", 787, 543, 553),
            ("GAYA", 990, 661, 663),
            ("DHN", 1187, 803, 808),
            ("HWH", 1451, 1020, None),
        ],
    ),
    (
        "12301",
        "Howrah–New Delhi Rajdhani Express",
        "16:50",
        ALL_DAYS,
        [("H1", "1A"), ("A1", "2A"), ("A2", "2A"), ("B1", "3A"), ("B2", "3A"), ("B3", "3A")],
        [
            ("HWH", 0, None, 0),
            ("DHN", 264, 197, 202),
            ("GAYA", 461, 335, 338),
            ("MGS", 664, 465, 475),
            ("ALD", 817, 584, 586),
            ("CNB", 1011, 709, 714),
            ("NDLS", 1451, 1030, None),
        ],
    ),
    (
        "12952",
        "Mumbai Rajdhani Express",
        "16:55",
        ALL_DAYS,
        [("H1", "1A"), ("A1", "2A"), ("B1", "3A"), ("B2", "3A")],
        [
            ("NDLS", 0, None, 0),
            ("KOTA", 465, 275, 285),
            ("RTM", 731, 460, 463),
            ("BRC", 991, 677, 687),
            ("ST", 1120, 778, 780),
            ("BCT", 1386, 940, None),
        ],
    ),
    (
        "12951",
        "Mumbai Rajdhani Express",
        "17:00",
        ALL_DAYS,
        [("H1", "1A"), ("A1", "2A"), ("B1", "3A"), ("B2", "3A")],
        [
            ("BCT", 0, None, 0),
            ("ST", 263, 158, 163),
            ("BRC", 392, 236, 246),
            ("RTM", 652, 445, 448),
            ("KOTA", 918, 630, 640),
            ("NDLS", 1386, 932, None),
        ],
    ),
    (
        "12007",
        "Chennai–Mysuru Shatabdi Express",
        "06:00",
        EXCEPT_WEDNESDAY,
        [("C1", "CC"), ("C2", "CC"), ("C3", "CC")],
        [
            ("MAS", 0, None, 0),
            ("KPD", 130, 83, 85),
            ("SBC", 359, 295, 300),
            ("MYS", 497, 420, None),
        ],
    ),
    (
        "12008",
        "Mysuru–Chennai Shatabdi Express",
        "14:15",
        EXCEPT_WEDNESDAY,
        [("C1", "CC"), ("C2", "CC"), ("C3", "CC")],
        [
            ("MYS", 0, None, 0),
            ("SBC", 138, 125, 135),
            ("KPD", 367, 311, 313),
            ("MAS", 497, 430, None),
        ],
    ),
]

RAIL_LAYOUTS = {
    "1A": SeatLayout.Kind.AC1,
    "2A": SeatLayout.Kind.AC2_48,
    "3A": SeatLayout.Kind.AC3,
    "CC": SeatLayout.Kind.CC,
}

BUS_STATIONS = [
    ("RW-NYB", "Kigali Nyabugogo Bus Park", -1.9393, 30.0445, "Kigali", ["Kigali", "Nyabugogo"]),
    ("RW-SHY", "Shyorongi", -1.8760, 30.0420, "Rulindo", []),
    ("RW-BAS", "Base", -1.7050, 29.9750, "Rulindo", ["Rulindo"]),
    ("RW-MUS", "Musanze", -1.4998, 29.6344, "Musanze", ["Ruhengeri"]),
    ("RW-MUK", "Mukamira", -1.6030, 29.5460, "Nyabihu", []),
    ("RW-RUB", "Rubavu", -1.7033, 29.2565, "Rubavu", ["Gisenyi"]),
    ("RW-KAM", "Kamonyi", -1.9890, 29.9600, "Kamonyi", ["Runda"]),
    ("RW-MUH", "Muhanga", -2.0845, 29.7566, "Muhanga", ["Gitarama"]),
    ("RW-RUH", "Ruhango", -2.2167, 29.7833, "Ruhango", []),
    ("RW-NYZ", "Nyanza", -2.3518, 29.7509, "Nyanza", []),
    ("RW-HUY", "Huye", -2.5967, 29.7394, "Huye", ["Butare"]),
]

# code, name, class, layout kind, rows
BUSES = [
    ("RAD 101 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 102 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 103 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 104 A", "Yutong ZK6122 (2+2)", "STANDARD", SeatLayout.Kind.BUS_2_2, 12),
    ("RAD 105 A", "Scania Touring VIP (2+1)", "VIP", SeatLayout.Kind.BUS_2_1, 10),
    ("RAD 106 A", "Scania Touring VIP (2+1)", "VIP", SeatLayout.Kind.BUS_2_1, 10),
]

_NORTH = [
    ("RW-NYB", 0),
    ("RW-SHY", 17),
    ("RW-BAS", 45),
    ("RW-MUS", 94),
    ("RW-MUK", 117),
    ("RW-RUB", 155),
]
_SOUTH = [
    ("RW-NYB", 0),
    ("RW-KAM", 23),
    ("RW-MUH", 50),
    ("RW-RUH", 77),
    ("RW-NYZ", 95),
    ("RW-HUY", 135),
]
# Minutes from the first departure to each later stop (arrival; departure 2 minutes later,
# 10 at Musanze and Muhanga where passengers change and drivers rest).
_NORTH_TIMES = [25, 60, 120, 155, 200]
_SOUTH_TIMES = [35, 65, 105, 125, 170]


def _bus_stops(path, times, long_halt):
    km_total = path[-1][1]
    stops = [(path[0][0], 0, None, 0)]
    for (code, km), arrival in zip(path[1:-1], times[:-1], strict=True):
        stops.append((code, km, arrival, arrival + (10 if code == long_halt else 2)))
    stops.append((path[-1][0], km_total, times[-1], None))
    return stops


def _reverse(path, times, long_halt):
    total_km, total_time = path[-1][1], times[-1]
    back = [(code, total_km - km) for code, km in reversed(path)]
    arrivals = [total_time - t for t in reversed([0, *times[:-1]])]
    return _bus_stops(back, arrivals, long_halt)


BUS_ROUTES = [
    (
        "RIC-101",
        "101",
        "Kigali – Musanze – Rubavu",
        "06:00 08:00 10:00 12:00 14:00 16:00",
        "RAD 101 A",
        _bus_stops(_NORTH, _NORTH_TIMES, "RW-MUS"),
    ),
    (
        "RIC-102",
        "102",
        "Rubavu – Musanze – Kigali",
        "06:00 08:00 10:00 12:00 14:00 16:00",
        "RAD 102 A",
        _reverse(_NORTH, _NORTH_TIMES, "RW-MUS"),
    ),
    (
        "RIC-201",
        "201",
        "Kigali – Muhanga – Huye",
        "06:30 09:30 12:30 15:30",
        "RAD 103 A",
        _bus_stops(_SOUTH, _SOUTH_TIMES, "RW-MUH"),
    ),
    (
        "RIC-202",
        "202",
        "Huye – Muhanga – Kigali",
        "06:30 09:30 12:30 15:30",
        "RAD 104 A",
        _reverse(_SOUTH, _SOUTH_TIMES, "RW-MUH"),
    ),
]

DRIVERS = [
    ("driver@example.com", "Dev Driver"),
    ("jean.habimana@example.com", "Jean Bosco Habimana"),
    ("aline.uwase@example.com", "Aline Uwase"),
    ("eric.niyonzima@example.com", "Eric Niyonzima"),
]

# Accounts of the accounts demo that work for a demo company.
STAFF = [
    ("company@example.com", "bus", Role.COMPANY_ADMIN),
    ("scheduler@example.com", "rail", Role.SCHEDULER),
    ("agent@example.com", "bus", Role.AGENT),
]


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
