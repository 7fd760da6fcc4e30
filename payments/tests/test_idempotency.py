from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.ledger.selectors import wallet_for_user
from payments.models import IdempotencyRecord, Payment, Transaction
from payments.tasks import idempotency_expire_task

from .factories import CompanyFactory, PassengerFactory, fund_wallet

pytestmark = pytest.mark.django_db

TOPUPS = "/api/v1/wallet/topups/"
CHARGE = "/api/v1/test/charge/"


def post(client, url, body, key):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, body, format="json", headers=headers)


@pytest.mark.parametrize("key", [None, "", "   "])
def test_missing_key_is_a_400_and_nothing_is_written(passenger_client, key):
    response = post(passenger_client, TOPUPS, {"amount": 10_000}, key)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"
    assert not Payment.objects.exists()
    assert not IdempotencyRecord.objects.exists()


def test_key_longer_than_255_characters_is_a_400(passenger_client):
    response = post(passenger_client, TOPUPS, {"amount": 10_000}, "k" * 256)

    assert (response.status_code, response.json()["error"]["code"]) == (
        400,
        "idempotency_key_invalid",
    )


def test_same_key_and_request_replays_the_first_response(passenger_client):
    first = post(passenger_client, TOPUPS, {"amount": 10_000, "provider": "sandbox"}, "abc")

    # The same JSON object: key order does not make another request.
    again = post(passenger_client, TOPUPS, {"provider": "sandbox", "amount": 10_000}, "abc")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert Payment.objects.count() == 1


def test_same_key_with_a_different_request_is_a_422(passenger_client):
    post(passenger_client, TOPUPS, {"amount": 10_000}, "abc")

    response = post(passenger_client, TOPUPS, {"amount": 20_000}, "abc")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert Payment.objects.count() == 1


def test_an_error_is_replayed_too_even_once_it_would_succeed(passenger_client, passenger):
    company = CompanyFactory()
    body = {"company": company.pk, "amount": 5_000, "reference": "PNR1"}
    refused = post(passenger_client, CHARGE, body, "charge-1")
    fund_wallet(passenger, 10_000)

    again = post(passenger_client, CHARGE, body, "charge-1")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "insufficient_funds"
    assert (again.status_code, again.json()) == (409, refused.json())
    assert not Transaction.objects.filter(kind="booking_charge").exists()
    assert post(passenger_client, CHARGE, body, "charge-2").status_code == 201


def test_the_record_is_written_with_the_money_it_moved(passenger_client, passenger):
    company = CompanyFactory()
    fund_wallet(passenger, 10_000)

    response = post(
        passenger_client,
        CHARGE,
        {"company": company.pk, "amount": 4_000, "reference": "PNR1"},
        "k1",
    )

    record = IdempotencyRecord.objects.get()
    txn = Transaction.objects.get(kind="booking_charge")
    assert response.status_code == 201
    assert txn.idempotency_record == record
    assert (record.user, record.scope, record.key, record.response_status) == (
        passenger,
        "test.charge",
        "k1",
        201,
    )
    assert record.response_body == {"transaction": txn.pk, "amount": 4_000}
    assert record.expires_at == record.created_at + timedelta(hours=24)


def test_keys_are_scoped_to_the_user(api_client, passenger):
    other = PassengerFactory()
    api_client.force_authenticate(passenger)
    post(api_client, TOPUPS, {"amount": 10_000}, "shared")
    api_client.force_authenticate(other)

    response = post(api_client, TOPUPS, {"amount": 20_000}, "shared")

    assert response.status_code == 201
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [10_000, 20_000]


def test_records_expire_after_24_hours_and_the_key_can_be_used_again(passenger_client):
    with time_machine.travel(timezone.now() - timedelta(hours=25), tick=False):
        post(passenger_client, TOPUPS, {"amount": 10_000}, "old")
    post(passenger_client, TOPUPS, {"amount": 10_000}, "recent")

    deleted = idempotency_expire_task()

    assert deleted == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
    again = post(passenger_client, TOPUPS, {"amount": 30_000}, "old")
    assert again.status_code == 201
    assert Payment.objects.count() == 3


def test_an_expired_record_not_yet_deleted_is_not_replayed(passenger_client):
    with time_machine.travel(timezone.now() - timedelta(hours=25), tick=False):
        post(passenger_client, TOPUPS, {"amount": 10_000}, "old")

    again = post(passenger_client, TOPUPS, {"amount": 30_000}, "old")

    assert again.status_code == 201
    assert IdempotencyRecord.objects.get().response_body["amount"] == 30_000


def test_wallet_is_charged_once_however_often_the_client_retries(passenger_client, passenger):
    company = CompanyFactory()
    fund_wallet(passenger, 10_000)
    body = {"company": company.pk, "amount": 4_000, "reference": "PNR1"}

    answers = [post(passenger_client, CHARGE, body, "retry-me") for _ in range(5)]

    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["transaction"] for a in answers}) == 1
    assert wallet_for_user(user=passenger).balance == 6_000
