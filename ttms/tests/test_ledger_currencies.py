"""The ledger across operators of different currencies: an Indian railway selling in rupees
and a Rwandan bus operator selling in francs, side by side.

A random run of top-ups in both currencies, bookings on a rail INR trip and a bus RWF trip,
cancellations with their refunds, cash sales and cash refunds, payouts, and inputs naming
the wrong currency, checked after every step: no transaction mixes currencies or differs
from its entries' accounts, every kept balance equals its entries, the entries of each
currency sum to zero, and each wallet and drawer holds what a small model says, per
currency. Then plain tests of the wallet API and top-ups by currency.
"""

from datetime import datetime, timedelta
from importlib import import_module
from zoneinfo import ZoneInfo

import hypothesis.strategies as st
import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Count, Sum
from hypothesis import HealthCheck, event, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from booking.lifecycle.services.cancellation import booking_cancel
from booking.models import FareRule
from booking.sales.services.create import booking_create
from booking.sales.services.draft import draft_get, draft_review, draft_start
from booking.tests.factories import adult, make_trip, rail_company
from fleet.models import Company
from fleet.tests.factories import CompanyFactory
from payments.exceptions import (
    CurrencyMismatch,
    CurrencyNotSold,
    InsufficientCash,
    InsufficientFunds,
    PayoutNotAllowed,
    RefundNotAllowed,
)
from payments.invariants import (
    balances_equal_entries,
    currencies_sum_to_zero,
    transactions_sum_to_zero,
)
from payments.ledger import clearing, refunds, sales
from payments.models import Account, Entry, Payment, Transaction
from payments.tests.factories import AgentFactory, PassengerFactory
from payments.topups.services import wallet_topup_start
from payments.topups.webhooks import sandbox_payment_complete

CURRENCIES = ("INR", "RWF")
PASSENGERS = 2
KIGALI = ZoneInfo("Africa/Kigali")
IST = ZoneInfo("Asia/Kolkata")

person = st.integers(min_value=0, max_value=PASSENGERS - 1)
currency = st.sampled_from(CURRENCIES)
# Within the default TTMS_TOPUP_LIMITS: ₹1 to ₹100,000; RWF 500 to RWF 2,000,000.
TOPUP = {
    "INR": st.integers(min_value=100, max_value=2_000_000),
    "RWF": st.integers(min_value=500, max_value=200_000),
}


@pytest.fixture(autouse=True)
def sandbox_on(settings):
    settings.TTMS_PAYMENT_PROVIDERS = ["sandbox"]
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = "sandbox-test-secret"
    settings.TTMS_CURRENCY = "INR"


def two_operators():
    """An INR railway with a sleeper trip (ST1..ST3) and an RWF bus operator with a coach
    trip (KG1..KG3); returns {currency: (company, trip)}."""
    railway = rail_company(name="Konkan Rail", slug="konkan", currency="INR", commission_bp=500)
    rail_trip = make_trip(company=railway, stops=3)
    buses = CompanyFactory(
        name="Volcano Express",
        slug="volcano",
        kind=Company.Kind.BUS,
        currency="RWF",
        commission_bp=750,
    )
    # RWF 20 a km, at least RWF 500: 80 km cost RWF 1,600.
    FareRule.objects.create(company=buses, class_code="STANDARD", rate_per_km=20, minimum_fare=500)
    bus_trip = make_trip(
        company=buses,
        coaches=(("C1", "STANDARD"),),
        stops=3,
        code_prefix="KG",
        departure=datetime(2030, 1, 7, 7, 0, tzinfo=KIGALI),
        km_per_leg=40,
    )
    return {"INR": (railway, rail_trip), "RWF": (buses, bus_trip)}


def wallet_balances() -> dict[tuple[int, str], int]:
    return {
        (user_id, code): balance
        for user_id, code, balance in Account.objects.filter(kind="wallet").values_list(
            "user_id", "currency", "balance"
        )
    }


class TwoCurrencyLedger(RuleBasedStateMachine):
    """Each run happens in a savepoint rolled back at teardown."""

    @initialize()
    def open_the_books(self):
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.operators = two_operators()
        self.passengers = [PassengerFactory() for _ in range(PASSENGERS)]
        self.agent = AgentFactory()
        self.wallets = {(p.pk, code): 0 for p in self.passengers for code in CURRENCIES}
        self.drawers = dict.fromkeys(CURRENCIES, 0)
        self.pnrs = []  # (pnr, passenger index)
        self.cash = {}  # reference -> [currency, sold, refunded]
        self.counter = 0
        # Each passenger starts with ₹500 and RWF 5,000: enough for a few tickets each.
        for user in self.passengers:
            for code, amount in (("INR", 50_000), ("RWF", 5_000)):
                payment = wallet_topup_start(
                    user=user, amount=amount, currency=code, provider="sandbox"
                )
                sandbox_payment_complete(payment=payment, approve=True)
                self.wallets[(user.pk, code)] += amount

    def teardown(self):
        if hasattr(self, "_atomic"):
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    def _reference(self) -> str:
        self.counter += 1
        return f"CASH{self.counter}"

    @rule(p=person, data=st.data(), code=currency, approve=st.booleans())
    def top_up(self, p, data, code, approve):
        amount = data.draw(TOPUP[code])
        user = self.passengers[p]
        payment = wallet_topup_start(user=user, amount=amount, currency=code, provider="sandbox")
        payment = sandbox_payment_complete(payment=payment, approve=approve)
        assert (payment.currency, payment.status) == (code, "succeeded" if approve else "failed")
        if approve:
            self.wallets[(user.pk, code)] += amount
            assert payment.transaction.currency == code

    @rule(p=person, code=st.sampled_from(["KES", "USD"]))
    def top_up_in_a_currency_nobody_sells(self, p, code):
        payments = Payment.objects.count()
        with pytest.raises(CurrencyNotSold):
            wallet_topup_start(
                user=self.passengers[p], amount=10_000, currency=code, provider="sandbox"
            )
        assert Payment.objects.count() == payments

    @rule(p=person, code=currency)
    def book(self, p, code):
        company, trip = self.operators[code]
        user = self.passengers[p]
        stops = list(trip.route.stops.order_by("sequence").values_list("station__code", flat=True))
        before = wallet_balances()
        try:
            pnr = booking_create(
                user=user,
                trip_id=trip.pk,
                origin_code=stops[0],
                destination_code=stops[-1],
                class_code="SL" if code == "INR" else "STANDARD",
                quota="GENERAL",
                passengers=[adult()],
                now=trip.departure_at - timedelta(days=2),
            )
        except InsufficientFunds:
            assert wallet_balances() == before
            return
        charge = Transaction.objects.get(
            kind="booking_charge", reference_type="pnr", reference_id=pnr.number
        )
        assert charge.currency == company.currency == code
        paid = -Entry.objects.get(transaction=charge, account__kind="wallet").amount
        assert paid == pnr.total_fare > 0
        self.wallets[(user.pk, code)] -= paid
        self.pnrs.append((pnr, p, code))
        event(f"booked in {code}")

    @precondition(lambda self: self.pnrs)
    @rule(data=st.data())
    def cancel(self, data):
        pnr, p, code = data.draw(st.sampled_from(self.pnrs))
        self.pnrs.remove((pnr, p, code))
        user = self.passengers[p]
        _company, trip = self.operators[code]
        refunds_before = Transaction.objects.filter(
            kind="booking_refund", reference_id=pnr.number
        ).count()
        booking_cancel(pnr=pnr, by=user, now=trip.departure_at - timedelta(days=3))
        refunded = Transaction.objects.filter(
            kind="booking_refund", reference_id=pnr.number
        ).order_by("pk")[refunds_before:]
        for refund in refunded:
            event(f"refunded in {code}")
            assert refund.currency == code
            self.wallets[(user.pk, code)] += Entry.objects.get(
                transaction=refund, account__kind="wallet"
            ).amount

    @precondition(lambda self: self.pnrs)
    @rule(data=st.data())
    def refund_asked_in_the_other_currency(self, data):
        pnr, _p, code = data.draw(st.sampled_from(self.pnrs))
        other = next(c for c in CURRENCIES if c != code)
        transactions = Transaction.objects.count()
        with pytest.raises(CurrencyMismatch):
            refunds.booking_refund(
                reference_type="pnr", reference_id=pnr.number, amount=1, currency=other
            )
        assert Transaction.objects.count() == transactions

    @rule(code=currency, amount=st.integers(min_value=1, max_value=500_000))
    def cash_sale(self, code, amount):
        company, _trip = self.operators[code]
        reference = self._reference()
        sale = sales.cash_sale(
            agent=self.agent,
            company=company,
            amount=amount,
            reference_type="pos",
            reference_id=reference,
        )
        assert sale.currency == code
        self.drawers[code] += amount
        self.cash[reference] = [code, amount, 0]

    @precondition(lambda self: self.cash)
    @rule(data=st.data())
    def cash_refund(self, data):
        reference = data.draw(st.sampled_from(sorted(self.cash)))
        code, sold, refunded = self.cash[reference]
        asked = data.draw(st.integers(min_value=1, max_value=sold - refunded + 10))
        try:
            refund = refunds.cash_refund(
                agent=self.agent, reference_type="pos", reference_id=reference, amount=asked
            )
        except RefundNotAllowed:
            assert asked > sold - refunded
            return
        except InsufficientCash:
            assert self.drawers[code] < asked
            return
        assert refund.currency == code
        event(f"cash refunded in {code}")
        self.cash[reference][2] += asked
        self.drawers[code] -= asked

    @rule(code=currency, named=st.sampled_from([None, "same", "other"]), data=st.data())
    def payout(self, code, named, data):
        company, _trip = self.operators[code]
        asked_in = {None: None, "same": code, "other": "RWF" if code == "INR" else "INR"}[named]
        revenue = Account.objects.filter(kind="revenue", company=company).first()
        available = revenue.entries.aggregate(total=Sum("amount"))["total"] or 0 if revenue else 0
        amount = data.draw(st.integers(min_value=1, max_value=max(1, available)))
        transactions = Transaction.objects.count()
        self.counter += 1
        try:
            payout = clearing.payout_record(
                company=company,
                amount=amount,
                currency=asked_in,
                reference_id=f"BANK{self.counter}",
            )
        except CurrencyMismatch:
            assert named == "other"
            assert Transaction.objects.count() == transactions
            return
        except PayoutNotAllowed:
            assert amount > available
            assert Transaction.objects.count() == transactions
            return
        assert named != "other"
        assert payout.currency == code
        event(f"paid out in {code}")

    @invariant()
    def no_transaction_mixes_currencies(self):
        if not hasattr(self, "_atomic"):
            return
        mixed = (
            Transaction.objects.annotate(
                currencies=Count("entries__account__currency", distinct=True)
            )
            .filter(currencies__gt=1)
            .count()
        )
        assert mixed == 0
        assert transactions_sum_to_zero() == []

    @invariant()
    def each_currency_sums_to_zero_and_balances_equal_entries(self):
        if not hasattr(self, "_atomic"):
            return
        assert currencies_sum_to_zero() == []
        assert balances_equal_entries() == []

    @invariant()
    def wallets_and_drawers_hold_what_the_model_says(self):
        if not hasattr(self, "_atomic"):
            return
        held = wallet_balances()
        assert {key: held.get(key, 0) for key in self.wallets} == self.wallets
        drawers = dict(
            Account.objects.filter(kind="drawer", user=self.agent).values_list(
                "currency", "balance"
            )
        )
        assert {code: drawers.get(code, 0) for code in CURRENCIES} == self.drawers


@pytest.mark.django_db
def test_random_money_in_two_currencies_never_crosses_and_every_currency_balances():
    run_state_machine_as_test(
        TwoCurrencyLedger,
        settings=settings(
            max_examples=25,
            stateful_step_count=10,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
            print_blob=True,
        ),
    )


# Plain tests: the wallet API and top-ups by currency.


def top_up_api(client, body, key):
    return client.post(
        "/api/v1/wallet/topups/", body, format="json", headers={"Idempotency-Key": key}
    )


def approve(client, payment_id):
    return client.post(
        f"/api/v1/payments/sandbox/{payment_id}/complete/", {"outcome": "approve"}, format="json"
    )


@pytest.fixture
def passenger_client(api_client, db):
    passenger = PassengerFactory(email="asha@example.com")
    api_client.force_authenticate(passenger)
    api_client.passenger = passenger
    return api_client


@pytest.mark.django_db
def test_topup_in_rwf_credits_the_rwf_wallet_only(passenger_client):
    two_operators()

    started = top_up_api(passenger_client, {"amount": 2_500, "currency": "RWF"}, "k1")
    approved = approve(passenger_client, started.json()["id"])

    assert started.status_code == 201
    assert (started.json()["amount"], started.json()["currency"]) == (2_500, "RWF")
    assert approved.json()["status"] == "succeeded"
    assert wallet_balances() == {(passenger_client.passenger.pk, "RWF"): 2_500}
    topup = Transaction.objects.get(kind="topup")
    assert topup.currency == "RWF"
    assert sorted(topup.entries.values_list("account__kind", "account__currency", "amount")) == [
        ("provider_clearing", "RWF", -2_500),
        ("wallet", "RWF", 2_500),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("currency", "code", "message"),
    [
        (
            "KES",
            "currency_not_sold",
            "No operator sells tickets in KES, so a wallet cannot be topped up in it. "
            "Choose one of: INR, RWF.",
        ),
        ("rwf", "unknown_currency", "'rwf' is not a currency code (ISO 4217, e.g. INR or RWF)."),
        ("ZZZ", "unknown_currency", "'ZZZ' is not a currency code (ISO 4217, e.g. INR or RWF)."),
    ],
)
def test_topup_in_a_currency_no_operator_sells_is_a_400_and_writes_nothing(
    passenger_client, currency, code, message
):
    two_operators()

    response = top_up_api(passenger_client, {"amount": 2_500, "currency": currency}, "k1")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": code,
        "message": message,
        "fields": {"currency": [message]},
    }
    assert not Payment.objects.exists()
    assert not Account.objects.exists()


@pytest.mark.django_db
def test_a_currency_sold_only_by_an_inactive_operator_is_not_sold(passenger_client):
    CompanyFactory(currency="INR")
    CompanyFactory(currency="RWF", is_active=False)

    response = top_up_api(passenger_client, {"amount": 2_500, "currency": "RWF"}, "k1")

    assert (response.status_code, response.json()["error"]["code"]) == (400, "currency_not_sold")
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_wallet_api_lists_both_wallets_and_keeps_the_default_one_on_top(passenger_client):
    two_operators()
    for key, body in (("k1", {"amount": 50_000, "currency": "RWF"}), ("k2", {"amount": 123_450})):
        approve(passenger_client, top_up_api(passenger_client, body, key).json()["id"])

    response = passenger_client.get("/api/v1/wallet/")

    assert response.json() == {
        "currency": "INR",
        "balance": 123_450,
        "balance_display": "₹1,234.50",
        "wallets": [
            {"currency": "INR", "balance": 123_450, "balance_display": "₹1,234.50"},
            {"currency": "RWF", "balance": 50_000, "balance_display": "RWF\u00a050,000"},
        ],
    }


@pytest.mark.django_db
def test_wallet_history_filters_by_currency_and_refuses_an_unknown_code(passenger_client):
    two_operators()
    for key, body in (("k1", {"amount": 50_000, "currency": "RWF"}), ("k2", {"amount": 100})):
        approve(passenger_client, top_up_api(passenger_client, body, key).json()["id"])

    rwf = passenger_client.get("/api/v1/wallet/transactions/?currency=RWF").json()
    every = passenger_client.get("/api/v1/wallet/transactions/").json()
    unknown = passenger_client.get("/api/v1/wallet/transactions/?currency=XYZ")

    assert [(r["currency"], r["amount"]) for r in rwf["results"]] == [("RWF", 50_000)]
    assert [(r["currency"], r["amount"]) for r in every["results"]] == [
        ("INR", 100),
        ("RWF", 50_000),
    ]
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "unknown_currency"
    assert unknown.json()["error"]["fields"] == {
        "currency": ["'XYZ' is not a currency code (ISO 4217, e.g. INR or RWF)."]
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (499, "The least you can top up is RWF\u00a0500."),
        (2_000_001, "The most you can top up at once is RWF\u00a02,000,000."),
    ],
)
def test_topup_limits_are_per_currency(passenger_client, amount, message):
    two_operators()

    response = top_up_api(passenger_client, {"amount": amount, "currency": "RWF"}, "k1")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"amount": [message]}
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_a_short_rwf_wallet_is_offered_at_least_the_least_rwf_topup():
    operators = two_operators()
    _buses, trip = operators["RWF"]
    user = PassengerFactory()
    session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    now = trip.departure_at - timedelta(days=2)
    # The fare is RWF 1,600 (80 km at RWF 20); the wallet holds RWF 1,500.
    payment = wallet_topup_start(user=user, amount=1_500, currency="RWF", provider="sandbox")
    sandbox_payment_complete(payment=payment, approve=True)
    key = draft_start(
        session=session,
        trip_id=trip.pk,
        origin_code="KG1",
        destination_code="KG3",
        class_code="STANDARD",
        quota="GENERAL",
        only_if_all_confirmed=False,
        passengers=[adult()],
        now=now,
    )

    shown = draft_review(
        trip_id=trip.pk, draft=draft_get(session=session, key=key), user=user, now=now
    )

    assert (shown.review.total, shown.review.balance) == (1_600, 1_500)
    assert (shown.review.short, shown.review.topup) == (100, 500)
