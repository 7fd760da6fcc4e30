"""The site in Hindi: chosen by the browser (Accept-Language), by the footer's switcher (the
cookie), or by the user's own language, which outranks both; the API and the emails too.

Known phrases only, never whole Hindi paragraphs: the catalogue's wording may change."""

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import translation
from rest_framework_simplejwt.tokens import RefreshToken

from ttms.accounts.models import User
from ttms.accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

HINDI = {"HTTP_ACCEPT_LANGUAGE": "hi"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _english_after_each_test():
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client, url: str, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


# --- The browser's language -----------------------------------------------------------------


def test_the_home_page_is_in_hindi_when_the_browser_asks_for_it(client):
    page = _page(client, "/", **HINDI)

    assert '<html lang="hi"' in page
    assert "इंटरसिटी ट्रेनें और बसें, सही तरीक़े से बुक।" in page
    assert "पीएनआर स्थिति" in page  # the header's link
    assert "Intercity trains and buses, booked right." not in page


def test_the_search_page_is_in_hindi_when_the_browser_asks_for_it(client):
    page = _page(client, "/trips/", **HINDI)

    assert "<h1>यात्रा खोजें</h1>" in page
    assert "यात्रा की तारीख़" in page  # the form's date label


def test_the_sign_in_page_is_in_hindi_when_the_browser_asks_for_it(client):
    page = _page(client, "/accounts/login/", **HINDI)

    assert "<h1>साइन इन करें</h1>" in page
    assert "पासवर्ड भूल गए?" in page


def test_a_browser_asking_for_english_or_an_unknown_language_gets_english(client):
    assert "<h1>Find a trip</h1>" in _page(client, "/trips/", **ENGLISH)
    assert "<h1>Find a trip</h1>" in _page(client, "/trips/", HTTP_ACCEPT_LANGUAGE="fr")


# --- The switcher (set_language) ------------------------------------------------------------


def test_the_switcher_sets_the_language_cookie_and_the_next_page_follows_it(client):
    response = client.post("/i18n/setlang/", {"language": "hi"}, HTTP_REFERER="/trips/")

    assert response.status_code == 302
    assert response["Location"] == "/trips/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "hi"
    assert "<h1>यात्रा खोजें</h1>" in _page(client, "/trips/", **ENGLISH)


def test_the_footer_has_the_switcher_with_the_current_language_selected(client):
    page = _page(client, "/", **HINDI)

    assert '<form action="/i18n/setlang/" method="post"' in page
    assert '<option value="hi" lang="hi" selected>हिंदी</option>' in page
    assert '<option value="en" lang="en">English</option>' in page


def test_the_switcher_saves_a_signed_in_users_choice():
    user = UserFactory()
    client = _signed_in(user)

    client.post("/i18n/setlang/", {"language": "hi"})

    user.refresh_from_db()
    assert user.language == "hi"


def test_the_switcher_refuses_a_language_the_site_does_not_have():
    user = UserFactory(language="hi")
    client = _signed_in(user)

    response = client.post("/i18n/setlang/", {"language": "xx"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    user.refresh_from_db()
    assert user.language == "hi"


# --- The user's own language ----------------------------------------------------------------


def test_a_user_whose_language_is_hindi_gets_hindi_with_an_english_browser():
    client = _signed_in(UserFactory(language="hi"))

    page = _page(client, "/accounts/", **ENGLISH)

    assert '<html lang="hi"' in page
    assert "<h1>आपका खाता</h1>" in page


def test_the_users_language_outranks_the_switchers_cookie():
    client = _signed_in(UserFactory(language="en"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "hi"

    assert "<h1>Your account</h1>" in _page(client, "/accounts/", **HINDI)


def test_a_user_without_a_language_follows_the_browser():
    client = _signed_in(UserFactory(language=""))

    assert "<h1>आपका खाता</h1>" in _page(client, "/accounts/", **HINDI)
    assert "<h1>Your account</h1>" in _page(client, "/accounts/", **ENGLISH)


def test_the_account_page_saves_the_language_and_answers_in_it():
    user = UserFactory(full_name="Asha Rao", language="")
    client = _signed_in(user)

    response = client.post(
        "/accounts/",
        {"full_name": "Asha Rao", "phone": "", "language": "hi"},
        follow=True,
        **ENGLISH,
    )

    user.refresh_from_db()
    assert user.language == "hi"
    page = response.content.decode()
    assert "आपकी प्रोफ़ाइल सहेज ली गई है।" in page
    assert '<option value="hi" selected>हिन्दी</option>' in page


def test_djangos_own_messages_missing_from_its_hindi_catalogue_are_hindi_too():
    client = _signed_in(UserFactory(language="hi"))

    page = _page(client, "/accounts/password/")

    assert "आपका पासवर्ड केवल अंकों का नहीं हो सकता।" in page  # a password validator's help
    assert "पुष्टि के लिए वही पासवर्ड फिर से दर्ज करें।" in page


# --- The API --------------------------------------------------------------------------------


def _bearer(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(user).access_token}"}


def test_the_api_answers_a_token_user_in_their_language_whatever_the_browser_asks(client):
    user = UserFactory(language="hi")

    response = client.get("/api/v1/bookings/1234567890/", **_bearer(user), **ENGLISH)

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "इस नंबर का कोई पीएनआर आपका नहीं है।"
    assert response["Content-Language"] == "hi"


def test_the_api_answers_in_english_for_a_user_who_chose_english(client):
    user = UserFactory(language="en")

    response = client.get("/api/v1/bookings/1234567890/", **_bearer(user), **HINDI)

    assert response.json()["error"]["message"] == "You have no PNR with this number."


def test_the_api_follows_accept_language_for_anonymous_callers(client):
    response = client.post("/api/v1/auth/register/", {}, content_type="application/json", **HINDI)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "कुछ फ़ील्ड मान्य नहीं हैं।"
    assert error["fields"]["email"] == ["यह फ़ील्ड ज़रूरी है।"]


def test_the_api_translates_rest_frameworks_own_messages(client):
    response = client.get("/api/v1/auth/me/", **HINDI)

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "प्रमाणीकरण विवरण नहीं दिए गए।"


# --- Emails ---------------------------------------------------------------------------------


def test_the_password_reset_email_is_in_hindi_when_asked_in_hindi(client):
    UserFactory(email="meera@example.com", full_name="Meera Shah", language="")

    client.post("/accounts/password/reset/", {"email": "meera@example.com"}, **HINDI)

    (message,) = mail.outbox
    assert message.subject == "अपना TTMS पासवर्ड रीसेट करें"
    assert message.body.startswith("नमस्ते Meera,")
    assert "/accounts/password/reset/" in message.body


def test_the_password_reset_email_is_in_the_accounts_own_language(client):
    UserFactory(email="meera@example.com", full_name="Meera Shah", language="hi")

    client.post("/accounts/password/reset/", {"email": "meera@example.com"}, **ENGLISH)

    (message,) = mail.outbox
    assert message.subject == "अपना TTMS पासवर्ड रीसेट करें"


def test_the_password_reset_email_stays_english_when_asked_in_english(client):
    UserFactory(email="meera@example.com", full_name="Meera Shah", language="")

    client.post("/accounts/password/reset/", {"email": "meera@example.com"}, **ENGLISH)

    (message,) = mail.outbox
    assert message.subject == "Reset your TTMS password"
    assert message.body.startswith("Hello Meera,")


def test_signing_in_with_a_saved_language_needs_no_cookie(client):
    UserFactory(email="ravi@example.com", language="hi")

    client.post("/accounts/login/", {"username": "ravi@example.com", "password": PASSWORD})

    assert "<h1>आपका खाता</h1>" in _page(client, "/accounts/", **ENGLISH)
    assert User.objects.get(email="ravi@example.com").language == "hi"
