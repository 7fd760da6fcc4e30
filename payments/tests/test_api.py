import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from payments.ledger.sales import booking_charge
from payments.models import Payment
from payments.topups.services import wallet_topup_start

from .factories import CompanyFactory, PassengerFactory, fund_wallet

pytestmark = pytest.mark.django_db


def topup(client, body, key="key-1"):
    return client.post(
        "/api/v1/wallet/topups/", body, format="json", headers={"Idempotency-Key": key}
    )


def test_wallet_needs_sign_in(api_client):
    response = api_client.get("/api/v1/wallet/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_wallet_of_a_new_user_is_empty(passenger_client):
    response = passenger_client.get("/api/v1/wallet/")

    assert response.json() == {
        "currency": "INR",
        "balance": 0,
        "balance_display": "₹0.00",
        "wallets": [{"currency": "INR", "balance": 0, "balance_display": "₹0.00"}],
    }


def test_wallet_shows_the_balance_in_minor_units(passenger_client, passenger):
    fund_wallet(passenger, 123_456)

    response = passenger_client.get("/api/v1/wallet/")

    assert response.json() == {
        "currency": "INR",
        "balance": 123_456,
        "balance_display": "₹1,234.56",
        "wallets": [{"currency": "INR", "balance": 123_456, "balance_display": "₹1,234.56"}],
    }


def test_transactions_are_paginated_newest_first_and_signed_from_the_wallet(
    passenger_client, passenger
):
    company = CompanyFactory()
    fund_wallet(passenger, 10_000)
    for n in range(3):
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=1_000 + n,
            reference_type="pnr",
            reference_id=f"P{n}",
        )

    response = passenger_client.get("/api/v1/wallet/transactions/?page_size=2")

    body = response.json()
    assert body["count"] == 4
    assert [(r["kind"], r["amount"], r["reference_id"]) for r in body["results"]] == [
        ("booking_charge", -1_002, "P2"),
        ("booking_charge", -1_001, "P1"),
    ]
    assert body["next"].endswith("page=2&page_size=2")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=topup", [10_000]),
        ("direction=debit", [-1_001, -1_000]),
        ("reference_type=pnr&reference_id=P1", [-1_001]),
        ("created_after=2000-01-01T00:00:00Z", [-1_001, -1_000, 10_000]),
        ("created_before=2000-01-01T00:00:00Z", []),
    ],
)
def test_transactions_filter(passenger_client, passenger, query, expected):
    company = CompanyFactory()
    fund_wallet(passenger, 10_000)
    for n in range(2):
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=1_000 + n,
            reference_type="pnr",
            reference_id=f"P{n}",
        )

    response = passenger_client.get(f"/api/v1/wallet/transactions/?{query}")

    assert [r["amount"] for r in response.json()["results"]] == expected


def test_transactions_with_a_bad_filter_are_a_400(passenger_client):
    response = passenger_client.get("/api/v1/wallet/transactions/?kind=lottery")

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["kind"]


@pytest.mark.parametrize(
    "query",
    [
        "created_after=0001-01-01T00:00:00%2B18:59",  # before the calendar's first moment in UTC
        "created_after=9999-12-31T23:59:59-18:00",  # past its last
        "created_before=1066-10-14T09:00:00Z",
    ],
)
def test_transactions_filtered_by_a_moment_out_of_range_are_a_400(passenger_client, query):
    response = passenger_client.get(f"/api/v1/wallet/transactions/?{query}")

    assert response.status_code == 400
    field = query.split("=")[0]
    assert response.json()["error"]["fields"] == {
        field: ["Give a moment between 1900 and 2999, e.g. 2026-12-03T10:00:00Z."]
    }


def test_transactions_filtered_by_a_moment_with_an_offset_compare_it_in_utc(
    passenger_client, passenger
):
    fund_wallet(passenger, 10_000)
    after = (timezone.now() + timedelta(hours=1)).astimezone(ZoneInfo("Asia/Kolkata"))

    response = passenger_client.get(
        "/api/v1/wallet/transactions/", {"created_after": after.isoformat()}
    )

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_transactions_filtered_with_an_offset_postgresql_refuses_read_it_in_utc(
    passenger_client, passenger
):
    fund_wallet(passenger, 10_000)

    response = passenger_client.get(
        "/api/v1/wallet/transactions/?created_before=2020-01-01T00:00:00%2B17:18"
    )

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_transactions_show_only_my_wallet(passenger_client):
    fund_wallet(PassengerFactory(), 10_000)

    assert passenger_client.get("/api/v1/wallet/transactions/").json()["count"] == 0


def test_topup_returns_the_pending_payment_and_its_checkout(passenger_client, passenger):
    response = topup(passenger_client, {"amount": 50_000})

    assert response.status_code == 201
    payment = Payment.objects.get()
    assert response.json() == {
        "id": str(payment.pk),
        "status": "pending",
        "provider": "sandbox",
        "amount": 50_000,
        "currency": "INR",
        "payer": "",
        "failure_reason": "",
        "created_at": response.json()["created_at"],
        "completed_at": None,
        "next_action": {
            "type": "redirect",
            "url": f"http://testserver/api/v1/payments/sandbox/{payment.pk}/",
        },
    }
    assert payment.idempotency_record.key == "key-1"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"amount": 50}, "invalid_amount"),  # under the minimum of ₹1.00
        ({"amount": 10_000_001}, "invalid_amount"),
        ({"amount": "12.5"}, "invalid"),
        ({"amount": 1_000, "provider": "paypal"}, "provider_unavailable"),
    ],
)
def test_topup_refuses_bad_input_and_writes_nothing(passenger_client, body, code):
    response = topup(passenger_client, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not Payment.objects.exists()


def test_sandbox_complete_credits_my_wallet(passenger_client, passenger):
    payment_id = topup(passenger_client, {"amount": 50_000}).json()["id"]

    response = passenger_client.post(
        f"/api/v1/payments/sandbox/{payment_id}/complete/", {"outcome": "approve"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["next_action"]) == ("succeeded", None)
    assert passenger_client.get("/api/v1/wallet/").json()["balance"] == 50_000
    detail = passenger_client.get(f"/api/v1/wallet/topups/{payment_id}/")
    assert detail.json()["status"] == "succeeded"


def test_sandbox_complete_twice_is_a_409_and_credits_once(passenger_client):
    payment_id = topup(passenger_client, {"amount": 50_000}).json()["id"]
    url = f"/api/v1/payments/sandbox/{payment_id}/complete/"
    passenger_client.post(url, {"outcome": "approve"}, format="json")

    again = passenger_client.post(url, {"outcome": "decline"}, format="json")

    assert again.status_code == 409
    assert again.json()["error"] == {
        "code": "payment_not_pending",
        "message": "This payment has already succeeded.",
        "fields": {},
    }
    assert passenger_client.get("/api/v1/wallet/").json()["balance"] == 50_000


def test_someone_elses_payment_is_a_404(api_client, passenger):
    payment = wallet_topup_start(user=passenger, amount=1_000, provider="sandbox")
    api_client.force_authenticate(PassengerFactory())

    complete = api_client.post(
        f"/api/v1/payments/sandbox/{payment.pk}/complete/", {}, format="json"
    )
    detail = api_client.get(f"/api/v1/wallet/topups/{payment.pk}/")
    unknown = api_client.get(f"/api/v1/wallet/topups/{uuid.uuid4()}/")

    assert (complete.status_code, detail.status_code, unknown.status_code) == (404, 404, 404)
    payment.refresh_from_db()
    assert payment.status == "pending"


def test_openapi_schema_documents_the_payments_api(client):
    schema = client.get("/api/schema/?format=json").json()

    for path in [
        "/api/v1/wallet/",
        "/api/v1/wallet/transactions/",
        "/api/v1/wallet/topups/",
        "/api/v1/payments/webhooks/{provider}/",
        "/api/v1/payments/sandbox/{payment_id}/complete/",
    ]:
        assert path in schema["paths"], path
    parameters = schema["paths"]["/api/v1/wallet/topups/"]["post"]["parameters"]
    assert {"in": "header", "name": "Idempotency-Key"}.items() <= parameters[0].items()


AT_MOST = "The most you can top up at once is ₹100,000.00."
AT_LEAST = "The least you can top up is ₹1.00."


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (10_000_001, AT_MOST),
        (99_999_999_999_999, AT_MOST),
        (9_999_999_999_999_900, AT_MOST),  # past the largest amount TTMS handles at all
        (10**30, AT_MOST),
        (99, AT_LEAST),
    ],
)
def test_a_topup_out_of_its_limits_names_the_limit(passenger_client, amount, message):
    response = topup(passenger_client, {"amount": amount})

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_amount",
        "message": message,
        "fields": {"amount": [message]},
    }
    assert not Payment.objects.exists()
