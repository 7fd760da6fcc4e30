"""A shift's cash through the ledger: the float from the company's cash office into the
agent's drawer, the takings handed back to it."""

import pytest
from django.db import IntegrityError, transaction

from payments.exceptions import InsufficientCash, InvalidAmount, NotAnAgent
from payments.ledger.cash_office import cash_float_issue, cash_handover
from payments.ledger.sales import cash_sale
from payments.models import Account, Transaction
from ttms.invariants import run_checks

from .factories import PassengerFactory

pytestmark = pytest.mark.django_db


def entries_of(txn: Transaction) -> dict[str, int]:
    return {e.account.kind: e.amount for e in txn.entries.select_related("account")}


def drawer_balance(agent) -> int:
    return Account.objects.get(kind="drawer", user=agent).balance


def assert_invariants_hold():
    checks = run_checks()
    assert checks == {name: [] for name in checks}


def test_float_moves_cash_from_company_office_into_drawer(agent, company):
    txn = cash_float_issue(
        agent=agent, company=company, amount=2_000, reference_type="pos_shift", reference_id="7"
    )

    assert txn.kind == "cash_float"
    assert (txn.reference_type, txn.reference_id) == ("pos_shift", "7")
    assert entries_of(txn) == {"drawer": -2_000, "company_cash": 2_000}
    assert drawer_balance(agent) == 2_000
    office = Account.objects.get(kind="company_cash", company=company)
    assert (office.currency, office.balance) == (company.currency, 0)
    assert_invariants_hold()


def test_handover_returns_drawer_to_what_it_held_before_the_shift(agent, company):
    cash_float_issue(
        agent=agent, company=company, amount=2_000, reference_type="pos_shift", reference_id="1"
    )
    cash_sale(agent=agent, company=company, amount=10_000, reference_type="pnr", reference_id="1")

    txn = cash_handover(
        agent=agent, company=company, amount=12_000, reference_type="pos_shift", reference_id="1"
    )

    assert txn.kind == "cash_handover"
    assert entries_of(txn) == {"drawer": 12_000, "company_cash": -12_000}
    assert drawer_balance(agent) == 0
    office = Account.objects.get(kind="company_cash", company=company)
    assert sum(office.entries.values_list("amount", flat=True)) == -10_000
    assert_invariants_hold()


def test_handover_of_more_than_the_drawer_holds_writes_nothing(agent, company):
    cash_sale(agent=agent, company=company, amount=500, reference_type="pnr", reference_id="2")
    before = Transaction.objects.count()

    with pytest.raises(InsufficientCash):
        cash_handover(
            agent=agent, company=company, amount=501, reference_type="pos_shift", reference_id="2"
        )

    assert Transaction.objects.count() == before
    assert drawer_balance(agent) == 500
    assert_invariants_hold()


def test_float_refuses_a_non_agent_and_a_bad_amount(agent, company):
    with pytest.raises(NotAnAgent):
        cash_float_issue(
            agent=PassengerFactory(),
            company=company,
            amount=100,
            reference_type="pos_shift",
            reference_id="3",
        )
    with pytest.raises(InvalidAmount):
        cash_float_issue(
            agent=agent, company=company, amount=0, reference_type="pos_shift", reference_id="3"
        )
    assert not Transaction.objects.exists()


def test_company_cash_account_belongs_to_a_company_only(company, passenger):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind="company_cash", user=passenger)
    Account.objects.create(kind="company_cash", company=company, currency=company.currency)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind="company_cash", company=company, currency=company.currency)
