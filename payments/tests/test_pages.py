from datetime import UTC, datetime

import pytest
import time_machine

from payments.ledger.selectors import wallet_for_user
from payments.models import Payment

from .factories import PassengerFactory, PaymentFactory, fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, passenger):
    client.force_login(passenger)
    return client


def test_wallet_page_needs_sign_in(client):
    response = client.get("/wallet/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/wallet/")


def test_wallet_page_shows_balance_history_and_the_nav_link(signed_in, passenger):
    fund_wallet(passenger, 123_450)

    html = signed_in.get("/wallet/").content.decode()

    assert '<a href="/wallet/">Wallet</a>' in html
    assert (
        '<a href="?currency=INR" aria-current="true" class="wallet-balance" '
        'data-testid="wallet-balance" data-currency="INR">₹1,234.50</a>'
    ) in html
    assert "Wallet top-up" in html
    assert "+₹1,234.50" in html


def test_wallet_times_are_shown_in_the_display_zone_with_its_abbreviation(signed_in, passenger):
    with time_machine.travel(datetime(2026, 3, 15, 20, 45, tzinfo=UTC), tick=False):
        fund_wallet(passenger, 50_000)
        PaymentFactory(user=passenger, amount=20_000)
    # An hour later: the top-up is still waiting for payment (a day later it has expired).
    with time_machine.travel(datetime(2026, 3, 15, 21, 45, tzinfo=UTC), tick=False):
        html = signed_in.get("/wallet/").content.decode()

    moment = '<time datetime="2026-03-16T02:15:00+05:30">16 Mar 2026, 02:15 IST</time>'
    assert f'<td role="cell" class="history-when">{moment}</td>' in html
    assert f"₹200.00 · started {moment}" in html


def test_wallet_display_zone_comes_from_the_setting(signed_in, passenger, settings):
    settings.TTMS_DISPLAY_TIME_ZONE = "Europe/London"
    with time_machine.travel(datetime(2026, 3, 15, 20, 45, tzinfo=UTC), tick=False):
        fund_wallet(passenger, 50_000)

    html = signed_in.get("/wallet/").content.decode()

    assert '<time datetime="2026-03-15T20:45:00+00:00">15 Mar 2026, 20:45 GMT</time>' in html


def test_topup_form_takes_rupees_and_opens_the_sandbox_checkout(signed_in, passenger):
    response = signed_in.post("/wallet/topup/", {"amount": "1,499.50"})

    payment = Payment.objects.get()
    assert (payment.amount, payment.user, payment.status) == (149_950, passenger, "pending")
    assert response["Location"] == f"/api/v1/payments/sandbox/{payment.pk}/"


@pytest.mark.parametrize("amount", ["12.345", "-5", "abc", "0", "0.50"])
def test_topup_form_refuses_bad_amounts(signed_in, amount):
    response = signed_in.post("/wallet/topup/", {"amount": amount})

    assert response.status_code == 400
    assert 'id="id_amount_error"' in response.content.decode()
    assert not Payment.objects.exists()


def test_checkout_approve_credits_the_wallet_and_returns_to_it(signed_in, passenger):
    signed_in.post("/wallet/topup/", {"amount": "500"})
    payment = Payment.objects.get()
    page = signed_in.get(f"/api/v1/payments/sandbox/{payment.pk}/")

    response = signed_in.post(
        f"/api/v1/payments/sandbox/{payment.pk}/", {"outcome": "approve"}, follow=True
    )

    assert "Pay ₹500.00" in page.content.decode()
    assert response.redirect_chain == [("/wallet/", 302)]
    assert "₹500.00 added to your wallet." in response.content.decode()
    assert wallet_for_user(user=passenger).balance == 50_000


def test_checkout_decline_moves_no_money(signed_in, passenger):
    signed_in.post("/wallet/topup/", {"amount": "500"})
    payment = Payment.objects.get()

    response = signed_in.post(
        f"/api/v1/payments/sandbox/{payment.pk}/", {"outcome": "decline"}, follow=True
    )

    assert "Payment declined" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == "failed"
    assert wallet_for_user(user=passenger) is None


def test_checkout_of_someone_elses_payment_is_a_404(client, passenger):
    other = PassengerFactory()
    payment = Payment.objects.create(user=other, provider="sandbox", amount=1_000)
    client.force_login(passenger)

    response = client.post(f"/api/v1/payments/sandbox/{payment.pk}/", {"outcome": "approve"})

    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.status == "pending"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("99,999,999,999,999", "The most you can top up at once is ₹100,000.00."),
        ("99999999999999", "The most you can top up at once is ₹100,000.00."),
        ("100000.01", "The most you can top up at once is ₹100,000.00."),
        ("0.99", "The least you can top up is ₹1.00."),
        ("0", "Enter an amount greater than zero."),
    ],
)
def test_topup_form_out_of_the_limits_names_the_limit(signed_in, amount, message):
    response = signed_in.post("/wallet/topup/", {"amount": amount})

    assert response.status_code == 400
    assert response.context["form"].errors == {"amount": [message]}
    assert not Payment.objects.exists()
