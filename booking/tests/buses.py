"""A Rwandan bus operator's trip for the page tests: Volcano Express (RWF, kind BUS, the
bus defaults: General only, no RAC, no waiting list), Kigali – Musanze – Rubavu, one 2+2
coach of 10 rows (41 seats, the back row of five), 25 RWF a km."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fleet.models import Company, Trip
from fleet.services import standard_layout, travel_class_standard, vehicle_create
from fleet.tests.factories import CompanyFactory, StationFactory, make_route

from ..models import FareRule

KIGALI = ZoneInfo("Africa/Kigali")
BUS_DEPARTURE = datetime(2030, 1, 7, 8, 0, tzinfo=KIGALI)
RAILWAY_WORDS = (
    "RAC",
    "Tatkal",
    "berth",
    "Berth",
    "Ladies",
    "Senior",
    "Foreign tourist",
    "waitlist",
    "Waitlist",
    "waiting list",
    "WL ",
    "Coach",
    "STANDARD",
    "₹",
)


def make_rwanda_bus(*, departure: datetime = BUS_DEPARTURE, layout=("BUS22", 10)) -> Trip:
    company = CompanyFactory(
        kind=Company.Kind.BUS,
        name="Volcano Express",
        slug="volcano-express",
        time_zone="Africa/Kigali",
        currency="RWF",
    )
    stations = [
        StationFactory(code=code, name=name, city=city, time_zone="Africa/Kigali")
        for code, name, city in [
            ("KGL", "Kigali Nyabugogo", "Kigali"),
            ("MSZ", "Musanze", "Musanze"),
            ("RBV", "Rubavu", "Gisenyi"),
        ]
    ]
    route = make_route(
        company,
        [(stations[0], 0, None, 0), (stations[1], 100, 120, 130), (stations[2], 160, 210, None)],
        code="VE1",
        name="Kigali Rubavu",
    )
    kind, rows = layout
    vehicle = vehicle_create(
        company=company,
        code="RAD 123 B",
        kind="bus",
        coaches=[
            ("C1", travel_class_standard(code="STANDARD"), standard_layout(kind=kind, rows=rows))
        ],
    )
    FareRule.objects.create(
        company=company, class_code="STANDARD", rate_per_km=25, minimum_fare=500
    )
    return Trip.objects.create(
        route=route,
        service_date=departure.date(),
        departure_at=departure,
        arrival_at=departure + timedelta(minutes=210),
        vehicle=vehicle,
    )
