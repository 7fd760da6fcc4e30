import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from ttms.accounts.models import User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_signup_page_creates_a_passenger_and_signs_them_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Leela Nair",
            "email": "leela@example.com",
            "phone": "",
            "password": "a-long-travel-pass",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert "Leela" in home.content.decode()
    assert User.objects.get(email="leela@example.com").role == "passenger"


def test_signup_page_shows_errors_next_to_fields_and_writes_nothing(client):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Leela Nair",
            "email": "leela@example.com",
            "password": "password",
        },
    )

    assert response.status_code == 400
    assert 'id="id_password_error"' in response.content.decode()
    assert User.objects.count() == 0


def test_login_and_logout_pages(client):
    UserFactory(email="sam@example.com", full_name="Sam Iyer")

    assert client.get("/accounts/login/").status_code == 200
    signed_in = client.post(
        "/accounts/login/", {"username": "SAM@example.com", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert "Sam" in client.get("/").content.decode()

    signed_out = client.post("/accounts/logout/")
    assert (signed_out.status_code, signed_out["Location"]) == (302, "/")
    assert "Sign in" in client.get("/").content.decode()


@override_settings(TTMS_LOGIN_FAILURE_LIMIT=3)
def test_login_page_is_throttled_after_repeated_failures(client):
    UserFactory(email="sam@example.com")
    for _ in range(3):
        failed = client.post(
            "/accounts/login/", {"username": "sam@example.com", "password": "nope"}
        )
        assert failed.status_code == 200

    with CaptureQueriesContext(connection) as queries:
        blocked = client.post(
            "/accounts/login/", {"username": "sam@example.com", "password": PASSWORD}
        )

    assert blocked.status_code == 429
    assert "Too many failed sign-in attempts" in blocked.content.decode()
    assert "_auth_user_id" not in client.session
    assert not any("accounts_user" in q["sql"] for q in queries.captured_queries)


def test_home_page_says_what_ttms_is(client):
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Trains and buses, booked right · TTMS</title>" in html
    assert "<h1>Intercity trains and buses, booked right.</h1>" in html
    assert "cdn" not in html.lower()
