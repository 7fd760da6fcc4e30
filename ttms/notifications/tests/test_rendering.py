"""Rendering without a PNR: amounts and times in the recipient's language, plain text left
unescaped and HTML escaped, and a message that renders whatever its payload lacks."""

from datetime import UTC, datetime

import pytest

from ttms.accounts.tests.factories import UserFactory
from ttms.localtime import local_time
from ttms.notifications.events import EMAIL, IN_APP, SMS
from ttms.notifications.models import OutboxMessage
from ttms.notifications.rendering import render

pytestmark = pytest.mark.django_db


def _message(topic, payload, language="en", **extra):
    user = UserFactory(email="aline@example.com", phone="+250788123456", language=language)
    return OutboxMessage.objects.create(
        topic=topic, user=user, payload=payload, language=language, **extra
    )


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Thu 3 Dec, 06:00 CAT (Africa/Kigali)"),
        ("hi", "गुरु 3 दिस॰, 06:00 CAT (Africa/Kigali)"),
    ],
)
def test_a_time_reads_in_the_stations_zone_and_the_recipients_language(language, text):
    from django.utils import translation

    with translation.override(language):
        assert local_time(datetime(2026, 12, 3, 4, 0, tzinfo=UTC), "Africa/Kigali") == text
        assert local_time(datetime(2026, 12, 3, 4, 0, tzinfo=UTC), "Africa/Kigali", short=True) == (
            text.removesuffix(" (Africa/Kigali)")
        )


@pytest.mark.parametrize(
    ("language", "amount"), [("en", "RWF\u00a0250,000"), ("hi", "RWF\u00a02,50,000")]
)
def test_a_top_up_reads_in_the_wallets_currency_in_the_users_language(language, amount):
    message = _message(
        "topup.credited", {"amount": 250_000, "currency": "RWF", "reference": "p-1"}, language
    )

    email, in_app = render(message, EMAIL), render(message, IN_APP)

    assert amount in email.subject and amount in email.text and amount in email.html
    assert amount in in_app.text
    assert "http://127.0.0.1:8000/wallet/" in email.html
    assert email.unsubscribe_url == ""  # a mandatory event
    if language == "en":  # the wording in the source language; Hindi's is the catalogue's
        assert email.subject == f"{amount} added to your wallet"
        assert f"Your top-up of {amount} is credited to your wallet." in email.text
        assert in_app.text == f"Top-up of {amount} credited."


def test_plain_text_keeps_apostrophes_and_html_escapes_what_the_payload_says():
    message = _message(
        "topup.failed",
        {"amount": 5000, "currency": "KES", "reason": "O'Brien's <b>card</b> declined"},
    )

    email = render(message, EMAIL)

    assert "Reason: O'Brien's <b>card</b> declined" in email.text
    assert "O&#x27;Brien&#x27;s &lt;b&gt;card&lt;/b&gt; declined" in email.html
    assert "<b>card</b>" not in email.html


def test_a_pnr_that_is_gone_still_renders_with_its_number():
    message = _message("pnr.cancelled", {"pnr": "0000000001", "refund": 2500, "currency": "RWF"})

    email, sms = render(message, EMAIL), render(message, SMS)

    assert email.subject == "PNR 0000000001 cancelled, RWF\u00a02,500 refunded"
    assert "PNR: 0000000001" in email.text
    assert "http://127.0.0.1:8000/bookings/0000000001/" in email.html
    assert sms.text == "PNR 0000000001 cancelled. Refund RWF\u00a02,500 to your wallet."


def test_an_amount_of_an_unknown_currency_or_of_no_number_is_left_out():
    message = _message("topup.credited", {"amount": "lots", "currency": "XYZ"})

    email = render(message, EMAIL)

    assert "Amount" not in email.text and "None" not in email.text


def test_links_are_made_absolute_with_the_site_url(settings):
    settings.TTMS_SITE_URL = "https://tickets.example.rw"
    message = _message("account.password_changed", {"at": "2026-12-03T04:00:00+00:00"})

    email = render(message, EMAIL)

    assert "https://tickets.example.rw/accounts/password/reset/" in email.html
    assert "When: Thu 3 Dec, 09:30 IST (Asia/Kolkata)" in email.text
