"""Throttles count per client address, and the client's address is the socket's unless a
configured number of trusted proxies says to read it from X-Forwarded-For: a client cannot
reset its counters by making up the header."""

import pytest
from django.conf import settings
from django.test import override_settings

from ttms.accounts.models import User
from ttms.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
PNR_STATUS = "/pnr-status/"

BEHIND_ONE_PROXY = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


def forged(n: int) -> str:
    return f"198.51.100.{n}"


def test_by_default_no_proxy_is_trusted():
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


@override_settings(TTMS_LOGIN_FAILURE_LIMIT=3)
def test_a_made_up_forwarded_for_does_not_reset_the_api_sign_in_counter(api_client):
    for n in range(3):
        failed = api_client.post(
            TOKEN,
            {"email": f"guess{n}@example.com", "password": "x"},
            HTTP_X_FORWARDED_FOR=forged(n),
        )
        assert failed.status_code == 401
    user = UserFactory(email="someone@example.com")

    blocked = api_client.post(
        TOKEN,
        {"email": "someone@example.com", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR=forged(99),
    )

    assert blocked.status_code == 429
    assert blocked.json()["error"]["code"] == "throttled"
    user.refresh_from_db()
    assert user.last_login is None


def test_a_made_up_forwarded_for_does_not_reset_the_registration_counter(api_client):
    for n in range(10):
        created = api_client.post(
            REGISTER,
            {"email": f"p{n}@example.com", "password": "a-long-travel-pass", "full_name": "P"},
            HTTP_X_FORWARDED_FOR=forged(n),
        )
        assert created.status_code == 201

    refused = api_client.post(
        REGISTER,
        {"email": "p10@example.com", "password": "a-long-travel-pass", "full_name": "P"},
        HTTP_X_FORWARDED_FOR=forged(10),
    )

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert User.objects.count() == 10


@override_settings(TTMS_PNR_LOOKUP_FAILURE_LIMIT=3)
def test_a_made_up_forwarded_for_does_not_reset_the_pnr_status_counter(client):
    for n in range(3):
        missed = client.post(
            PNR_STATUS,
            {"pnr": f"123456789{n}", "contact": "a@example.com"},
            HTTP_X_FORWARDED_FOR=forged(n),
        )
        assert missed.status_code == 404

    blocked = client.post(
        PNR_STATUS,
        {"pnr": "1234567899", "contact": "a@example.com"},
        HTTP_X_FORWARDED_FOR=forged(99),
    )

    assert blocked.status_code == 429


@override_settings(TTMS_PNR_LOOKUP_FAILURE_LIMIT=3, REST_FRAMEWORK=BEHIND_ONE_PROXY)
def test_behind_one_trusted_proxy_the_address_it_appended_counts(client):
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(3):
        missed = client.post(
            PNR_STATUS,
            {"pnr": f"123456789{n}", "contact": "a@example.com"},
            HTTP_X_FORWARDED_FOR=f"{forged(n)}, 203.0.113.5",
            **proxy,
        )
        assert missed.status_code == 404

    same_client = client.post(
        PNR_STATUS,
        {"pnr": "1234567899", "contact": "a@example.com"},
        HTTP_X_FORWARDED_FOR=f"{forged(99)}, 203.0.113.5",
        **proxy,
    )
    other_client = client.post(
        PNR_STATUS,
        {"pnr": "1234567899", "contact": "a@example.com"},
        HTTP_X_FORWARDED_FOR="203.0.113.5, 203.0.113.6",
        **proxy,
    )

    assert same_client.status_code == 429
    assert other_client.status_code == 404
