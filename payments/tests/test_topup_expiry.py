"""Top-ups that never complete: expired by the beat task, shown as such on the wallet page,
dismissed by their payer; and a provider's success arriving after either still credits."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.ledger.selectors import wallet_for_user
from payments.models import Payment, Transaction, WebhookEvent
from payments.tasks import payments_expire_pending_task, payments_poll_pending_task
from payments.topups.collection import payment_request_send
from payments.topups.providers.sandbox import SandboxProvider
from payments.topups.services import payment_dismiss, wallet_topup_start
from payments.topups.webhooks import sandbox_payment_complete
from ttms.celery import BEAT_SCHEDULE, app

from .factories import PassengerFactory, PaymentFactory

pytestmark = pytest.mark.django_db

WEBHOOK = "/api/v1/payments/webhooks/sandbox/"


@pytest.fixture
def signed_in(client, passenger):
    client.force_login(passenger)
    return client


def started_hours_ago(hours: float, **fields) -> Payment:
    with time_machine.travel(timezone.now() - timedelta(hours=hours), tick=False):
        return PaymentFactory(**fields)


def dismiss_url(payment) -> str:
    return f"/wallet/topups/{payment.pk}/dismiss/"


def deliver_success(client, payment, event_id="evt_late"):
    body, headers = SandboxProvider().build_event(payment=payment, approve=True, event_id=event_id)
    del headers["Content-Type"]
    return client.post(WEBHOOK, data=body, content_type="application/json", headers=headers)


def section(html: str, heading_id: str) -> str:
    """The <section> labelled by `heading_id`, or "" when the page has none."""
    start = html.find(f'<section aria-labelledby="{heading_id}">')
    return html[start : html.index("</section>", start)] if start >= 0 else ""


# --- Expiry -----------------------------------------------------------------------------


def test_expiry_has_its_own_beat_entry_naming_a_registered_task():
    app.loader.import_default_modules()

    entry = BEAT_SCHEDULE["payments-expire-pending-payments"]

    assert entry["task"] == "payments.tasks.payments_expire_pending_task"
    assert entry["task"] in app.tasks


def test_expire_task_fails_topups_older_than_the_setting_as_expired(passenger, settings):
    settings.TTMS_PAYMENT_PENDING_HOURS = 6
    old = started_hours_ago(7, user=passenger)
    recent = started_hours_ago(5, user=passenger)

    assert payments_expire_pending_task() == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, old.failure_code, old.failure_reason) == (
        "failed",
        "expired",
        "Not completed in time.",
    )
    assert (recent.status, recent.failure_code) == ("pending", "")
    assert payments_expire_pending_task() == 0


def test_a_provider_status_it_cannot_read_stops_neither_the_poll_nor_other_payments(
    fake_mobilemoney, passenger, caplog
):
    approved = wallet_topup_start(
        user=passenger, amount=5_000, provider="mobilemoney", payer="+919876543210"
    )
    odd = wallet_topup_start(
        user=passenger, amount=7_000, provider="mobilemoney", payer="+919876543211"
    )
    for payment in (approved, odd):
        payment_request_send(payment_id=payment.pk)
    fake_mobilemoney.approve(approved.provider_reference)
    fake_mobilemoney.payments[odd.provider_reference]["status"] = "ONGOING"

    with caplog.at_level(logging.WARNING, logger="payments"):
        polled = payments_poll_pending_task()

    approved.refresh_from_db()
    odd.refresh_from_db()
    assert polled == 2
    assert (approved.status, odd.status) == ("succeeded", "pending")
    assert f"status of payment {odd.pk} unknown for now" in caplog.text
    assert wallet_for_user(user=passenger).balance == 5_000


def test_wallet_page_shows_an_overdue_topup_as_expired_even_before_the_task_runs(
    signed_in, passenger
):
    overdue = started_hours_ago(25, user=passenger, amount=20_000)
    waiting = started_hours_ago(1, user=passenger, amount=30_000)

    html = signed_in.get("/wallet/").content.decode()

    waiting_list = section(html, "pending-heading")
    stopped_list = section(html, "stopped-heading")
    assert "₹300.00" in waiting_list and "₹200.00" not in waiting_list
    assert f'href="/api/v1/payments/sandbox/{waiting.pk}/"' in waiting_list
    assert f'href="/api/v1/payments/sandbox/{overdue.pk}/"' not in html
    assert "₹200.00" in stopped_list and "₹300.00" not in stopped_list
    assert '<strong class="topup-outcome">Expired</strong>' in stopped_list
    overdue.refresh_from_db()
    assert overdue.status == "pending"  # the page only reads


def test_wallet_page_shows_topups_the_task_expired_and_those_declined(signed_in, passenger):
    started_hours_ago(25, user=passenger, amount=20_000)
    payments_expire_pending_task()
    declined = PaymentFactory(user=passenger, amount=40_000)
    sandbox_payment_complete(payment=declined, approve=False)

    html = signed_in.get("/wallet/").content.decode()

    assert section(html, "pending-heading") == ""
    stopped_list = section(html, "stopped-heading")
    assert stopped_list.count('<strong class="topup-outcome">Expired</strong>') == 1
    assert stopped_list.count('<strong class="topup-outcome">Declined</strong>') == 1


# --- Dismissal --------------------------------------------------------------------------


def test_the_payer_dismisses_a_pending_topup_from_the_wallet_page(signed_in, passenger):
    payment = PaymentFactory(user=passenger, amount=50_000)
    page = signed_in.get("/wallet/").content.decode()

    response = signed_in.post(dismiss_url(payment), follow=True)

    assert f'<form method="post" action="{dismiss_url(payment)}"' in section(
        page, "pending-heading"
    )
    assert response.redirect_chain == [("/wallet/", 302)]
    html = response.content.decode()
    assert "The top-up of ₹500.00 is no longer waiting for payment; nothing was charged." in html
    assert section(html, "pending-heading") == ""
    assert '<strong class="topup-outcome">Dismissed</strong>' in section(html, "stopped-heading")
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code, payment.failure_reason) == (
        "failed",
        "dismissed",
        "Dismissed by the payer.",
    )
    assert not Transaction.objects.exists()


def test_dismissing_twice_changes_nothing_the_second_time(signed_in, passenger):
    payment = PaymentFactory(user=passenger)
    signed_in.post(dismiss_url(payment))
    payment.refresh_from_db()
    first = (payment.status, payment.failure_code, payment.completed_at, payment.updated_at)

    again = signed_in.post(dismiss_url(payment))

    payment.refresh_from_db()
    assert (again.status_code, again["Location"]) == (302, "/wallet/")
    assert (payment.status, payment.failure_code, payment.completed_at, payment.updated_at) == first


def test_dismissing_an_expired_topup_keeps_it_expired(signed_in, passenger):
    payment = started_hours_ago(25, user=passenger)
    payments_expire_pending_task()

    response = signed_in.post(dismiss_url(payment))

    payment.refresh_from_db()
    assert response.status_code == 302
    assert (payment.status, payment.failure_code) == ("failed", "expired")


def test_a_succeeded_topup_cannot_be_dismissed(signed_in, passenger):
    payment = PaymentFactory(user=passenger, amount=50_000)
    sandbox_payment_complete(payment=payment, approve=True)

    response = signed_in.post(dismiss_url(payment), follow=True)

    assert (
        "This top-up has already succeeded: ₹500.00 is in your wallet." in response.content.decode()
    )
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("succeeded", "")
    assert wallet_for_user(user=passenger).balance == 50_000


def test_only_the_payer_may_dismiss_their_topup(client, passenger):
    payment = PaymentFactory(user=PassengerFactory())
    client.force_login(passenger)

    response = client.post(dismiss_url(payment))

    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_the_dismiss_service_refuses_another_users_payment():
    from payments.exceptions import PaymentNotFound

    payment = PaymentFactory()

    with pytest.raises(PaymentNotFound):
        payment_dismiss(user=PassengerFactory(), payment_id=payment.pk)

    payment.refresh_from_db()
    assert payment.status == "pending"


def test_dismissing_needs_a_post_and_a_signed_in_payer(client, signed_in, passenger):
    payment = PaymentFactory(user=passenger)

    get = signed_in.get(dismiss_url(payment))
    client.logout()
    anonymous = client.post(dismiss_url(payment))

    assert get.status_code == 405
    assert (anonymous.status_code, anonymous["Location"]) == (
        302,
        f"/accounts/login/?next={dismiss_url(payment)}",
    )
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_a_dismissed_topup_cannot_be_completed_on_the_sandbox_checkout(passenger):
    from payments.exceptions import PaymentNotPending

    payment = PaymentFactory(user=passenger)
    payment_dismiss(user=passenger, payment_id=payment.pk)

    with pytest.raises(PaymentNotPending):
        sandbox_payment_complete(payment=payment, approve=True)

    assert wallet_for_user(user=passenger) is None


# --- A provider's success after TTMS gave up: the money was collected, so it is credited ----


@pytest.mark.parametrize("gave_up", ["dismissed", "expired"])
def test_a_late_success_from_the_provider_still_credits_the_wallet(
    api_client, passenger, caplog, gave_up
):
    payment = started_hours_ago(25, user=passenger, amount=20_000)
    if gave_up == "dismissed":
        payment_dismiss(user=passenger, payment_id=payment.pk)
    else:
        payments_expire_pending_task()

    with caplog.at_level(logging.WARNING, logger="payments"):
        response = deliver_success(api_client, payment)

    assert response.json() == {"event_id": "evt_late", "outcome": "applied", "duplicate": False}
    assert f"payment {payment.pk} had {gave_up}; the provider's success credits" in caplog.text
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code, payment.failure_reason) == ("succeeded", "", "")
    assert wallet_for_user(user=passenger).balance == 20_000
    assert WebhookEvent.objects.get().message == (
        f"Credited although the payment had {gave_up}: the provider collected it."
    )
    again = deliver_success(api_client, payment)
    assert again.json()["duplicate"] is True
    assert Transaction.objects.filter(kind="topup").count() == 1


def test_a_success_after_the_provider_declined_is_still_rejected_for_a_person(
    api_client, passenger
):
    payment = PaymentFactory(user=passenger, amount=20_000)
    sandbox_payment_complete(payment=payment, approve=False)

    response = deliver_success(api_client, payment)

    assert response.json()["outcome"] == "rejected"
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("failed", "declined")
    assert wallet_for_user(user=passenger) is None


def test_a_late_success_with_another_amount_is_rejected_even_after_dismissal(api_client, passenger):
    payment = PaymentFactory(user=passenger, amount=20_000)
    payment_dismiss(user=passenger, payment_id=payment.pk)
    forged = PaymentFactory.build(pk=payment.pk, amount=99_999, currency="INR")

    response = deliver_success(api_client, forged)

    assert response.json()["outcome"] == "rejected"
    payment.refresh_from_db()
    assert (payment.status, payment.failure_code) == ("failed", "dismissed")
    assert not Transaction.objects.exists()
