from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from payments.ledger.sales import booking_charge, cash_sale
from payments.models import Account, Entry, Payment, Transaction

from .factories import PaymentFactory, fund_wallet

pytestmark = pytest.mark.django_db


def check() -> str:
    out = StringIO()
    call_command("check_invariants", stdout=out)
    return out.getvalue()


def check_fails() -> tuple[str, int]:
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("check_invariants", stdout=out)
    return out.getvalue(), failed.value.returncode


@pytest.fixture
def books(passenger, company, agent):
    fund_wallet(passenger, 10_000)
    booking_charge(
        wallet_owner=passenger,
        company=company,
        amount=4_000,
        reference_type="order",
        reference_id="1",
    )
    cash_sale(agent=agent, company=company, amount=1_000, reference_type="order", reference_id="2")


def test_a_sound_ledger_passes(books):
    lines = check().splitlines()
    assert [line for line in lines if "payments." in line] == [
        "ok    payments.invariants.transactions_sum_to_zero",
        "ok    payments.invariants.currencies_sum_to_zero",
        "ok    payments.invariants.balances_equal_entries",
        "ok    payments.invariants.idempotency_keys_moved_money_once",
        "ok    payments.invariants.settlement_runs_apart_and_paid_as_recorded",
    ]
    assert lines[-1] == "All invariants hold."


def test_a_balance_that_drifted_from_its_entries_fails_with_exit_code_1(books, passenger):
    Account.objects.filter(kind="wallet").update(balance=6_001)

    report, code = check_fails()

    wallet = Account.objects.get(kind="wallet")
    assert code == 1
    assert "FAIL  payments.invariants.balances_equal_entries: 1 problem(s)" in report
    assert f"- wallet account {wallet.pk}: balance 6001, entries say 6000" in report


def test_an_unbalanced_transaction_fails(books):
    charge = Transaction.objects.get(kind="booking_charge")
    Entry.objects.filter(transaction=charge, account__kind="commission").delete()

    report, code = check_fails()

    assert code == 1
    assert f"- transaction {charge.pk} (booking_charge) has 2 entries summing to -200" in report


def test_an_entry_on_an_account_of_another_currency_fails_per_currency(books):
    charge = Transaction.objects.get(kind="booking_charge")
    commission = Entry.objects.get(transaction=charge, account__kind="commission")
    rwf_commission = Account.objects.create(kind="commission", currency="RWF")
    Entry.objects.filter(pk=commission.pk).update(account=rwf_commission)

    report, code = check_fails()

    assert code == 1
    assert "FAIL  payments.invariants.currencies_sum_to_zero: 2 problem(s)" in report
    assert "- the entries in INR sum to -200, not zero" in report
    assert "- the entries in RWF sum to 200, not zero" in report
    assert "FAIL  payments.invariants.transactions_sum_to_zero: 1 problem(s)" in report
    assert f"- transaction {charge.pk} has an entry on an account of another currency" in report


def test_a_payment_pointing_at_money_it_did_not_move_fails(books, passenger):
    other = PaymentFactory(user=passenger)
    charge = Transaction.objects.get(kind="booking_charge")
    Payment.objects.filter(pk=other.pk).update(status="succeeded", transaction=charge)

    report, code = check_fails()

    assert code == 1
    assert f"- payment {other.pk} points at the transaction of order 1" in report


def test_the_database_refuses_a_second_credit_for_one_payment(books):
    topup = Transaction.objects.get(kind="topup")

    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.create(
            kind="topup", reference_type="payment", reference_id=topup.reference_id
        )

    assert check().endswith("All invariants hold.\n")
