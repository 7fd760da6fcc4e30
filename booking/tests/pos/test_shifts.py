"""Agents' shifts: the float into the drawer, the count at the close against the ledger,
the flag, and the hand-over to the company's cash office."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from booking.exceptions import PosRefused
from booking.models import Shift
from booking.pos.services.shifts import (
    InvalidShift,
    NoOpenShift,
    ShiftAlreadyOpen,
    shift_close,
    shift_current,
    shift_open,
    shift_tolerance,
)
from fleet.tests.factories import CompanyFactory, MembershipFactory, StationFactory
from payments.ledger.refunds import cash_refund
from payments.ledger.sales import cash_sale
from payments.models import Account, Entry, Transaction
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry
from ttms.invariants import run_checks

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 4, 3, 30, tzinfo=UTC)


def assert_invariants_hold():
    checks = run_checks()
    assert checks == {name: [] for name in checks}


@pytest.fixture
def company():
    return CompanyFactory(name="Volcano Express", currency="RWF", commission_bp=500)


@pytest.fixture
def station():
    return StationFactory(code="KGL", name="Kigali", time_zone="Africa/Kigali")


@pytest.fixture
def agent(company, station):
    user = UserFactory(role=Role.AGENT, email="claude@example.com")
    MembershipFactory(user=user, company=company, role=Role.AGENT, home_station=station)
    return user


def drawer(agent, currency="RWF") -> Account:
    return Account.objects.get(kind="drawer", user=agent, currency=currency)


def sell(agent, company, amount, ref):
    return cash_sale(
        agent=agent, company=company, amount=amount, reference_type="pnr", reference_id=ref
    )


def test_open_takes_the_float_from_the_cash_office_into_the_drawer(agent, company, station):
    with time_machine.travel(T0, tick=False):
        shift = shift_open(agent=agent, float_amount=5_000)

    assert (shift.company, shift.station, shift.currency) == (company, station, "RWF")
    assert (shift.opened_at, shift.float_amount, shift.closed_at) == (T0, 5_000, None)
    assert shift_current(agent) == shift
    assert drawer(agent).balance == 5_000
    float_txn = Transaction.objects.get(kind="cash_float")
    assert (float_txn.reference_type, float_txn.reference_id) == ("pos_shift", str(shift.pk))
    audit = AuditEntry.objects.get(action="pos.shift_opened")
    assert audit.data == {
        "float": 5_000,
        "currency": "RWF",
        "drawer_balance_at_opening": 0,
        "station": "KGL",
    }
    assert_invariants_hold()


def test_close_counts_against_float_plus_sales_less_refunds_and_hands_over(agent, company):
    with time_machine.travel(T0, tick=False):
        shift_open(agent=agent, float_amount=5_000)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        sell(agent, company, 12_000, "1111111111")
        sell(agent, company, 8_000, "2222222222")
        cash_refund(agent=agent, reference_type="pnr", reference_id="2222222222", amount=3_000)
    with time_machine.travel(T0 + timedelta(hours=8), tick=False):
        closed = shift_close(agent=agent, counted=22_000, note="all in order")

    # 5 000 + 12 000 + 8 000 - 3 000
    assert (closed.expected, closed.counted, closed.difference) == (22_000, 22_000, 0)
    assert closed.flagged is False
    assert closed.closed_at == T0 + timedelta(hours=8)
    assert shift_current(agent) is None
    handover = Transaction.objects.get(kind="cash_handover")
    assert {e.account.kind: e.amount for e in handover.entries.all()} == {
        "drawer": 22_000,
        "company_cash": -22_000,
    }
    # The drawer holds what it held before the shift; the office got the takings.
    assert drawer(agent).balance == 0
    office = Account.objects.get(kind="company_cash", company=company)
    assert sum(Entry.objects.filter(account=office).values_list("amount", flat=True)) == -17_000
    audit = AuditEntry.objects.get(action="pos.shift_closed")
    assert audit.data["handed_over"] == 22_000
    assert audit.data["note"] == "all in order"
    assert not AuditEntry.objects.filter(action="pos.shift_flagged").exists()
    assert_invariants_hold()


def test_a_short_count_beyond_the_tolerance_is_flagged_and_audited(agent, company, settings):
    settings.TTMS_POS_SHIFT_TOLERANCE = 500
    shift_open(agent=agent, float_amount=1_000)
    sell(agent, company, 4_000, "3333333333")

    closed = shift_close(agent=agent, counted=4_400)

    assert (closed.expected, closed.difference, closed.flagged) == (5_000, -600, True)
    flagged = AuditEntry.objects.get(action="pos.shift_flagged")
    assert flagged.data == {"difference": -600, "tolerance": 500, "note": ""}
    # The ledger's figure is handed over; the shortfall stays on the shift.
    assert drawer(agent).balance == 0
    assert_invariants_hold()


def test_a_difference_within_the_tolerance_is_kept_but_not_flagged(agent, company, settings):
    settings.TTMS_POS_SHIFT_TOLERANCE = 500
    shift_open(agent=agent, float_amount=1_000)

    closed = shift_close(agent=agent, counted=1_500)

    assert (closed.expected, closed.difference, closed.flagged) == (1_000, 500, False)


def test_default_tolerance_is_one_major_unit_of_the_currency(settings):
    settings.TTMS_POS_SHIFT_TOLERANCE = None
    assert (shift_tolerance("RWF"), shift_tolerance("INR"), shift_tolerance("BHD")) == (
        1,
        100,
        1_000,
    )


def test_sales_before_the_shift_stay_in_the_drawer(agent, company):
    with time_machine.travel(T0, tick=False):
        sell(agent, company, 2_500, "4444444444")
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        shift_open(agent=agent, float_amount=1_000)
        sell(agent, company, 700, "5555555555")
        closed = shift_close(agent=agent, counted=1_700)

    assert (closed.expected, closed.difference) == (1_700, 0)
    assert drawer(agent).balance == 2_500
    opened = AuditEntry.objects.get(action="pos.shift_opened")
    assert opened.data["drawer_balance_at_opening"] == 2_500
    assert_invariants_hold()


def test_a_second_open_shift_is_refused_and_nothing_is_written(agent):
    first = shift_open(agent=agent, float_amount=1_000)
    transactions = Transaction.objects.count()

    with pytest.raises(ShiftAlreadyOpen) as refused:
        shift_open(agent=agent, float_amount=2_000)

    assert refused.value.status_code == 409
    assert list(Shift.objects.all()) == [first]
    assert Transaction.objects.count() == transactions
    assert drawer(agent).balance == 1_000


def test_a_closed_shift_lets_the_next_one_open(agent):
    shift_open(agent=agent, float_amount=0)
    shift_close(agent=agent, counted=0)

    second = shift_open(agent=agent, float_amount=300)

    assert shift_current(agent) == second
    assert Shift.objects.count() == 2


def test_a_non_agent_is_refused(company):
    admin = UserFactory(role=Role.COMPANY_ADMIN)
    MembershipFactory(user=admin, company=company, role=Role.COMPANY_ADMIN)
    passenger = UserFactory(role=Role.PASSENGER)

    for user in (admin, passenger):
        with pytest.raises(PosRefused):
            shift_open(agent=user, float_amount=1_000)
    assert not Shift.objects.exists()
    assert not Transaction.objects.exists()


def test_closing_without_an_open_shift_is_refused(agent):
    with pytest.raises(NoOpenShift):
        shift_close(agent=agent, counted=0)
    assert not AuditEntry.objects.filter(action="pos.shift_closed").exists()


@pytest.mark.parametrize("amount", [-1, 1.5, "100", True, None])
def test_bad_amounts_are_refused(agent, amount):
    with pytest.raises(InvalidShift) as refused:
        shift_open(agent=agent, float_amount=amount)
    assert refused.value.fields == {"float_amount": [refused.value.message]}
    shift_open(agent=agent, float_amount=100)
    with pytest.raises(InvalidShift):
        shift_close(agent=agent, counted=amount)
    assert shift_current(agent) is not None
