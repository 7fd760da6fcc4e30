"""Fixtures of the booking tests: trips of a chosen size, and one call to book on them.

Times are never the clock's: every booking names its `now` (by default two days before the
trip leaves), so the 60-day horizon and Tatkal windows are fixed by the test.
"""

from datetime import datetime, timedelta

import pytest

from fleet.models import Seat

from ..sales.services.create import booking_create
from .factories import adult, funded_user, make_trip, rail_company


@pytest.fixture
def make_sleeper_trip(db):
    """make_sleeper_trip(berths=72, coaches=("S1",), class_code="SL", quotas=None, stops=4,
    **make_trip): a trip whose coaches (of one sleeper class) keep their first `berths`
    berths each, in layout order (bays of LB MB UB LB MB UB SL SU; the first seven side
    lowers of a coach are RAC berths), run by a rail company whose distribution for the
    class is `quotas` (quota -> seats): None keeps the railway defaults, {} earmarks
    nothing but the RAC berths."""

    def make(
        *,
        berths: int = 72,
        coaches=("S1",),
        class_code: str = "SL",
        quotas: dict | None = None,
        stops: int = 4,
        **kwargs,
    ):
        company = rail_company(
            **({"quota_distribution": {class_code: quotas}} if quotas is not None else {})
        )
        trip = make_trip(
            company=company, coaches=[(code, class_code) for code in coaches], stops=stops, **kwargs
        )
        extra = []
        for code in coaches:
            seats = (
                Seat.objects.filter(coach__vehicle_id=trip.vehicle_id, coach__code=code)
                .order_by("row", "column", "pk")
                .values_list("pk", flat=True)
            )
            extra += list(seats)[berths:]
        Seat.objects.filter(pk__in=extra).delete()
        return trip

    return make


@pytest.fixture
def book(db):
    """book(trip, passengers=[adult()], user=None, origin="ST1", destination=<last stop>,
    class_code="SL", quota="GENERAL", now=<2 days before departure>, **options): one
    booking through `booking.sales.services.create.booking_create`, by a funded user unless
    given."""

    def call(
        trip,
        passengers=None,
        *,
        user=None,
        origin: str = "ST1",
        destination: str | None = None,
        class_code: str = "SL",
        quota: str = "GENERAL",
        now=None,
        **options,
    ):
        if destination is None:
            last = (
                trip.route.stops.order_by("-sequence")
                .values_list("station__code", flat=True)
                .first()
            )
            destination = last
        return booking_create(
            user=user or funded_user(),
            trip_id=trip.pk,
            origin_code=origin,
            destination_code=destination,
            class_code=class_code,
            quota=quota,
            passengers=passengers or [adult()],
            now=now or trip.departure_at - timedelta(days=2),
            **options,
        )

    return call


@pytest.fixture
def tasks_in_process(monkeypatch):
    """Tasks enqueued on commit run in this process, as in the embedded mode, also when
    REDIS_URL names a broker (for tests that run commit callbacks themselves)."""
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def ticketed(make_sleeper_trip, book):
    """A trip with a driver assigned and one PNR of two confirmed passengers (Asha, Ravi),
    held by a passenger of its own: .trip .driver .holder .pnr .passengers."""
    from types import SimpleNamespace

    from fleet.tests.factories import staff_user
    from ttms.accounts.models import Role

    trip = make_sleeper_trip(berths=16, quotas={})
    driver = staff_user(trip.route.company, role=Role.DRIVER, full_name="Dev Driver")
    trip.drivers.add(driver)
    holder = funded_user()
    pnr = book(trip, [adult("Asha", 34, "F"), adult("Ravi", 36, "M")], user=holder)
    return SimpleNamespace(
        trip=trip,
        driver=driver,
        holder=holder,
        pnr=pnr,
        passengers=list(pnr.passengers.order_by("index")),
    )


@pytest.fixture
def boarding_time(ticketed):
    """The clock at 30 minutes before the ticketed trip leaves (ticking)."""
    import time_machine

    with time_machine.travel(ticketed.trip.departure_at - timedelta(minutes=30), tick=True):
        yield


@pytest.fixture
def clock():
    """clock(moment): the time stands at `moment` (aware) for the rest of the test."""
    import time_machine

    travellers = []

    def set_to(moment: datetime):
        while travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield set_to
    while travellers:
        travellers.pop().stop()


@pytest.fixture
def three_days_ahead(ticketed, clock, client):
    """The ticketed trip three days before it leaves, its holder signed in: the tiered
    policy keeps 10 % of a confirmed fare."""
    clock(ticketed.trip.departure_at - timedelta(days=3))
    client.force_login(ticketed.holder)
    return ticketed


@pytest.fixture
def two_days_before():
    """The clock stands at TODAY, two days before the page tests' DEPARTURE."""
    import time_machine

    from .pages import TODAY

    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture(scope="module")
def rupees():
    """The rule sentences name amounts in the deployment currency: rupees here."""
    from django.test import override_settings

    with override_settings(TTMS_CURRENCY="INR"):
        yield


@pytest.fixture
def charted_trip(make_sleeper_trip, book):
    """Berths 1-2 LADIES, 3-5 GENERAL, 6 and 8 TATKAL, 7 an RAC berth; GENERAL and RAC
    sold out; then waitlisted: a man, a senior man, a woman, a PNR of two men, a man."""
    from ..models import Passenger, Place
    from .charts import BOOKED, status

    trip = make_sleeper_trip(berths=8, quotas={"LADIES": 2, "TATKAL": 2})
    pnrs = {
        name: book(trip, [adult(name, age, gender)], now=BOOKED)
        for name, age, gender in [
            ("Gopal", 40, "M"),
            ("Hari", 41, "M"),
            ("Ishaan", 42, "M"),
            ("Jai", 30, "M"),
            ("Kiran", 31, "M"),
            ("Arjun", 30, "M"),
            ("Bala", 65, "M"),
            ("Chitra", 30, "F"),
        ]
    }
    pnrs["Dev"] = book(trip, [adult("Dev"), adult("Ganesh")], now=BOOKED)
    farhan_user = funded_user()
    pnrs["Farhan"] = book(trip, [adult("Farhan")], user=farhan_user, now=BOOKED)
    assert dict(
        Place.objects.filter(trip_class__trip=trip, half=0).values_list("seat__number", "quota")
    ) == {
        "1": "LADIES",
        "2": "LADIES",
        "3": "GENERAL",
        "4": "GENERAL",
        "5": "GENERAL",
        "6": "TATKAL",
        "8": "TATKAL",
    }
    assert [status(pnrs[n])[0][1:3] for n in ("Gopal", "Hari", "Ishaan", "Jai", "Kiran")] == [
        ("CNF", "3"),
        ("CNF", "4"),
        ("CNF", "5"),
        ("RAC", "7"),
        ("RAC", "7"),
    ]
    assert {
        p.status
        for p in Passenger.objects.filter(
            pnr__in=[pnrs[n] for n in ("Arjun", "Bala", "Chitra", "Dev", "Farhan")]
        )
    } == {"WL"}
    return trip, pnrs


@pytest.fixture
def bus_trip(db):
    """bus_trip(rows, stops=3): a trip of a bus company (every seat GENERAL) on ST1, ST2,
    ... 100 km a leg, leaving 07 Jan 2030 08:00 IST, run by bus BUS-<rows> (coach B1, 2+2
    seats numbered 1, 2, ... row by row)."""
    from fleet.models import Company, Trip
    from fleet.tests.factories import CompanyFactory

    from .swaps import bus

    def make(rows: int, stops: int = 3) -> Trip:
        company = CompanyFactory(kind=Company.Kind.BUS, name="Volcano Express")
        trip = make_trip(company=company, coaches=[("B1", "STANDARD")], stops=stops)
        Trip.objects.filter(pk=trip.pk).update(vehicle=bus(company, f"BUS-{rows}", rows))
        trip.refresh_from_db()
        return trip

    return make


@pytest.fixture
def sell(book):
    """sell(trip, n=1, origin="ST1", destination=last stop): n one-passenger STANDARD
    bookings, in order."""

    def call(trip, n: int = 1, **kwargs):
        return [book(trip, [adult(f"P{i}")], class_code="STANDARD", **kwargs) for i in range(n)]

    return call
