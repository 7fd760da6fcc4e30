"""Trips ready to book, and passengers with money, for the booking tests."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fleet.models import Company, Trip
from fleet.services import standard_layout, travel_class_standard, vehicle_create
from fleet.tests.factories import CompanyFactory, StationFactory, make_route
from payments.tests.factories import fund_wallet
from ttms.accounts.tests.factories import UserFactory

from ..sales.services.create import PassengerIn

IST = ZoneInfo("Asia/Kolkata")
# Where each class's coaches come from (fleet.layouts kinds).
LAYOUTS = {
    "SL": "SL",
    "3A": "3A",
    "2A": "2A48",
    "1A": "1A",
    "CC": "CC",
    "STANDARD": ("BUS22", 10),
    "VIP": ("BUS21", 10),
}


def rail_company(**kwargs) -> Company:
    return CompanyFactory(kind=Company.Kind.RAIL, **kwargs)


def make_trip(
    *,
    company: Company | None = None,
    coaches=(("S1", "SL"),),
    stops: int = 4,
    departure: datetime = datetime(2030, 1, 7, 8, 0, tzinfo=IST),
    km_per_leg: int = 100,
    code_prefix: str = "ST",
) -> Trip:
    """A trip on a route of `stops` stations (codes ST1, ST2, ...), `km_per_leg` apart and
    an hour apart (5 minutes' halt), by a rake of `coaches` (code, class)."""
    company = company or rail_company()
    stations = [
        StationFactory(code=f"{code_prefix}{i}", name=f"Station {code_prefix}{i}")
        for i in range(1, stops + 1)
    ]
    rows = []
    for i, station in enumerate(stations):
        arrival = None if i == 0 else i * 65 - 5
        departure_offset = None if i == stops - 1 else i * 65
        rows.append((station, i * km_per_leg, arrival, departure_offset))
    route = make_route(company, rows)
    built = []
    for code, class_code in coaches:
        kind = LAYOUTS[class_code]
        kind, rows_ = kind if isinstance(kind, tuple) else (kind, None)
        built.append(
            (code, travel_class_standard(code=class_code), standard_layout(kind=kind, rows=rows_))
        )
    vehicle = vehicle_create(
        company=company, code=f"RAKE-{route.code}", kind="train", coaches=built
    )
    return Trip.objects.create(
        route=route,
        service_date=departure.date(),
        departure_at=departure,
        arrival_at=departure + timedelta(minutes=(stops - 1) * 65),
        vehicle=vehicle,
    )


def funded_user(amount: int = 10_000_000, **kwargs):
    user = UserFactory(**kwargs)
    if amount:
        fund_wallet(user, amount)
    return user


def adult(name: str = "Ravi", age: int = 30, gender: str = "M", **kwargs) -> PassengerIn:
    return PassengerIn(name=name, age=age, gender=gender, **kwargs)
