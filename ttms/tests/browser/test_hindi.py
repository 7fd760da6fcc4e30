"""The site and its emails in Hindi, in a real browser: a browser asking for Hindi, the
footer's switcher (with JavaScript, under the Content-Security-Policy), a user's own
language. The screenshots (hindi-*.png) show them."""

import html

import pytest
from django.core import mail

from ttms.accounts.models import User
from ttms.accounts.tests.factories import PASSWORD, UserFactory

from .support import assert_page_basics, expect, shot, sign_in

pytestmark = pytest.mark.browser

HINDI_BROWSER = {"locale": "hi-IN"}


def test_a_browser_asking_for_hindi_gets_the_site_in_hindi(new_context, device):
    page = new_context(device, **HINDI_BROWSER).new_page()

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("heading", level=1)).to_have_text("इंटरसिटी ट्रेनें और बसें, सही तरीक़े से बुक।")
    assert_page_basics(page)
    shot(page, "hindi-home")

    page.goto("/trips/")
    expect(page.get_by_role("heading", level=1)).to_have_text("यात्रा खोजें")
    assert_page_basics(page)
    shot(page, "hindi-search")

    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("साइन इन करें")
    assert_page_basics(page)
    shot(page, "hindi-login")


def test_the_switcher_changes_the_language_as_soon_as_one_is_picked(new_context):
    page = new_context("desktop", **HINDI_BROWSER).new_page()
    page.goto("/trips/")

    with page.expect_navigation():
        page.get_by_label("भाषा").select_option("en")

    expect(page.get_by_role("heading", level=1)).to_have_text("Find a trip")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_signed_in_user_who_picks_hindi_keeps_it_on_every_page(new_context):
    UserFactory(email="asha@example.com", full_name="Asha Rao")
    page = new_context("phone").new_page()
    sign_in(page, email="asha@example.com", password=PASSWORD)

    page.goto("/bookings/")
    with page.expect_navigation():
        page.get_by_label("Language").select_option("hi")

    expect(page.get_by_role("heading", level=1)).to_have_text("मेरी यात्राएँ")
    assert User.objects.get(email="asha@example.com").language == "hi"
    assert_page_basics(page)
    shot(page, "hindi-my-trips")
    page.goto("/accounts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("आपका खाता")
    shot(page, "hindi-account")


def test_the_password_reset_email_is_in_hindi(new_context):
    UserFactory(email="meera@example.com", full_name="Meera Shah")
    page = new_context("desktop", **HINDI_BROWSER).new_page()
    page.goto("/accounts/password/reset/")

    page.locator("main form").get_by_label("ईमेल").fill("meera@example.com")
    page.get_by_role("button", name="लिंक भेजें").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("अपना ईमेल देखें")

    (message,) = mail.outbox
    assert message.subject == "अपना TTMS पासवर्ड रीसेट करें"
    page.set_content(
        f'<html lang="hi"><body style="font-family: sans-serif; padding: 1rem">'
        f"<h1>{html.escape(message.subject)}</h1>"
        f'<pre style="white-space: pre-wrap">{html.escape(message.body)}</pre></body></html>'
    )
    expect(page.locator("pre")).to_contain_text("नमस्ते Meera,")
    shot(page, "hindi-password-reset-email")
