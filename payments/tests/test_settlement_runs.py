"""Settlement runs: the figures frozen, the payout in the ledger, the periods refused."""

from datetime import date

import pytest
from django.db.models import Sum

from payments.exceptions import SettlementNotAllowed
from payments.invariants import settlement_runs_apart_and_paid_as_recorded
from payments.ledger.clearing import payout_record
from payments.ledger.refunds import booking_refund
from payments.ledger.sales import booking_charge
from payments.ledger.selectors import settlement_for_company, settlement_run_default_period
from payments.ledger.settlements import settlement_reference, settlement_run
from payments.models import Account, SettlementRun, Transaction
from ttms.audit.models import AuditEntry
from ttms.testing import run_together

from .factories import CompanyFactory, PassengerFactory, fund_wallet
from .settlement_data import at, march_ledger, platform_admin

pytestmark = pytest.mark.django_db

MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


def revenue_balance(company) -> int:
    return (
        Account.objects.get(kind="revenue", company=company).entries.aggregate(t=Sum("amount"))["t"]
        or 0
    )


@pytest.fixture
def ledger(company, agent):
    return march_ledger(company, agent)


def test_run_pays_out_the_net_and_the_revenue_balance_drops_by_it(ledger):
    company, admin = ledger["company"], platform_admin()
    before = revenue_balance(company)

    with at(2026, 4, 2):
        run = settlement_run(company=company, by=admin, **MARCH)

    assert run.reference == "SET-konkan-20260301-20260331"
    assert (run.net, run.brought_forward, run.payout_amount, run.carried_forward) == (
        15_201,
        0,
        15_201,
        0,
    )
    assert before - revenue_balance(company) == 15_201
    assert revenue_balance(company) == 2_850
    payout = run.payout
    assert (payout.kind, payout.reference_type, payout.reference_id, payout.created_by) == (
        "payout",
        "payout",
        "SET-konkan-20260301-20260331",
        admin,
    )
    assert sorted((e.account.kind, e.amount) for e in payout.entries.all()) == [
        ("payout_clearing", 15_201),
        ("revenue", -15_201),
    ]
    assert list(
        AuditEntry.objects.filter(action="settlement.run").values_list("target_id", "actor")
    ) == [(str(run.pk), admin.pk)]


def test_run_freezes_the_figures_of_settlement_for_company_and_its_days(ledger):
    company = ledger["company"]

    with at(2026, 4, 2):
        run = settlement_run(company=company, by=platform_admin(), **MARCH)
    report = settlement_for_company(company=company, start=date(2026, 3, 1), end=date(2026, 3, 31))

    assert (
        (
            run.sales,
            run.sales_count,
            run.refunds,
            run.refunds_count,
            run.commission,
            run.net,
        )
        == (
            report.sales,
            report.sales_count,
            report.refunds,
            report.refunds_count,
            report.commission,
            report.net,
        )
        == (21_001, 4, 5_000, 1, 800, 15_201)
    )
    assert (run.currency, run.time_zone, run.rate_bp) == ("INR", "Asia/Kolkata", 500)
    assert run.days == [
        {
            "day": "2026-03-05",
            "sales": 17_001,
            "sales_count": 3,
            "refunds": 0,
            "refunds_count": 0,
            "commission": 850,
            "net": 16_151,
        },
        {
            "day": "2026-03-06",
            "sales": 0,
            "sales_count": 0,
            "refunds": 5_000,
            "refunds_count": 1,
            "commission": -250,
            "net": -4_750,
        },
        {
            "day": "2026-03-31",
            "sales": 4_000,
            "sales_count": 1,
            "refunds": 0,
            "refunds_count": 0,
            "commission": 200,
            "net": 3_800,
        },
    ]


def test_overlapping_period_is_refused_naming_the_earlier_run_and_nothing_changes(ledger):
    company = ledger["company"]
    with at(2026, 4, 5):
        settlement_run(company=company, by=platform_admin(), **MARCH)
        balance = revenue_balance(company)

        with pytest.raises(SettlementNotAllowed) as refused:
            settlement_run(
                company=company,
                period_start=date(2026, 3, 31),
                period_end=date(2026, 4, 3),
                by=platform_admin(),
            )

    assert str(refused.value.message) == (
        "This period overlaps the settlement run SET-konkan-20260301-20260331, which covers "
        "1 March 2026 to 31 March 2026."
    )
    assert SettlementRun.objects.count() == 1
    assert Transaction.objects.filter(kind="payout").count() == 1
    assert revenue_balance(company) == balance


def test_period_ending_today_in_the_company_zone_is_refused(ledger):
    company = ledger["company"]
    balance = revenue_balance(company)

    # 1 April 00:30 in Kolkata is still 31 March in UTC: the company's day decides.
    with at(2026, 4, 1, 0, 30), pytest.raises(SettlementNotAllowed) as refused:
        settlement_run(
            company=company,
            period_start=date(2026, 3, 1),
            period_end=date(2026, 4, 1),
            by=platform_admin(),
        )

    assert str(refused.value.message) == (
        "A settlement covers closed days only: the period must end by 31 March 2026 "
        "(yesterday in Asia/Kolkata)."
    )
    assert SettlementRun.objects.count() == 0
    assert revenue_balance(company) == balance


def test_period_starting_after_it_ends_is_refused(ledger):
    with at(2026, 4, 5), pytest.raises(SettlementNotAllowed) as refused:
        settlement_run(
            company=ledger["company"],
            period_start=date(2026, 3, 2),
            period_end=date(2026, 3, 1),
            by=None,
        )

    assert str(refused.value.message) == "The period starts after it ends."
    assert SettlementRun.objects.count() == 0


def test_the_same_request_again_returns_the_run_and_pays_once(ledger):
    company = ledger["company"]

    with at(2026, 4, 2):
        first = settlement_run(company=company, by=platform_admin(), **MARCH)
        second = settlement_run(company=company, by=platform_admin(), **MARCH)

    assert second.pk == first.pk
    assert Transaction.objects.filter(kind="payout").count() == 1
    assert revenue_balance(company) == 2_850
    assert AuditEntry.objects.filter(action="settlement.run").count() == 1


def test_next_run_starts_where_the_last_ended(ledger):
    company = ledger["company"]
    with at(2026, 4, 2):
        # No run yet: from the day of the first sale.
        assert settlement_run_default_period(company=company) == (
            date(2026, 3, 5),
            date(2026, 4, 1),
        )
        settlement_run(company=company, by=None, **MARCH)
        assert settlement_run_default_period(company=company) == (
            date(2026, 4, 1),
            date(2026, 4, 1),
        )

        april = settlement_run(
            company=company, period_start=date(2026, 4, 1), period_end=date(2026, 4, 1), by=None
        )

    assert (april.sales, april.commission, april.net, april.payout_amount) == (
        3_000,
        150,
        2_850,
        2_850,
    )
    assert revenue_balance(company) == 0


def test_company_owing_money_gets_a_run_without_payout_and_the_next_run_takes_it_off(company):
    passenger = PassengerFactory()
    with at(2026, 3, 1):
        fund_wallet(passenger, 100_000)
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=10_000,
            reference_type="pnr",
            reference_id="P1",
        )
    with at(2026, 4, 1):
        march = settlement_run(company=company, by=None, **MARCH)
    with at(2026, 4, 2):
        booking_refund(reference_type="pnr", reference_id="P1", amount=10_000)
    with at(2026, 5, 3):
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=20_000,
            reference_type="pnr",
            reference_id="P2",
        )
    with at(2026, 5, 4):
        april = settlement_run(
            company=company, period_start=date(2026, 4, 1), period_end=date(2026, 4, 30), by=None
        )
    with at(2026, 6, 1):
        may = settlement_run(
            company=company, period_start=date(2026, 5, 1), period_end=date(2026, 5, 31), by=None
        )

    assert (march.net, march.payout_amount) == (9_500, 9_500)
    assert (april.net, april.brought_forward, april.payout_amount, april.payout) == (
        -9_500,
        0,
        0,
        None,
    )
    assert april.carried_forward == -9_500
    assert (may.net, may.brought_forward, may.payout_amount, may.carried_forward) == (
        19_000,
        -9_500,
        9_500,
        0,
    )
    assert revenue_balance(company) == 0
    assert Transaction.objects.filter(kind="payout").count() == 2


def test_payout_is_held_back_when_a_later_refund_spent_the_revenue(company):
    passenger = PassengerFactory()
    with at(2026, 3, 1):
        fund_wallet(passenger, 100_000)
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=10_000,
            reference_type="pnr",
            reference_id="P1",
        )
    with at(2026, 4, 1):
        booking_refund(reference_type="pnr", reference_id="P1", amount=10_000)
        march = settlement_run(company=company, by=None, **MARCH)
    with at(2026, 4, 2):
        april = settlement_run(
            company=company, period_start=date(2026, 4, 1), period_end=date(2026, 4, 1), by=None
        )

    assert (march.net, march.payout_amount, march.payout, march.carried_forward) == (
        9_500,
        0,
        None,
        9_500,
    )
    assert (april.net, april.brought_forward, april.payout_amount) == (-9_500, 9_500, 0)
    assert Transaction.objects.filter(kind="payout").count() == 0


def test_a_manual_payout_counts_against_what_a_run_may_pay(ledger):
    company = ledger["company"]
    with at(2026, 4, 2):
        payout_record(company=company, amount=10_000, reference_id="NEFT-1")
        run = settlement_run(company=company, by=None, **MARCH)

    assert (run.net, run.payout_amount, run.carried_forward) == (15_201, 8_051, 7_150)
    assert revenue_balance(company) == 0


def test_long_slug_reference_fits_the_ledger():
    company = CompanyFactory.build(pk=7, slug="x" * 60)

    reference = settlement_reference(
        company=company, period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)
    )

    assert reference == "SET-id7-20260301-20260331"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_overlapping_periods_make_exactly_one(company, agent):
    march_ledger(company, agent)
    periods = [
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 3, 15), date(2026, 4, 1)),
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 2, 1), date(2026, 3, 20)),
    ]

    def run(i):
        start, end = periods[i % len(periods)]
        try:
            settlement_run(company=company, period_start=start, period_end=end, by=None)
        except SettlementNotAllowed:
            return "refused"
        return "run"

    with at(2026, 4, 10):
        outcomes = run_together(8, run)

    assert SettlementRun.objects.count() == 1
    assert Transaction.objects.filter(kind="payout").count() == 1
    made = SettlementRun.objects.get()
    same_period = sum(
        1 for i in range(8) if periods[i % len(periods)] == (made.period_start, made.period_end)
    )
    assert outcomes.count("run") == same_period
    assert revenue_balance(company) == 15_201 + 2_850 - made.payout_amount
    assert made.payout_amount == made.net
    assert settlement_runs_apart_and_paid_as_recorded() == []


def test_default_period_without_runs_or_sales_is_yesterday(company):
    with at(2026, 4, 2):
        assert settlement_run_default_period(company=company) == (
            date(2026, 4, 1),
            date(2026, 4, 1),
        )


def test_invariants_hold_after_runs_and_catch_an_overlap_or_a_wrong_payout(ledger):
    company = ledger["company"]
    with at(2026, 4, 2):
        march = settlement_run(company=company, by=None, **MARCH)
        april = settlement_run(
            company=company, period_start=date(2026, 4, 1), period_end=date(2026, 4, 1), by=None
        )
    assert settlement_runs_apart_and_paid_as_recorded() == []

    SettlementRun.objects.filter(pk=april.pk).update(
        period_start=date(2026, 3, 31), payout_amount=2_000
    )

    assert settlement_runs_apart_and_paid_as_recorded() == [
        f"settlement runs {march.reference} and {april.reference} overlap",
        f"settlement run {april.reference} records a payout of 2000, its transaction takes "
        "2850 off the company's revenue",
    ]
