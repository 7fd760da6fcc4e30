import json
import logging
import time

import pytest

from payments.ledger.selectors import wallet_for_user
from payments.models import Payment, Transaction, WebhookEvent
from payments.topups.providers import signing
from payments.topups.providers.sandbox import SandboxProvider
from ttms.invariants import run_checks

from .conftest import SANDBOX_SECRET
from .factories import PaymentFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/payments/webhooks/sandbox/"


def deliver(client, body: bytes, headers: dict):
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={k: v for k, v in headers.items() if k != "Content-Type"},
    )


def balance(user) -> int:
    wallet = wallet_for_user(user=user)
    return wallet.balance if wallet else 0


def test_signed_success_event_credits_the_wallet(api_client, passenger):
    payment = PaymentFactory(user=passenger, amount=25_000)
    body, headers = SandboxProvider().build_event(payment=payment, approve=True, event_id="evt_1")

    response = deliver(api_client, body, headers)

    assert response.status_code == 200
    assert response.json() == {"event_id": "evt_1", "outcome": "applied", "duplicate": False}
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert balance(passenger) == 25_000


def test_same_event_ten_times_and_a_later_contradicting_one_credit_once(api_client, passenger):
    payment = PaymentFactory(user=passenger, amount=25_000)
    success = SandboxProvider().build_event(payment=payment, approve=True, event_id="evt_ok")
    decline = SandboxProvider().build_event(payment=payment, approve=False, event_id="evt_no")

    answers = [deliver(api_client, *success).json() for _ in range(5)]
    answers.append(deliver(api_client, *decline).json())
    answers += [deliver(api_client, *success).json() for _ in range(5)]

    assert [a["duplicate"] for a in answers] == [False] + [True] * 4 + [False] + [True] * 5
    assert answers[5]["outcome"] == "rejected"
    assert balance(passenger) == 25_000
    assert Transaction.objects.filter(kind="topup").count() == 1
    assert Payment.objects.get().status == "succeeded"
    assert dict(WebhookEvent.objects.values_list("event_id", "outcome")) == {
        "evt_ok": "applied",
        "evt_no": "rejected",
    }
    assert all(not problems for problems in run_checks().values())


def test_decline_event_fails_the_payment_without_money(api_client, passenger):
    payment = PaymentFactory(user=passenger)
    body, headers = SandboxProvider().build_event(payment=payment, approve=False)

    assert deliver(api_client, body, headers).status_code == 200

    payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == (
        "failed",
        "Declined by the payer on the sandbox checkout.",
    )
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "tamper", ["wrong_secret", "body_changed", "stale", "missing", "malformed"]
)
def test_bad_signature_is_refused_with_401_logged_and_nothing_applied(
    api_client, passenger, caplog, tamper
):
    payment = PaymentFactory(user=passenger)
    body, headers = SandboxProvider().build_event(payment=payment, approve=True)
    if tamper == "wrong_secret":
        headers["X-Sandbox-Signature"] = signing.sign(secret="guess", body=body)
    elif tamper == "body_changed":
        body = body.replace(b'"amount":10000', b'"amount":99999')
    elif tamper == "stale":
        old = int(time.time()) - 301
        headers["X-Sandbox-Signature"] = signing.sign(
            secret=SANDBOX_SECRET, body=body, timestamp=old
        )
    elif tamper == "missing":
        del headers["X-Sandbox-Signature"]
    else:
        headers["X-Sandbox-Signature"] = "v1=abc"

    with caplog.at_level(logging.WARNING, logger="payments"):
        response = deliver(api_client, body, headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_signature"
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert "sandbox webhook refused" in caplog.text
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert not WebhookEvent.objects.exists()
    assert not Transaction.objects.exists()


def test_signature_of_a_rotated_secret_is_accepted_among_several(api_client, passenger):
    payment = PaymentFactory(user=passenger)
    body, headers = SandboxProvider().build_event(payment=payment, approve=True)
    stamp = headers["X-Sandbox-Signature"].split(",")[0]
    wrong = signing.sign(secret="old-secret", body=body, timestamp=int(stamp[2:]))
    headers["X-Sandbox-Signature"] += "," + wrong.split(",")[1]

    assert deliver(api_client, body, headers).status_code == 200


def test_event_with_another_amount_is_rejected_and_not_credited(api_client, passenger, caplog):
    payment = PaymentFactory(user=passenger, amount=10_000)
    forged = PaymentFactory.build(pk=payment.pk, amount=99_999, currency="INR")
    body, headers = SandboxProvider().build_event(payment=forged, approve=True)

    with caplog.at_level(logging.ERROR, logger="payments"):
        response = deliver(api_client, body, headers)

    assert response.json()["outcome"] == "rejected"
    assert "reports 99999 INR" in caplog.text
    payment.refresh_from_db()
    assert payment.status == "pending"
    assert not Transaction.objects.exists()


def test_signed_body_that_is_not_an_event_is_a_400(api_client):
    body = b'{"hello": "world"}'
    headers = {"X-Sandbox-Signature": signing.sign(secret=SANDBOX_SECRET, body=body)}

    response = deliver(api_client, body, headers)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"


def test_event_for_no_known_payment_is_recorded_as_rejected(api_client):
    body = json.dumps(
        {
            "id": "evt_x",
            "type": "payment.succeeded",
            "created": 1,
            "data": {"payment_id": "not-a-uuid", "amount": 1, "currency": "INR"},
        }
    ).encode()
    headers = {"X-Sandbox-Signature": signing.sign(secret=SANDBOX_SECRET, body=body)}

    response = deliver(api_client, body, headers)

    assert response.json() == {"event_id": "evt_x", "outcome": "rejected", "duplicate": False}
    assert not Transaction.objects.exists()


def test_webhook_of_an_unknown_provider_is_a_404(api_client):
    response = api_client.post("/api/v1/payments/webhooks/paypal/", data={}, format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_webhooks_need_no_csrf_token_nor_session(passenger):
    from django.test import Client

    payment = PaymentFactory(user=passenger)
    body, headers = SandboxProvider().build_event(payment=payment, approve=True)
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={"X-Sandbox-Signature": headers["X-Sandbox-Signature"]},
    )

    assert response.status_code == 200
    assert balance(passenger) == 10_000


def test_an_amount_with_a_fraction_is_refused_not_rounded(api_client, passenger):
    payment = PaymentFactory(user=passenger, amount=10_000)
    body = json.dumps(
        {
            "id": "evt_f",
            "type": "payment.succeeded",
            "created": 1,
            "data": {"payment_id": str(payment.pk), "amount": 10_000.4, "currency": "INR"},
        }
    ).encode()
    headers = {"X-Sandbox-Signature": signing.sign(secret=SANDBOX_SECRET, body=body)}

    response = deliver(api_client, body, headers)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_payload")
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("header", ["t=²,v1=0", "t=١٢٣,v1=0", "t=1,v1=0,t=2"])
def test_a_signature_header_with_odd_digits_is_a_401_not_a_500(api_client, passenger, header):
    payment = PaymentFactory(user=passenger)
    body, headers = SandboxProvider().build_event(payment=payment, approve=True)
    headers["X-Sandbox-Signature"] = header

    response = deliver(api_client, body, headers)

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "invalid_signature",
        "message": "The signature header is malformed.",
        "fields": {},
    }
    assert not WebhookEvent.objects.exists()


def signed(payload: dict) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    return body, {"X-Sandbox-Signature": signing.sign(secret=SANDBOX_SECRET, body=body)}


def sandbox_event(payment, *, event_id, reason="") -> dict:
    return {
        "id": event_id,
        "type": "payment.succeeded",
        "created": 1,
        "data": {
            "payment_id": str(payment.pk),
            "amount": payment.amount,
            "currency": payment.currency,
            "reason": reason,
        },
    }


def test_an_event_id_over_100_characters_is_kept_whole_and_its_redelivery_recognised(
    api_client, passenger
):
    payment = PaymentFactory(user=passenger, amount=10_000)
    event_id = "evt_" + "x" * 296
    body, headers = signed(sandbox_event(payment, event_id=event_id))

    first = deliver(api_client, body, headers)
    again = deliver(api_client, body, headers)

    assert first.json() == {"event_id": event_id, "outcome": "applied", "duplicate": False}
    assert (again.status_code, again.json()) == (
        200,
        {"event_id": event_id, "outcome": "applied", "duplicate": True},
    )
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == [event_id]
    assert balance(passenger) == 10_000


def test_two_event_ids_sharing_their_first_100_characters_are_two_events(api_client, passenger):
    first_payment = PaymentFactory(user=passenger, amount=10_000)
    second_payment = PaymentFactory(user=passenger, amount=5_000)
    prefix = "evt_" + "y" * 96

    first = deliver(api_client, *signed(sandbox_event(first_payment, event_id=prefix + "-1")))
    second = deliver(api_client, *signed(sandbox_event(second_payment, event_id=prefix + "-2")))

    assert [first.json()["duplicate"], second.json()["duplicate"]] == [False, False]
    assert sorted(WebhookEvent.objects.values_list("event_id", "outcome")) == [
        (prefix + "-1", "applied"),
        (prefix + "-2", "applied"),
    ]
    assert balance(passenger) == 15_000


UNSTORABLE = (
    "The event holds text that cannot be stored (a NUL character or an unpaired surrogate)."
)
NOT_AN_ID = "The event id must be non-empty text without control characters."


@pytest.mark.parametrize(
    ("event_id", "message"),
    [
        ("evt_\x00nul", UNSTORABLE),
        ("evt_\x1bescape", NOT_AN_ID),
        ("evt_\x7f", NOT_AN_ID),
        ("evt_\x85", NOT_AN_ID),
        ("", NOT_AN_ID),
        (None, NOT_AN_ID),
        (True, NOT_AN_ID),
        ({"id": 1}, NOT_AN_ID),
        (["evt_1"], NOT_AN_ID),
    ],
)
def test_an_event_id_that_is_not_printable_text_is_a_400_and_nothing_is_written(
    api_client, passenger, event_id, message
):
    payment = PaymentFactory(user=passenger)

    response = deliver(api_client, *signed(sandbox_event(payment, event_id=event_id)))

    assert response.status_code == 400
    assert response.json()["error"] == {"code": "invalid_payload", "message": message, "fields": {}}
    assert not WebhookEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == "pending"


@pytest.mark.parametrize("reason", ["declined\x00", "\ud800"])
def test_text_the_database_cannot_store_anywhere_in_the_event_is_a_400(
    api_client, passenger, reason
):
    payment = PaymentFactory(user=passenger)

    response = deliver(api_client, *signed(sandbox_event(payment, event_id="evt_r", reason=reason)))

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_payload")
    assert not WebhookEvent.objects.exists()
    assert balance(passenger) == 0


def test_an_event_nested_too_deep_to_read_is_a_400(api_client):
    body = b'{"id": "evt_d", "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    headers = {"X-Sandbox-Signature": signing.sign(secret=SANDBOX_SECRET, body=body)}

    response = deliver(api_client, body, headers)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_payload")
    assert not WebhookEvent.objects.exists()
