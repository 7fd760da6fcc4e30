import re

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.test import Client

from ttms.accounts.models import User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-sleeper-berth"
RESET_LINK = re.compile(r"http://testserver(/accounts/password/reset/[\w-]+/[\w-]+/)")


@pytest.fixture
def sam():
    return UserFactory(email="sam@example.com", full_name="Sam Iyer", phone="+919876543210")


@pytest.fixture
def signed_in(client, sam):
    client.force_login(sam)
    return client


def _request_reset_link(client, email: str) -> str:
    client.post("/accounts/password/reset/", {"email": email})
    (message,) = mail.outbox
    return RESET_LINK.search(message.body).group(1)


# --- Account page ---------------------------------------------------------------------------


def test_account_page_sends_anonymous_visitors_to_sign_in_and_back(client):
    response = client.get("/accounts/")

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=/accounts/")


def test_account_page_shows_the_profile_with_the_email_read_only(signed_in):
    html = signed_in.get("/accounts/").content.decode()

    assert '<input type="email" id="account-email" value="sam@example.com" readonly' in html
    assert 'name="full_name" value="Sam Iyer"' in html
    assert 'name="phone" value="+919876543210"' in html
    assert 'href="/accounts/password/"' in html


def test_profile_update_saves_name_and_phone_and_shows_a_notice(signed_in, sam):
    response = signed_in.post(
        "/accounts/", {"full_name": "  Samira Iyer ", "phone": "+14155550123"}
    )

    assert (response.status_code, response["Location"]) == (302, "/accounts/")
    page = signed_in.get("/accounts/").content.decode()
    assert '<p class="notice notice-success" role="status">Your profile has been saved.</p>' in page
    sam.refresh_from_db()
    assert (sam.full_name, sam.phone, sam.email) == (
        "Samira Iyer",
        "+14155550123",
        "sam@example.com",
    )


def test_profile_update_can_clear_the_optional_phone(signed_in, sam):
    signed_in.post("/accounts/", {"full_name": "Sam Iyer", "phone": ""})

    sam.refresh_from_db()
    assert sam.phone == ""


def test_profile_update_with_a_bad_phone_is_refused_next_to_the_field(signed_in, sam):
    response = signed_in.post("/accounts/", {"full_name": "Samira Iyer", "phone": "98765"})

    assert response.status_code == 400
    html = response.content.decode()
    assert (
        '<small class="field-error" id="id_phone_error" role="alert">Enter a valid phone '
        "number, e.g. +91 81234 56789 (a number in India may leave out +91).</small>"
    ) in html
    assert "Your profile has been saved." not in html
    sam.refresh_from_db()
    assert (sam.full_name, sam.phone) == ("Sam Iyer", "+919876543210")


def test_profile_update_ignores_an_email_in_the_post(signed_in, sam):
    signed_in.post(
        "/accounts/", {"full_name": "Sam Iyer", "phone": "", "email": "mallory@example.com"}
    )

    sam.refresh_from_db()
    assert sam.email == "sam@example.com"


# --- Password change ------------------------------------------------------------------------


def test_password_change_with_the_wrong_old_password_is_refused(signed_in, sam):
    response = signed_in.post(
        "/accounts/password/",
        {
            "old_password": "not-my-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert response.status_code == 400
    assert 'id="id_old_password_error"' in response.content.decode()
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)
    assert not sam.check_password(NEW_PASSWORD)


def test_password_change_keeps_this_session_and_ends_the_others(signed_in, sam):
    elsewhere = Client()
    elsewhere.force_login(sam)

    response = signed_in.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )

    assert (response.status_code, response["Location"]) == (302, "/accounts/")
    page = signed_in.get("/accounts/")
    assert page.status_code == 200
    assert "Your password has been changed." in page.content.decode()
    assert authenticate(username="sam@example.com", password=PASSWORD) is None
    assert authenticate(username="sam@example.com", password=NEW_PASSWORD) == sam
    assert elsewhere.get("/accounts/").status_code == 302


def test_password_change_page_requires_sign_in(client):
    response = client.get("/accounts/password/")

    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=/accounts/password/",
    )


# --- Password reset -------------------------------------------------------------------------


def test_password_reset_by_email_end_to_end(client, sam):
    response = client.post("/accounts/password/reset/", {"email": "Sam@Example.com"})

    assert (response.status_code, response["Location"]) == (302, "/accounts/password/reset/sent/")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject) == (["sam@example.com"], "Reset your TTMS password")
    assert message.from_email == "TTMS <no-reply@ttms.localhost>"
    link = RESET_LINK.search(message.body).group(1)

    opened = client.get(link)
    assert opened.status_code == 302
    form_url = opened["Location"]
    assert form_url.endswith("/set-password/")
    form_page = client.get(form_url)
    assert form_page.status_code == 200
    assert 'name="new_password1"' in form_page.content.decode()

    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert (done.status_code, done["Location"]) == (302, "/accounts/password/reset/complete/")

    signed_in = client.post(
        "/accounts/login/", {"username": "sam@example.com", "password": NEW_PASSWORD}
    )
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    assert client.session["_auth_user_id"] == str(sam.pk)
    assert authenticate(username="sam@example.com", password=PASSWORD) is None


def test_password_reset_link_works_only_once(client, sam):
    link = _request_reset_link(client, "sam@example.com")
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = client.get(link)

    assert again.status_code == 200
    assert "<h1>Reset link not valid</h1>" in again.content.decode()
    sam.refresh_from_db()
    assert sam.check_password(NEW_PASSWORD)


def test_password_reset_with_mismatched_passwords_is_refused(client, sam):
    link = _request_reset_link(client, "sam@example.com")
    form_url = client.get(link)["Location"]

    response = client.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": "something-else-entirely"}
    )

    assert response.status_code == 400
    assert 'id="id_new_password2_error"' in response.content.decode()
    sam.refresh_from_db()
    assert sam.check_password(PASSWORD)


def test_password_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(client, sam):
    known = client.post("/accounts/password/reset/", {"email": "sam@example.com"})
    mail.outbox.clear()

    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert mail.outbox == []
    page = client.get(unknown["Location"]).content.decode()
    assert "<h1>Check your email</h1>" in page
    assert "nobody@example.com" not in page


def test_password_reset_with_a_malformed_email_is_refused_next_to_the_field(client, sam):
    response = client.post("/accounts/password/reset/", {"email": "sam-at-example"})

    assert response.status_code == 400
    assert 'id="id_email_error"' in response.content.decode()
    assert mail.outbox == []


# --- Sign-in and sign-up links, next ---------------------------------------------------------


def test_login_page_links_to_password_reset_and_to_signup_keeping_next(client):
    html = client.get("/accounts/login/?next=/wallet/").content.decode()

    assert '<a href="/accounts/password/reset/">Forgot your password?</a>' in html
    assert 'href="/accounts/signup/?next=/wallet/"' in html


def test_signup_page_carries_next_and_links_to_login_keeping_it(client):
    html = client.get("/accounts/signup/?next=/wallet/").content.decode()

    assert '<input type="hidden" name="next" value="/wallet/">' in html
    assert 'href="/accounts/login/?next=/wallet/"' in html


def test_signup_page_drops_an_unsafe_next(client):
    html = client.get("/accounts/signup/?next=https://evil.example/").content.decode()

    assert 'name="next"' not in html
    assert "evil.example" not in html


@pytest.mark.parametrize(
    ("next_url", "lands_on"),
    [("/wallet/", "/wallet/"), ("https://evil.example/", "/"), ("//evil.example/", "/")],
)
def test_signup_redirects_only_to_a_safe_next(client, next_url, lands_on):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Leela Nair",
            "email": "leela@example.com",
            "phone": "",
            "password": "a-long-travel-pass",
            "next": next_url,
        },
    )

    assert (response.status_code, response["Location"]) == (302, lands_on)
    assert User.objects.filter(email="leela@example.com").count() == 1


def test_login_redirects_to_next(client, sam):
    response = client.post(
        "/accounts/login/",
        {"username": "sam@example.com", "password": PASSWORD, "next": "/wallet/"},
    )

    assert (response.status_code, response["Location"]) == (302, "/wallet/")


# --- Every page: a title and one h1 ----------------------------------------------------------


def _reset_form_url(client, user) -> str:
    return client.get(_request_reset_link(client, user.email))["Location"]


@pytest.mark.parametrize(
    ("url", "sign_in", "title", "h1"),
    [
        ("/accounts/", True, "Your account", "Your account"),
        ("/accounts/password/", True, "Change your password", "Change your password"),
        ("/accounts/password/reset/", False, "Reset your password", "Reset your password"),
        ("/accounts/password/reset/sent/", False, "Check your email", "Check your email"),
        ("/accounts/password/reset/complete/", False, "Password changed", "Password changed"),
        (
            "/accounts/password/reset/MQ/bad-token/",
            False,
            "Reset link not valid",
            "Reset link not valid",
        ),
        (_reset_form_url, False, "Choose a new password", "Choose a new password"),
        ("/accounts/login/", False, "Sign in", "Sign in"),
        ("/accounts/signup/", False, "Create an account", "Create an account"),
    ],
)
def test_every_account_page_has_a_title_and_one_h1(client, sam, url, sign_in, title, h1):
    if sign_in:
        client.force_login(sam)
    if callable(url):
        url = url(client, sam)

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    assert f"<title>{title} · TTMS</title>" in html
    assert html.count("<h1") == 1
    assert f"<h1>{h1}</h1>" in html
