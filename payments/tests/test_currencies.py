"""Wallets, top-ups, postings and reports when operators sell in different currencies: never
a conversion, never a sum across currencies."""

from datetime import UTC, datetime

import pytest
import time_machine

from payments.exceptions import CurrencyMismatch
from payments.ledger.clearing import payout_record
from payments.ledger.refunds import booking_refund, cash_refund
from payments.ledger.sales import booking_charge, cash_sale
from payments.ledger.selectors import wallet_for_user, wallets_for_user
from payments.models import Account, Payment, Transaction
from payments.topups.collection import payment_request_send
from payments.topups.services import topup_limits, wallet_topup_start
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from .factories import CompanyFactory, fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def rwf_company(db):
    return CompanyFactory(name="Volcano Express", slug="volcano", currency="RWF", commission_bp=500)


@pytest.fixture
def signed_in(client, passenger):
    client.force_login(passenger)
    return client


def test_wallets_for_user_are_one_per_currency_ordered_by_currency(passenger):
    fund_wallet(passenger, 5_000, currency="RWF")
    fund_wallet(passenger, 10_000)

    wallets = wallets_for_user(user=passenger)

    assert [(w.currency, w.balance) for w in wallets] == [("INR", 10_000), ("RWF", 5_000)]
    assert wallet_for_user(user=passenger, currency="RWF").balance == 5_000
    assert wallet_for_user(user=passenger).currency == "INR"


def test_topup_limits_come_from_the_setting_in_major_units(settings):
    settings.TTMS_TOPUP_LIMITS = {"RWF": ("500", "2000000"), "KES": ("50", "150000")}

    assert topup_limits(currency="RWF") == (500, 2_000_000)
    assert topup_limits(currency="KES") == (5_000, 15_000_000)
    assert topup_limits(currency="UGX") == (1, 100_000)
    assert topup_limits(currency="INR") == (100, 10_000_000)


def test_wallet_page_shows_each_wallet_and_the_history_of_the_one_asked_for(
    signed_in, passenger, rwf_company, company
):
    fund_wallet(passenger, 123_450)
    fund_wallet(passenger, 50_000, currency="RWF")

    html = signed_in.get("/wallet/?currency=RWF").content.decode()

    assert '<a href="?currency=INR" class="wallet-balance"' in html
    assert (
        '<a href="?currency=RWF" aria-current="true" class="wallet-balance" '
        'data-testid="wallet-balance" data-currency="RWF">RWF\u00a050,000</a>'
    ) in html
    assert "History of the RWF wallet" in html
    assert "+RWF\u00a050,000" in html
    assert "+₹1,234.50" not in html


def test_wallet_page_preselects_the_currency_and_amount_of_a_short_booking(
    signed_in, rwf_company, company
):
    response = signed_in.get("/wallet/?currency=RWF&amount=1600")

    form = response.context["form"]
    assert (form["currency"].value(), form["amount"].value()) == ("RWF", "1600")
    assert [code for code, _label in form.fields["currency"].choices] == ["INR", "RWF"]
    assert '<option value="RWF" selected>RWF</option>' in response.content.decode()


def test_topup_page_takes_whole_francs_in_rwf(signed_in, passenger, rwf_company):
    response = signed_in.post("/wallet/topup/", {"amount": "2,500", "currency": "RWF"})

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert (payment.amount, payment.currency) == (2_500, "RWF")


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("2500.5", "Enter a whole amount such as 500: RWF has no decimals."),
        ("499", "The least you can top up is RWF\u00a0500."),
    ],
)
def test_topup_page_refuses_francs_with_decimals_or_under_the_rwf_limit(
    signed_in, rwf_company, amount, message
):
    response = signed_in.post("/wallet/topup/", {"amount": amount, "currency": "RWF"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"amount": [message]}
    assert not Payment.objects.exists()


def test_topup_page_refuses_a_currency_no_operator_sells(signed_in, rwf_company):
    response = signed_in.post("/wallet/topup/", {"amount": "500", "currency": "KES"})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["currency"]
    assert not Payment.objects.exists()


def test_payout_named_in_another_currency_is_a_mismatch_and_writes_nothing(passenger, rwf_company):
    fund_wallet(passenger, 10_000, currency="RWF")
    booking_charge(
        wallet_owner=passenger,
        company=rwf_company,
        amount=4_000,
        reference_type="pnr",
        reference_id="R1",
    )
    before = Transaction.objects.count()

    with pytest.raises(CurrencyMismatch) as refused:
        payout_record(company=rwf_company, amount=1_000, currency="INR", reference_id="BK-1")

    assert refused.value.code == "currency_mismatch"
    assert refused.value.status_code == 409
    assert refused.value.fields == {
        "currency": [
            "Volcano Express is in RWF; an amount in INR cannot be posted to it "
            "(money is never converted)."
        ]
    }
    assert Transaction.objects.count() == before
    payout = payout_record(company=rwf_company, amount=1_000, currency="RWF", reference_id="BK-2")
    assert payout.currency == "RWF"


def test_charge_and_cash_sale_priced_in_another_currency_are_refused(passenger, rwf_company):
    fund_wallet(passenger, 10_000, currency="RWF")
    agent = UserFactory(role=Role.AGENT)

    with pytest.raises(CurrencyMismatch):
        booking_charge(
            wallet_owner=passenger,
            company=rwf_company,
            amount=4_000,
            currency="INR",
            reference_type="pnr",
            reference_id="R1",
        )
    with pytest.raises(CurrencyMismatch):
        cash_sale(
            agent=agent,
            company=rwf_company,
            amount=4_000,
            currency="KES",
            reference_type="pos",
            reference_id="C1",
        )

    assert not Transaction.objects.exclude(kind="topup").exists()
    assert wallet_for_user(user=passenger, currency="RWF").balance == 10_000
    assert not Account.objects.filter(kind="drawer").exists()


def test_refunds_asked_in_another_currency_are_refused(passenger, rwf_company):
    fund_wallet(passenger, 10_000, currency="RWF")
    agent = UserFactory(role=Role.AGENT)
    booking_charge(
        wallet_owner=passenger,
        company=rwf_company,
        amount=4_000,
        reference_type="pnr",
        reference_id="R1",
    )
    cash_sale(
        agent=agent, company=rwf_company, amount=3_000, reference_type="pos", reference_id="C1"
    )
    before = Transaction.objects.count()

    with pytest.raises(CurrencyMismatch):
        booking_refund(reference_type="pnr", reference_id="R1", amount=1_000, currency="INR")
    with pytest.raises(CurrencyMismatch):
        cash_refund(
            agent=agent, reference_type="pos", reference_id="C1", amount=1_000, currency="INR"
        )

    assert Transaction.objects.count() == before
    refund = booking_refund(reference_type="pnr", reference_id="R1", amount=1_000, currency="RWF")
    assert refund.currency == "RWF"
    assert wallet_for_user(user=passenger, currency="RWF").balance == 7_000


def test_settlement_report_is_in_each_company_currency_and_commission_per_currency(
    client, passenger, company, rwf_company
):
    # Mid-morning in Kolkata and Kigali alike: the sales fall on the same local day in
    # both companies' zones, whenever the suite runs.
    with time_machine.travel(datetime(2030, 1, 7, 6, 0, tzinfo=UTC), tick=False):
        fund_wallet(passenger, 100_000)
        fund_wallet(passenger, 100_000, currency="RWF")
        for owner, amount, ref in ((company, 10_000, "A1"), (rwf_company, 20_000, "B1")):
            booking_charge(
                wallet_owner=passenger,
                company=owner,
                amount=amount,
                reference_type="pnr",
                reference_id=ref,
            )
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True))
    day = "2030-01-07"

    response = client.get("/admin/payments/account/settlement/", {"start": day, "end": day})

    reports = {
        r.company.name: (r.currency, r.sales, r.commission) for r in response.context["reports"]
    }
    assert reports == {
        "Konkan Rail": ("INR", 10_000, 500),
        "Volcano Express": ("RWF", 20_000, 1_000),
    }
    assert response.context["commission_totals"] == [("INR", 500), ("RWF", 1_000)]
    html = response.content.decode()
    assert "<tr><td>INR</td><td>₹5.00</td></tr>" in html
    assert "<tr><td>RWF</td><td>RWF\u00a01,000</td></tr>" in html


def test_account_list_shows_every_balance_in_its_currency(client, passenger, rwf_company):
    fund_wallet(passenger, 10_000, currency="RWF")
    booking_charge(
        wallet_owner=passenger,
        company=rwf_company,
        amount=4_000,
        reference_type="pnr",
        reference_id="R1",
    )
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True))

    response = client.get("/admin/payments/account/")

    admin = response.context["cl"].model_admin
    shown = {
        (a.kind, a.currency): admin.balance_display(a) for a in response.context["cl"].result_list
    }
    assert shown == {
        ("wallet", "RWF"): "RWF\u00a06,000",
        ("provider_clearing", "RWF"): "-RWF\u00a010,000",
        ("revenue", "RWF"): "RWF\u00a03,800",
        ("commission", "RWF"): "RWF\u00a0200",
    }


def test_mobile_money_carries_the_currency_to_the_provider_and_back(
    client, fake_mobilemoney, passenger, rwf_company
):
    payment = wallet_topup_start(
        user=passenger,
        amount=2_500,
        currency="RWF",
        provider="mobilemoney",
        payer="+250 788 123 456",
    )
    payment_request_send(payment_id=payment.pk)
    _method, _path, sent = fake_mobilemoney.requests[0]
    fake_mobilemoney.approve(payment.provider_reference)
    body, headers = fake_mobilemoney.callback(payment.provider_reference)

    response = client.post(
        "/api/v1/payments/webhooks/mobilemoney/",
        data=body,
        content_type="application/json",
        headers=headers,
    )

    assert (sent["amount"], sent["currency"]) == ("2500", "RWF")
    assert response.json()["outcome"] == "applied"
    assert [(w.currency, w.balance) for w in wallets_for_user(user=passenger)] == [("RWF", 2_500)]


def test_a_transaction_page_shows_its_entries_in_their_currency(client, passenger, rwf_company):
    fund_wallet(passenger, 10_000, currency="RWF")
    topup = Transaction.objects.get(kind="topup")
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True))

    html = client.get(f"/admin/payments/transaction/{topup.pk}/change/").content.decode()

    assert "RWF\u00a010,000" in html
    assert "-RWF\u00a010,000" in html
