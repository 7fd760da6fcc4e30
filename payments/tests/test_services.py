import pytest
from django.db import transaction

from payments.exceptions import (
    InsufficientCash,
    InsufficientFunds,
    InvalidAmount,
    NotAnAgent,
    PayoutNotAllowed,
    RefundNotAllowed,
)
from payments.ledger.clearing import payout_record
from payments.ledger.refunds import booking_refund, cash_refund
from payments.ledger.sales import booking_charge, cash_sale
from payments.ledger.selectors import account_entries_sum, wallet_for_user
from payments.models import Account, Entry, Transaction
from ttms.invariants import run_checks

from .factories import CompanyFactory, PassengerFactory, fund_wallet

pytestmark = pytest.mark.django_db


def entries_of(txn: Transaction) -> dict[str, int]:
    return {e.account.kind: e.amount for e in txn.entries.select_related("account")}


def assert_invariants_hold():
    assert run_checks() == {name: [] for name in run_checks()}


def test_topup_credits_wallet_against_provider_clearing(passenger):
    payment = fund_wallet(passenger, 50_000)

    assert payment.status == "succeeded"
    assert wallet_for_user(user=passenger).balance == 50_000
    assert entries_of(payment.transaction) == {"wallet": 50_000, "provider_clearing": -50_000}
    assert payment.transaction.reference_type == "payment"
    assert payment.transaction.reference_id == str(payment.pk)
    assert_invariants_hold()


def test_booking_charge_splits_into_revenue_and_commission(passenger, company):
    fund_wallet(passenger, 100_000)

    txn = booking_charge(
        wallet_owner=passenger,
        company=company,
        amount=12_345,
        reference_type="pnr",
        reference_id="4521987630",
    )

    # 5 % of 12 345 is 617.25: the platform gets 617 (rounded down), the company the rest.
    assert entries_of(txn) == {"wallet": -12_345, "revenue": 11_728, "commission": 617}
    assert txn.kind == "booking_charge"
    assert (txn.reference_type, txn.reference_id) == ("pnr", "4521987630")
    assert txn.created_by == passenger
    assert wallet_for_user(user=passenger).balance == 100_000 - 12_345
    assert_invariants_hold()


def test_revenue_and_commission_rows_are_never_updated(passenger, company):
    fund_wallet(passenger, 100_000)

    for n in range(3):
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=1_000,
            reference_type="pnr",
            reference_id=str(n),
        )

    revenue = Account.objects.get(kind="revenue", company=company)
    commission = Account.objects.get(kind="commission")
    assert (revenue.balance, commission.balance) == (0, 0)
    assert account_entries_sum(account=revenue) == 2_850
    assert account_entries_sum(account=commission) == 150


def test_commission_free_company_gets_everything_in_two_entries(passenger):
    free = CompanyFactory(commission_bp=0)
    fund_wallet(passenger, 1_000)

    txn = booking_charge(
        wallet_owner=passenger, company=free, amount=999, reference_type="pnr", reference_id="1"
    )

    assert entries_of(txn) == {"wallet": -999, "revenue": 999}


def test_overdraft_is_refused_with_a_clear_message_and_nothing_written(passenger, company):
    fund_wallet(passenger, 10_000)
    before = (Transaction.objects.count(), Entry.objects.count())

    with pytest.raises(InsufficientFunds) as refused:
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=10_001,
            reference_type="pnr",
            reference_id="1",
        )

    assert refused.value.message == (
        "Your wallet holds ₹100.00; this payment needs ₹100.01. Top up and try again."
    )
    assert refused.value.status_code == 409
    assert (Transaction.objects.count(), Entry.objects.count()) == before
    assert wallet_for_user(user=passenger).balance == 10_000
    assert not Account.objects.filter(kind="revenue").exists()


def test_charge_without_a_wallet_is_refused_and_creates_no_wallet(company):
    newcomer = PassengerFactory()

    with pytest.raises(InsufficientFunds):
        booking_charge(
            wallet_owner=newcomer, company=company, amount=1, reference_type="pnr", reference_id="1"
        )

    assert not Account.objects.exists()


@pytest.mark.parametrize("amount", [0, -5, True, "100", 10**16, 12.5])
def test_amounts_that_are_not_positive_integers_are_refused(passenger, company, amount):
    fund_wallet(passenger, 10_000)

    with pytest.raises(InvalidAmount):
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=amount,
            reference_type="pnr",
            reference_id="1",
        )

    assert Transaction.objects.count() == 1


def test_charge_inside_an_outer_transaction_rolls_back_with_it(passenger, company):
    fund_wallet(passenger, 10_000)

    with pytest.raises(RuntimeError), transaction.atomic():
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=4_000,
            reference_type="pnr",
            reference_id="1",
        )
        raise RuntimeError("the booking failed after charging")

    assert wallet_for_user(user=passenger).balance == 10_000
    assert not Transaction.objects.filter(kind="booking_charge").exists()


def test_failed_charge_leaves_the_outer_transaction_usable(passenger, company):
    fund_wallet(passenger, 10_000)

    with transaction.atomic():
        with pytest.raises(InsufficientFunds):
            booking_charge(
                wallet_owner=passenger,
                company=company,
                amount=20_000,
                reference_type="pnr",
                reference_id="1",
            )
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=3_000,
            reference_type="pnr",
            reference_id="2",
        )

    assert wallet_for_user(user=passenger).balance == 7_000


def test_refund_returns_to_the_wallet_in_proportion(passenger, company):
    fund_wallet(passenger, 20_000)
    booking_charge(
        wallet_owner=passenger,
        company=company,
        amount=10_001,
        reference_type="pnr",
        reference_id="77",
    )

    txn = booking_refund(reference_type="pnr", reference_id="77", amount=7_500)

    # Charged: revenue 9 501, commission 500. Refunding 7 500 of 10 001 gives back
    # 500 × 7 500 // 10 001 = 374 of commission.
    assert entries_of(txn) == {"wallet": 7_500, "revenue": -7_126, "commission": -374}
    assert wallet_for_user(user=passenger).balance == 20_000 - 10_001 + 7_500
    assert_invariants_hold()


def test_refunds_in_parts_return_exactly_what_was_charged(passenger, company):
    fund_wallet(passenger, 20_000)
    booking_charge(
        wallet_owner=passenger,
        company=company,
        amount=10_001,
        reference_type="pnr",
        reference_id="77",
    )

    for part in (3_333, 3_333, 3_335):
        booking_refund(reference_type="pnr", reference_id="77", amount=part)

    assert wallet_for_user(user=passenger).balance == 20_000
    revenue = Account.objects.get(kind="revenue")
    commission = Account.objects.get(kind="commission")
    assert (account_entries_sum(account=revenue), account_entries_sum(account=commission)) == (0, 0)


def test_refund_never_exceeds_what_was_charged(passenger, company):
    fund_wallet(passenger, 20_000)
    booking_charge(
        wallet_owner=passenger,
        company=company,
        amount=5_000,
        reference_type="pnr",
        reference_id="77",
    )
    booking_refund(reference_type="pnr", reference_id="77", amount=4_000)

    with pytest.raises(RefundNotAllowed) as refused:
        booking_refund(reference_type="pnr", reference_id="77", amount=1_001)

    assert refused.value.message == ("Only ₹10.00 is left to refund for pnr 77; ₹10.01 was asked.")
    assert Transaction.objects.filter(kind="booking_refund").count() == 1
    assert wallet_for_user(user=passenger).balance == 19_000


def test_refund_of_an_unknown_reference_is_refused(passenger):
    with pytest.raises(RefundNotAllowed):
        booking_refund(reference_type="pnr", reference_id="nope", amount=1)

    assert not Transaction.objects.exists()


def test_cash_sale_fills_the_drawer_and_credits_the_company(agent, company):
    txn = cash_sale(
        agent=agent, company=company, amount=2_000, reference_type="pnr", reference_id="C1"
    )

    drawer = Account.objects.get(kind="drawer", user=agent)
    assert entries_of(txn) == {"drawer": -2_000, "revenue": 1_900, "commission": 100}
    assert drawer.balance == 2_000  # the cash the agent holds
    assert_invariants_hold()


def test_cash_refund_pays_back_from_the_drawer(agent, company):
    cash_sale(agent=agent, company=company, amount=2_000, reference_type="pnr", reference_id="C1")

    txn = cash_refund(agent=agent, reference_type="pnr", reference_id="C1", amount=2_000)

    assert entries_of(txn) == {"drawer": 2_000, "revenue": -1_900, "commission": -100}
    assert Account.objects.get(kind="drawer", user=agent).balance == 0
    assert_invariants_hold()


def test_cash_refund_needs_cash_in_the_paying_drawer(agent, company):
    cash_sale(agent=agent, company=company, amount=2_000, reference_type="pnr", reference_id="C1")
    other_agent = PassengerFactory(role="agent")

    with pytest.raises(InsufficientCash) as refused:
        cash_refund(agent=other_agent, reference_type="pnr", reference_id="C1", amount=500)

    assert refused.value.message == (
        "The cash drawer holds ₹0.00; this refund needs ₹5.00. Nothing was paid out."
    )
    assert not Transaction.objects.filter(kind="cash_refund").exists()


def test_only_agents_sell_for_cash(passenger, company):
    with pytest.raises(NotAnAgent):
        cash_sale(
            agent=passenger, company=company, amount=100, reference_type="pnr", reference_id="C1"
        )

    assert not Account.objects.exists()


def test_payout_settles_revenue_once_and_never_more_than_earned(passenger, company):
    fund_wallet(passenger, 10_000)
    booking_charge(
        wallet_owner=passenger,
        company=company,
        amount=10_000,
        reference_type="pnr",
        reference_id="1",
    )

    txn = payout_record(company=company, amount=9_000, reference_id="NEFT-001")
    with pytest.raises(PayoutNotAllowed):
        payout_record(company=company, amount=501, reference_id="NEFT-002")
    with pytest.raises(PayoutNotAllowed) as again:
        payout_record(company=company, amount=100, reference_id="NEFT-001")

    assert entries_of(txn) == {"revenue": -9_000, "payout_clearing": 9_000}
    assert again.value.message == "A payout with the reference 'NEFT-001' is already recorded."
    assert Transaction.objects.filter(kind="payout").count() == 1
    assert_invariants_hold()
