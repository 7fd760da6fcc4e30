"""The demo's history (`ttms.demo_history`, the last loader of `manage.py load_demo`): two
weeks of trips that ran and their sales, dated on the days they happened, so that the
dashboards and a settlement statement show figures on a fresh demo; the money and seat
invariants hold, nobody drives two trips at once, and a second load adds nothing."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from booking.models import Cancellation, Passenger, PassengerStatus, Pnr
from fleet.models import Company, Trip, TripStatus
from payments.models import SettlementRun, Transaction
from ttms import demo_history
from ttms.backoffice.selectors import money_by_day, route_loads
from ttms.invariants import broken_invariants
from ttms.notifications.models import Delivery, OutboxMessage

pytestmark = pytest.mark.django_db

# A Monday, 05:35 in Kolkata, 02:05 in Kigali and 03:05 in Nairobi: the same local day
# everywhere, so the history covers 24 December 2029 to 6 January 2030 for every company.
START = datetime(2030, 1, 7, 0, 5, tzinfo=ZoneInfo("UTC"))
FIRST, LAST = date(2029, 12, 24), date(2030, 1, 6)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for the module, in a transaction rolled back after it (each
    test runs in a savepoint of it)."""
    out = StringIO()
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            TTMS_PAYMENT_PROVIDERS=["sandbox"],
            TTMS_SANDBOX_WEBHOOK_SECRET="demo-history-test-secret",
        ),
        transaction.atomic(),
    ):
        with time_machine.travel(START, tick=False):
            call_command("load_demo", "--force", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def _counts() -> tuple[int, ...]:
    return (
        Trip.objects.count(),
        Pnr.objects.count(),
        Transaction.objects.count(),
        OutboxMessage.objects.count(),
        SettlementRun.objects.count(),
    )


def test_each_demo_company_shows_sales_on_past_days_and_loads_of_40_to_95_percent(demo):
    companies = Company.objects.filter(slug__in=list(demo_history.PLANS))

    days = money_by_day(companies=companies, start=FIRST, end=LAST)
    loads = route_loads(companies=companies, start=FIRST, end=LAST)

    by_company: dict[str, list] = {}
    for day in days:
        by_company.setdefault(day.company_name, []).append(day)
    assert sorted(by_company) == sorted(c.name for c in companies)
    for name, rows in by_company.items():
        assert sum(r.sales for r in rows) > 0, name
        assert len([r for r in rows if r.sales > 0]) >= 7, name
    currencies = {(r.company_name, r.currency) for r in days}
    assert currencies == {(c.name, c.currency) for c in companies}
    assert sorted((r.company_name, r.route_number, r.trips) for r in loads) == [
        ("Indian Railways", "12951", 1),
        ("Indian Railways", "12952", 1),
        ("Nairobi Metro Shuttle (demo)", "237", 3),
        ("Nairobi Metro Shuttle (demo)", "237R", 2),
        ("Rwanda Intercity Coaches (demo)", "103", 3),
        ("Rwanda Intercity Coaches (demo)", "104", 2),
        ("Virunga Express (demo)", "401", 3),
        ("Virunga Express (demo)", "402", 2),
    ]
    assert all(40 <= r.load_factor <= 95 for r in loads), [
        (r.route_number, r.load_factor) for r in loads
    ]


def test_the_history_is_dated_on_its_days_and_announces_nothing_at_the_next_sweep(demo):
    past = Trip.objects.filter(service_date__range=(FIRST, LAST))

    assert set(past.values_list("status", flat=True)) == {TripStatus.ARRIVED}
    assert not past.filter(route__company__kind=Company.Kind.BUS, drivers__isnull=True).exists()
    for trip in past.prefetch_related("events"):
        events = {e.to_status: e.at for e in trip.events.all() if e.to_status}
        assert events[TripStatus.DEPARTED] == trip.departure_at
        assert events[TripStatus.ARRIVED] == trip.arrival_at
    pnrs = Pnr.objects.filter(trip__in=past)
    assert pnrs.filter(buyer_name="").exists() and pnrs.exclude(buyer_name="").exists()
    waiting = Passenger.objects.filter(
        pnr__in=pnrs, status__in=[PassengerStatus.RAC, PassengerStatus.WAITLISTED]
    )
    assert set(waiting.values_list("pnr__trip__route__company__slug", flat=True)) == {
        "indian-railways"
    }
    assert Cancellation.objects.filter(pnr__in=pnrs, created_at__lt=START).count() == (
        Cancellation.objects.count()
    )
    assert Cancellation.objects.exists()
    assert not pnrs.filter(created_at__gte=START).exists()
    sales = Transaction.objects.filter(
        kind__in=Transaction.SALE_KINDS,
        reference_type="pnr",
        reference_id__in=pnrs.values("number"),
    )
    created = dict(pnrs.values_list("number", "created_at"))
    assert sales.count() == pnrs.count()
    assert all(t.created_at == created[t.reference_id] for t in sales)
    assert not Transaction.objects.filter(
        kind__in=Transaction.REFUND_KINDS, created_at__gte=START
    ).exists()
    assert not Delivery.objects.filter(
        status=Delivery.Status.QUEUED, message__payload__pnr__in=list(created)
    ).exists()
    run = SettlementRun.objects.get(company__slug=demo_history.SETTLED)
    assert (run.period_start, run.period_end) == (FIRST, FIRST + timedelta(days=6))
    assert run.sales > 0 and run.sales_count > 0


def test_after_the_demo_the_invariants_hold_and_nobody_is_on_two_trips(demo):
    out = StringIO()

    call_command("trip_conflicts", "--all", stdout=out)

    assert broken_invariants() == {}
    assert out.getvalue().strip() == "No vehicle or driver is on two trips at once."


def test_a_second_load_of_the_history_adds_nothing(demo):
    before = _counts()

    with time_machine.travel(START + timedelta(hours=1), tick=False):
        lines = demo_history.demo_load()

    assert lines == ["demo history: exists"]
    assert _counts() == before
