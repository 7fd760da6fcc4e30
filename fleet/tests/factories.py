from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory

from fleet.models import (
    Company,
    CompanyMembership,
    Route,
    RouteStop,
    Station,
    Trip,
    Vehicle,
)
from fleet.services import (
    standard_layout,
    travel_class_standard,
    vehicle_create,
)
from fleet.text import fold_name
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Operator {n}")
    slug = factory.Sequence(lambda n: f"operator-{n}")
    kind = Company.Kind.BUS
    time_zone = "Africa/Kigali"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompanyMembership

    user = factory.SubFactory(UserFactory, role=Role.COMPANY_ADMIN, is_staff=True)
    company = factory.SubFactory(CompanyFactory)
    role = Role.COMPANY_ADMIN


def staff_user(company: Company, role: str = Role.COMPANY_ADMIN, **kwargs):
    """A user working for `company` in `role` (staff roles may sign in to the admin)."""
    user = UserFactory(role=role, is_staff=role in (Role.COMPANY_ADMIN, Role.SCHEDULER), **kwargs)
    MembershipFactory(user=user, company=company, role=role)
    return user


class StationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Station

    code = factory.Sequence(lambda n: f"ST{n}")
    name = factory.Sequence(lambda n: f"Station {n}")
    search_name = factory.LazyAttribute(lambda o: fold_name(o.name))
    time_zone = "Asia/Kolkata"
    latitude = 20.0
    longitude = 78.0


class VehicleFactory(factory.django.DjangoModelFactory):
    """A bus with one STANDARD coach of 2+2 × 10 rows, the back row of five (41 seats)."""

    class Meta:
        model = Vehicle

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"RAB {n:03d} A")
    kind = Vehicle.Kind.BUS

    @classmethod
    def _create(cls, model_class, *args, company, code, kind, classes=("STANDARD",), **kw):
        layouts = {
            "STANDARD": ("BUS22", 10),
            "VIP": ("BUS21", 10),
            "SL": ("SL", None),
            "3A": ("3A", None),
            "2A": ("2A48", None),
            "1A": ("1A", None),
            "CC": ("CC", None),
        }
        coaches = []
        for index, cls_code in enumerate(classes, start=1):
            kind_, rows = layouts[cls_code]
            coaches.append(
                (
                    f"C{index}",
                    travel_class_standard(code=cls_code),
                    standard_layout(kind=kind_, rows=rows),
                )
            )
        return vehicle_create(
            company=company, code=code, kind=kind, name=kw.get("name", ""), coaches=coaches
        )


class RouteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Route

    company = factory.SubFactory(CompanyFactory)
    code = factory.Sequence(lambda n: f"R{n}")
    number = factory.LazyAttribute(lambda o: o.code)
    name = factory.LazyAttribute(lambda o: f"Route {o.code}")
    departure_times = "08:00"


def make_route(company, stops, *, departure_times="08:00", code=None, **kwargs) -> Route:
    """A route calling at `stops`: (station, km, arrival offset, departure offset)."""
    route = RouteFactory(
        company=company,
        departure_times=departure_times,
        **({"code": code} if code else {}),
        **kwargs,
    )
    RouteStop.objects.bulk_create(
        RouteStop(
            route=route,
            sequence=i,
            station=station,
            distance_km=km,
            arrival_offset=arrival,
            departure_offset=departure,
        )
        for i, (station, km, arrival, departure) in enumerate(stops, start=1)
    )
    return route


class TripFactory(factory.django.DjangoModelFactory):
    """A trip of `route` leaving at 08:00 Asia/Kolkata on `service_date`, 3 hours long."""

    class Meta:
        model = Trip

    route = factory.SubFactory(RouteFactory)
    service_date = date(2030, 1, 7)
    departure_at = factory.LazyAttribute(
        lambda o: datetime.combine(
            o.service_date, datetime.min.time().replace(hour=8), tzinfo=ZoneInfo("Asia/Kolkata")
        )
    )
    arrival_at = factory.LazyAttribute(lambda o: o.departure_at + timedelta(hours=3))
