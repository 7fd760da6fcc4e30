"""Addresses that carry a PNR number (API and pages): anything but a PNR's 10 digits is a
404 of the site, in the API's error shape under /api/, and never reaches the database
(PostgreSQL refuses a NUL byte in a query with an error of its own)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from ttms.accounts.tests.factories import UserFactory
from ttms.api import errors

pytestmark = pytest.mark.django_db

BAD_NUMBERS = [
    "%00",
    "12345%0067890",
    "123456789",
    "12345678901",
    "abcdefghij",
    # Arabic-Indic digits: digits to a regex's \d, not a PNR's.
    "%D9%A1%D9%A2%D9%A3%D9%A4%D9%A5%D9%A6%D9%A7%D9%A8%D9%A9%D9%A0",
]

API_ADDRESSES = [
    ("get", "/api/v1/bookings/{}/"),
    ("get", "/api/v1/bookings/{}/refund-quote/"),
    ("post", "/api/v1/bookings/{}/cancel/"),
    ("get", "/api/v1/bookings/{}/tickets/"),
    ("get", "/api/v1/bookings/{}/tickets/1/qr.png"),
    ("get", "/api/v1/bookings/{}/tickets/1/qr.svg"),
]
PAGE_ADDRESSES = [
    ("get", "/bookings/{}/"),
    ("get", "/bookings/{}/passengers/"),
    ("get", "/bookings/{}/cancel/"),
    ("post", "/bookings/{}/cancel/"),
    ("get", "/bookings/{}/ticket/"),
]


def pnr_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "booking_pnr" in q["sql"]]


@pytest.mark.parametrize("number", BAD_NUMBERS)
@pytest.mark.parametrize(("method", "address"), API_ADDRESSES)
def test_an_api_address_with_a_bad_pnr_is_a_json_404_without_a_query(method, address, number):
    client = APIClient()
    client.force_authenticate(UserFactory())

    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(address.format(number), HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    # The answer of any address nothing is at, not a PNR's own "you have no PNR".
    assert response.json() == json.loads(errors.json_not_found(None).content)
    assert response.json()["error"]["code"] == "not_found"
    assert pnr_queries(captured) == []


@pytest.mark.parametrize("number", BAD_NUMBERS)
@pytest.mark.parametrize(("method", "address"), PAGE_ADDRESSES)
def test_a_page_address_with_a_bad_pnr_is_the_sites_404_without_a_query(
    client, method, address, number
):
    client.force_login(UserFactory())

    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(address.format(number))

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    assert pnr_queries(captured) == []


@pytest.mark.postgres
@pytest.mark.parametrize(("method", "address"), API_ADDRESSES + PAGE_ADDRESSES)
def test_a_nul_byte_in_a_pnr_is_a_404_on_postgresql(client, method, address):
    user = UserFactory()
    api = APIClient()
    api.force_authenticate(user)
    client.force_login(user)
    caller = api if address.startswith("/api/") else client

    response = getattr(caller, method)(address.format("123456789%00"), HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 404
