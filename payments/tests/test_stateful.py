"""Random sequences of top-ups, charges, refunds, cash sales and cash refunds, checked
step by step against a small model of who should hold what, and against every invariant."""

import hypothesis.strategies as st
import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from payments.exceptions import InsufficientCash, InsufficientFunds, RefundNotAllowed
from payments.ledger import refunds, sales
from payments.models import Account, Entry
from payments.topups.services import wallet_topup_start
from payments.topups.webhooks import sandbox_payment_complete
from ttms.invariants import run_checks

from .factories import AgentFactory, CompanyFactory, PassengerFactory

PASSENGERS, AGENTS = 2, 2
COMMISSIONS_BP = (0, 333, 1_250)

person = st.integers(min_value=0, max_value=PASSENGERS - 1)
agent_index = st.integers(min_value=0, max_value=AGENTS - 1)
company_index = st.integers(min_value=0, max_value=len(COMMISSIONS_BP) - 1)
amount = st.integers(min_value=1, max_value=30_000)


class LedgerMachine(RuleBasedStateMachine):
    """Each run happens in a savepoint rolled back at teardown."""

    @initialize()
    def open_the_books(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.passengers = [PassengerFactory() for _ in range(PASSENGERS)]
        self.agents = [AgentFactory() for _ in range(AGENTS)]
        self.companies = [CompanyFactory(commission_bp=bp) for bp in COMMISSIONS_BP]
        self.wallets = [0] * PASSENGERS
        self.drawers = [0] * AGENTS
        self.charges: dict[str, list[int]] = {}  # reference -> [passenger, charged, refunded]
        self.cash: dict[str, list[int]] = {}  # reference -> [sold, refunded]
        self.company_earnings = 0  # revenue + commission: sales less refunds
        self.counter = 0

    def teardown(self):
        if hasattr(self, "_atomic"):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    def _reference(self) -> str:
        self.counter += 1
        return f"R{self.counter}"

    @rule(p=person, amount=st.integers(min_value=100, max_value=100_000), approve=st.booleans())
    def top_up(self, p, amount, approve):
        payment = wallet_topup_start(user=self.passengers[p], amount=amount, provider="sandbox")
        payment = sandbox_payment_complete(payment=payment, approve=approve)
        assert payment.status == ("succeeded" if approve else "failed")
        if approve:
            self.wallets[p] += amount

    @rule(p=person, c=company_index, amount=amount)
    def charge(self, p, c, amount):
        reference = self._reference()
        try:
            sales.booking_charge(
                wallet_owner=self.passengers[p],
                company=self.companies[c],
                amount=amount,
                reference_type="pnr",
                reference_id=reference,
            )
        except InsufficientFunds:
            assert self.wallets[p] < amount
            return
        assert self.wallets[p] >= amount
        self.wallets[p] -= amount
        self.company_earnings += amount
        self.charges[reference] = [p, amount, 0]

    @precondition(lambda self: self.charges)
    @rule(data=st.data())
    def refund(self, data):
        reference = data.draw(st.sampled_from(sorted(self.charges)))
        p, charged, refunded = self.charges[reference]
        asked = data.draw(st.integers(min_value=1, max_value=charged - refunded + 50))
        try:
            refunds.booking_refund(reference_type="pnr", reference_id=reference, amount=asked)
        except RefundNotAllowed:
            assert asked > charged - refunded
            return
        assert asked <= charged - refunded
        self.charges[reference][2] += asked
        self.wallets[p] += asked
        self.company_earnings -= asked

    @rule(a=agent_index, c=company_index, amount=amount)
    def cash_sale(self, a, c, amount):
        reference = self._reference()
        sales.cash_sale(
            agent=self.agents[a],
            company=self.companies[c],
            amount=amount,
            reference_type="pnr",
            reference_id=reference,
        )
        self.drawers[a] += amount
        self.company_earnings += amount
        self.cash[reference] = [amount, 0]

    @precondition(lambda self: self.cash)
    @rule(data=st.data(), a=agent_index)
    def cash_refund(self, data, a):
        reference = data.draw(st.sampled_from(sorted(self.cash)))
        sold, refunded = self.cash[reference]
        asked = data.draw(st.integers(min_value=1, max_value=sold - refunded + 50))
        try:
            refunds.cash_refund(
                agent=self.agents[a], reference_type="pnr", reference_id=reference, amount=asked
            )
        except RefundNotAllowed:
            assert asked > sold - refunded
            return
        except InsufficientCash:
            assert asked <= sold - refunded and self.drawers[a] < asked
            return
        assert asked <= sold - refunded and self.drawers[a] >= asked
        self.cash[reference][1] += asked
        self.drawers[a] -= asked
        self.company_earnings -= asked

    @invariant()
    def every_ledger_invariant_holds(self):
        if hasattr(self, "_atomic"):
            problems = run_checks()
            assert problems == {name: [] for name in problems}

    @invariant()
    def balances_are_what_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        wallets = dict(Account.objects.filter(kind="wallet").values_list("user_id", "balance"))
        drawers = dict(Account.objects.filter(kind="drawer").values_list("user_id", "balance"))
        assert [wallets.get(u.pk, 0) for u in self.passengers] == self.wallets
        assert [drawers.get(u.pk, 0) for u in self.agents] == self.drawers
        earned = sum(
            Entry.objects.filter(account__kind__in=["revenue", "commission"]).values_list(
                "amount", flat=True
            )
        )
        assert earned == self.company_earnings


@pytest.mark.django_db
def test_random_money_movements_keep_every_invariant():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
            print_blob=True,
        ),
    )
