"""A small, hand-checked world for the dashboards' tests.

Company A (rail, INR, Africa/Kigali, 5 % commission, refunds `flat80`) runs two routes of
sleeper trips whose coach keeps 8 berths (1-6 and 8 plain, 7 an RAC side lower: two halves),
every SL journey 1,000.00 INR (the fare rule's minimum):

    R1  AA1 - AA2 - AA3 - AA4, 100 km apart (300 km)
        T1 leaves 2030-01-07 08:00 CAT, T3 2030-01-08 08:00 CAT (no booking)
    R2  BB1 - BB2 - BB3 (200 km)
        T2 leaves 2030-01-07 20:00 CAT

Booked on 2030-01-05 10:00 CAT, on T1: P1 six AA1→AA4 (CNF on berths 1-6); P2 three
AA2→AA4 (CNF on berth 8, RAC, RAC on berth 7's halves); P3 one AA1→AA3 (WL).
Cancelled on 2030-01-06 09:00 CAT: one passenger of P1 (80 % back: 800.00 INR).
Booked on 2030-01-07 00:30 CAT (2030-01-06 22:30 UTC: another UTC day), on T2: P4 two
BB1→BB3 (CNF).

Company B (rail, KES, Africa/Nairobi) runs one route CC1 - CC2 - CC3, its trip TB leaving
2030-01-07 09:00 EAT, one passenger booked on 2030-01-05 10:00 EAT for 500.00 KES.

The dashboards are read at 2030-01-07 06:00 CAT (`READ_AT`): T1 and T2 leave today, T3
tomorrow. Promotion is not run (tests do not run commit callbacks), so P2 stays CNF, RAC,
RAC and P3 WL.
"""

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from booking.lifecycle.services.cancellation import booking_cancel
from booking.models import FareRule
from booking.sales.services.create import booking_create
from booking.tests.assistant.fake_llm import fake_llm  # noqa: F401 (a fixture)
from booking.tests.factories import adult, make_trip
from fleet.models import Company, Route, Seat, Trip, Vehicle
from fleet.tests.factories import CompanyFactory, staff_user
from payments.tests.factories import fund_wallet
from tracking.models import StopVisit
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

CAT = ZoneInfo("Africa/Kigali")
EAT = ZoneInfo("Africa/Nairobi")
READ_AT = datetime(2030, 1, 7, 6, 0, tzinfo=CAT)
BOOKED_AT = datetime(2030, 1, 5, 10, 0, tzinfo=CAT)
CANCELLED_AT = datetime(2030, 1, 6, 9, 0, tzinfo=CAT)
LATE_BOOKED_AT = datetime(2030, 1, 7, 0, 30, tzinfo=CAT)


def keep_berths(trip: Trip, berths: int = 8) -> None:
    """Leave the trip's vehicle only its first `berths` berths (in layout order)."""
    seats = list(
        Seat.objects.filter(coach__vehicle_id=trip.vehicle_id)
        .order_by("row", "column", "pk")
        .values_list("pk", flat=True)
    )
    Seat.objects.filter(pk__in=seats[berths:]).delete()


def rail_operator(**kwargs) -> Company:
    company = CompanyFactory(
        kind=Company.Kind.RAIL,
        quota_distribution={"SL": {}},
        refund_policy="flat80",
        **kwargs,
    )
    return company


def book(trip, passengers, *, user, origin, destination, at):
    with time_machine.travel(at, tick=False):
        return booking_create(
            user=user,
            trip_id=trip.pk,
            origin_code=origin,
            destination_code=destination,
            class_code="SL",
            quota="GENERAL",
            passengers=passengers,
            now=at,
        )


def cancel(pnr, passenger_ids, *, at):
    with time_machine.travel(at, tick=False):
        return booking_cancel(pnr=pnr, by=pnr.user, passenger_ids=passenger_ids, now=at)


@pytest.fixture
def world(db):
    a = rail_operator(name="Alpha Rail", slug="alpha", currency="INR", time_zone="Africa/Kigali")
    b = rail_operator(name="Beta Rail", slug="beta", currency="KES", time_zone="Africa/Nairobi")
    FareRule.objects.create(company=a, class_code="SL", rate_per_km=1, minimum_fare=100_000)
    FareRule.objects.create(company=b, class_code="SL", rate_per_km=1, minimum_fare=50_000)

    t1 = make_trip(company=a, departure=datetime(2030, 1, 7, 8, 0, tzinfo=CAT), code_prefix="AA")
    keep_berths(t1)
    t3 = Trip.objects.create(
        route=t1.route,
        service_date=datetime(2030, 1, 8).date(),
        departure_at=t1.departure_at + timedelta(days=1),
        arrival_at=t1.arrival_at + timedelta(days=1),
        vehicle=t1.vehicle,
    )
    t2 = make_trip(
        company=a, departure=datetime(2030, 1, 7, 20, 0, tzinfo=CAT), stops=3, code_prefix="BB"
    )
    keep_berths(t2)
    tb = make_trip(
        company=b, departure=datetime(2030, 1, 7, 9, 0, tzinfo=EAT), stops=3, code_prefix="CC"
    )
    keep_berths(tb)

    buyer = UserFactory(email="buyer@example.com")
    fund_wallet(buyer, 10_000_000, "INR")
    fund_wallet(buyer, 10_000_000, "KES")

    p1 = book(t1, [adult(f"P1-{i}") for i in range(6)], user=buyer, origin="AA1",
              destination="AA4", at=BOOKED_AT)  # fmt: skip
    p2 = book(t1, [adult(f"P2-{i}") for i in range(3)], user=buyer, origin="AA2",
              destination="AA4", at=BOOKED_AT)  # fmt: skip
    p3 = book(t1, [adult("P3")], user=buyer, origin="AA1", destination="AA3", at=BOOKED_AT)
    pb = book(tb, [adult("PB")], user=buyer, origin="CC1", destination="CC3",
              at=datetime(2030, 1, 5, 10, 0, tzinfo=EAT))  # fmt: skip
    cancel(p1, [p1.passengers.order_by("index").first().pk], at=CANCELLED_AT)
    p4 = book(t2, [adult("P4-a"), adult("P4-b")], user=buyer, origin="BB1",
              destination="BB3", at=LATE_BOOKED_AT)  # fmt: skip

    users = {
        "platform": UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True),
        "a_admin": staff_user(a, Role.COMPANY_ADMIN),
        "a_scheduler": staff_user(a, Role.SCHEDULER),
        "b_admin": staff_user(b, Role.COMPANY_ADMIN),
        "driver": staff_user(a, Role.DRIVER),
        "agent": staff_user(a, Role.AGENT),
        "passenger": buyer,
    }
    return SimpleNamespace(
        a=a, b=b, t1=t1, t2=t2, t3=t3, tb=tb, p1=p1, p2=p2, p3=p3, p4=p4, pb=pb, users=users
    )


@pytest.fixture
def read_at():
    with time_machine.travel(READ_AT, tick=False):
        yield READ_AT


@pytest.fixture
def analyst_world(world):
    """The world with its routes numbered as people write them (Alpha's R1 train 12302, its
    R2 train 12951, Beta's route 4501; T1's rake "RAB 123A", TB's "KBZ 901Q") and the calls
    tracking saw: T1 left its first stop 5 minutes late and reached its third 20 minutes
    late, T2 left on time, TB reached its last stop 50 minutes late."""
    Route.objects.filter(pk=world.t1.route_id).update(number="12302", name="Alpha Express")
    Route.objects.filter(pk=world.t2.route_id).update(number="12951", name="Alpha Mail")
    Route.objects.filter(pk=world.tb.route_id).update(number="4501", name="Beta Line")
    Vehicle.objects.filter(pk=world.t1.vehicle_id).update(code="RAB 123A")
    Vehicle.objects.filter(pk=world.tb.vehicle_id).update(code="KBZ 901Q")
    t1, t2, tb = world.t1, world.t2, world.tb
    # T1: left stop 1 at +5 min, reached stop 2 (due +60) at +70, stop 3 (due +125) at +145.
    StopVisit.objects.create(trip=t1, sequence=1, station_id=_station(t1, 1),
                             departed_at=t1.departure_at + timedelta(minutes=5))  # fmt: skip
    StopVisit.objects.create(trip=t1, sequence=2, station_id=_station(t1, 2),
                             arrived_at=t1.departure_at + timedelta(minutes=70))  # fmt: skip
    StopVisit.objects.create(trip=t1, sequence=3, station_id=_station(t1, 3),
                             arrived_at=t1.departure_at + timedelta(minutes=145))  # fmt: skip
    # T2: left stop 1 on time, nothing else seen.
    StopVisit.objects.create(trip=t2, sequence=1, station_id=_station(t2, 1),
                             departed_at=t2.departure_at)  # fmt: skip
    # TB: reached its last stop (due +125) at +175.
    StopVisit.objects.create(trip=tb, sequence=3, station_id=_station(tb, 3),
                             arrived_at=tb.departure_at + timedelta(minutes=175))  # fmt: skip
    return world


def _station(trip, sequence):
    return trip.route.stops.get(sequence=sequence).station_id
