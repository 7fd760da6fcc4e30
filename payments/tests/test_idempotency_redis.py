"""The Redis fast path of idempotency (only when REDIS_URL is set)."""

import pytest

from payments import idempotency
from payments.models import IdempotencyRecord, Payment

pytestmark = [pytest.mark.services, pytest.mark.django_db]

TOPUPS = "/api/v1/wallet/topups/"


def post(client, body, key):
    return client.post(TOPUPS, body, format="json", headers={"Idempotency-Key": key})


def test_replay_is_served_from_redis_without_a_database_query(
    passenger_client, django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(passenger_client, {"amount": 10_000}, "fast")

    with django_assert_num_queries(0):
        again = post(passenger_client, {"amount": 10_000}, "fast")
    with django_assert_num_queries(0):
        different = post(passenger_client, {"amount": 99_999}, "fast")

    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert different.status_code == 422
    assert Payment.objects.count() == 1


def test_a_key_in_flight_elsewhere_gets_409_before_any_transaction(passenger_client, passenger):
    marker = idempotency._FastPath(user_id=passenger.pk, scope="wallet.topup", key="busy")
    assert marker.claim()
    try:
        response = post(passenger_client, {"amount": 10_000}, "busy")
    finally:
        marker.release()

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_flight"
    assert not IdempotencyRecord.objects.exists()
    assert post(passenger_client, {"amount": 10_000}, "busy").status_code == 201


def test_with_redis_down_the_database_still_decides(passenger_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there

    first = post(passenger_client, {"amount": 10_000}, "db-only")
    again = post(passenger_client, {"amount": 10_000}, "db-only")
    different = post(passenger_client, {"amount": 20_000}, "db-only")

    assert (first.status_code, again.status_code, different.status_code) == (201, 201, 422)
    assert again.json() == first.json()
    assert Payment.objects.count() == 1
