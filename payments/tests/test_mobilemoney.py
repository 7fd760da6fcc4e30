"""The mobile-money adapter against a local fake of the provider (fake_mobilemoney.py)."""

import pytest

from payments.ledger.selectors import wallet_for_user
from payments.models import Payment, Transaction, WebhookEvent
from payments.topups.collection import payment_request_send, payment_status_refresh
from payments.topups.services import wallet_topup_start

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/webhooks/mobilemoney/"


def start(user, amount=15_050, payer="+91 98765 43210") -> Payment:
    return wallet_topup_start(user=user, amount=amount, provider="mobilemoney", payer=payer)


def deliver(client, body, headers):
    return client.post(URL, data=body, content_type="application/json", headers=headers)


def balance(user) -> int:
    wallet = wallet_for_user(user=user)
    return wallet.balance if wallet else 0


def test_request_to_pay_sends_the_amount_as_an_exact_decimal_string(fake_mobilemoney, passenger):
    payment = start(passenger)

    payment_request_send(payment_id=payment.pk)

    method, path, body = fake_mobilemoney.requests[0]
    assert (method, path) == ("POST", "/collection/v1_0/requesttopay")
    assert body == {
        "amount": "150.50",
        "currency": "INR",
        "externalId": str(payment.pk),
        "payer": {"partyIdType": "MSISDN", "partyId": "919876543210"},
        "payerMessage": "TTMS wallet top-up",
        "payeeNote": f"Top-up {payment.pk}",
    }
    payment.refresh_from_db()
    assert (payment.status, payment.request_attempts) == ("pending", 1)


def test_topup_api_sends_the_request_after_the_commit(
    fake_mobilemoney, passenger_client, django_capture_on_commit_callbacks, monkeypatch
):
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # as in the embedded mode
    with django_capture_on_commit_callbacks() as callbacks:
        response = passenger_client.post(
            "/api/v1/wallet/topups/",
            {"amount": 20_000, "provider": "mobilemoney", "payer": "+919876543210"},
            format="json",
            headers={"Idempotency-Key": "mm-1"},
        )
    sent_inside_the_transaction = len(fake_mobilemoney.requests)
    for callback in callbacks:
        callback()

    assert response.status_code == 201
    assert response.json()["next_action"] == {
        "type": "approve_on_device",
        "message": "Approve the payment on the phone 919876543210.",
    }
    assert sent_inside_the_transaction == 0
    assert [(method, body["externalId"]) for method, _, body in fake_mobilemoney.requests] == [
        ("POST", response.json()["id"])
    ]


def test_approved_callback_delivered_twice_credits_once(fake_mobilemoney, api_client, passenger):
    payment = start(passenger)
    payment_request_send(payment_id=payment.pk)
    fake_mobilemoney.approve(payment.provider_reference)
    callback = fake_mobilemoney.callback(payment.provider_reference, event_id="cb-1")

    first, second = deliver(api_client, *callback), deliver(api_client, *callback)

    assert (first.json()["duplicate"], second.json()["duplicate"]) == (False, True)
    assert balance(passenger) == 15_050
    assert Transaction.objects.filter(kind="topup").count() == 1


def test_late_pending_callback_after_success_changes_nothing(
    fake_mobilemoney, api_client, passenger
):
    payment = start(passenger)
    payment_request_send(payment_id=payment.pk)
    pending = fake_mobilemoney.callback(payment.provider_reference, event_id="cb-pending")
    fake_mobilemoney.approve(payment.provider_reference)
    success = fake_mobilemoney.callback(payment.provider_reference, event_id="cb-success")

    outcomes = [
        deliver(api_client, *cb).json()["outcome"] for cb in (success, pending, success, pending)
    ]

    assert outcomes == ["applied", "ignored", "applied", "ignored"]  # replays keep theirs
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert balance(passenger) == 15_050


def test_timeout_leaves_the_payment_pending_and_the_poll_settles_it(
    fake_mobilemoney, passenger, settings, caplog
):
    settings.TTMS_MOBILEMONEY_TIMEOUT_MS = 100
    fake_mobilemoney.delay_ms = 400
    payment = start(passenger)

    payment_request_send(payment_id=payment.pk)  # times out, but arrived

    payment.refresh_from_db()
    assert payment.status == "pending"
    assert "not confirmed" in caplog.text
    fake_mobilemoney.delay_ms = 0
    fake_mobilemoney.approve(payment.provider_reference)

    payment_status_refresh(payment_id=payment.pk)
    payment_status_refresh(payment_id=payment.pk)

    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert balance(passenger) == 15_050
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == [
        f"poll:{payment.provider_reference}:SUCCESSFUL"
    ]


def test_retry_after_a_lost_answer_is_not_a_second_request(fake_mobilemoney, passenger):
    payment = start(passenger)
    payment_request_send(payment_id=payment.pk)

    payment_request_send(payment_id=payment.pk)  # the provider answers 409

    assert len(fake_mobilemoney.payments) == 1
    payment.refresh_from_db()
    assert (payment.status, payment.request_attempts) == ("pending", 2)


def test_poll_resends_a_request_the_provider_never_got(fake_mobilemoney, passenger):
    payment = start(passenger)

    payment_status_refresh(payment_id=payment.pk)

    assert [r[0] for r in fake_mobilemoney.requests] == ["GET", "POST"]
    assert payment.provider_reference in fake_mobilemoney.payments


def test_unknown_payer_fails_the_payment(fake_mobilemoney, passenger):
    fake_mobilemoney.unknown_payers.add("919876543210")
    payment = start(passenger)

    payment = payment_request_send(payment_id=payment.pk)

    assert (payment.status, payment.failure_reason) == (
        "failed",
        "Refused by the provider: PAYER_NOT_FOUND",
    )


def test_provider_outage_keeps_the_payment_pending(fake_mobilemoney, passenger):
    fake_mobilemoney.fail_with = 503
    payment = start(passenger)

    payment = payment_request_send(payment_id=payment.pk)

    assert payment.status == "pending"


def test_declined_on_the_phone_fails_without_money(fake_mobilemoney, api_client, passenger):
    payment = start(passenger)
    payment_request_send(payment_id=payment.pk)
    fake_mobilemoney.decline(payment.provider_reference)

    deliver(api_client, *fake_mobilemoney.callback(payment.provider_reference))

    payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == ("failed", "APPROVAL_REJECTED")
    assert not Transaction.objects.exists()


def test_callback_signed_with_another_secret_is_refused(fake_mobilemoney, api_client, passenger):
    payment = start(passenger)
    payment_request_send(payment_id=payment.pk)
    fake_mobilemoney.approve(payment.provider_reference)

    response = deliver(
        api_client,
        *fake_mobilemoney.callback(payment.provider_reference, secret="sandbox-test-secret"),
    )

    assert response.status_code == 401
    assert balance(passenger) == 0


def test_callback_with_an_amount_finer_than_the_currency_is_a_400(
    fake_mobilemoney, api_client, passenger
):
    payment = start(passenger)
    payment_request_send(payment_id=payment.pk)
    fake_mobilemoney.approve(payment.provider_reference)

    response = deliver(
        api_client, *fake_mobilemoney.callback(payment.provider_reference, amount="150.505")
    )

    assert response.status_code == 400
    assert balance(passenger) == 0


def test_invalid_phone_number_is_refused_before_anything_is_written(passenger):
    from payments.exceptions import InvalidPayer

    with pytest.raises(InvalidPayer):
        start(passenger, payer="12")

    assert not Payment.objects.exists()


def test_callback_with_a_nul_in_its_event_id_is_a_400_and_nothing_is_written(
    fake_mobilemoney, api_client, passenger
):
    payment = start(passenger)
    payment_request_send(payment_id=payment.pk)
    fake_mobilemoney.approve(payment.provider_reference)

    response = deliver(
        api_client, *fake_mobilemoney.callback(payment.provider_reference, event_id="cb-\x00-1")
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_payload")
    assert not WebhookEvent.objects.exists()
    assert balance(passenger) == 0
