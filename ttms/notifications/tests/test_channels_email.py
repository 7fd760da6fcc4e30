"""Notification email through Django's email backend: text with an HTML alternative, the
Message-ID made of the dedupe key, and the one-click unsubscribe headers of optional events."""

import pytest
from django.core import mail

from ttms.notifications.channels import Rendered
from ttms.notifications.channels.email import DjangoEmailBackend


def test_an_email_carries_text_html_and_a_message_id_of_its_dedupe_key(settings):
    settings.TTMS_EMAIL_DOMAIN = "ttms.example"

    reference = DjangoEmailBackend().send(
        to="aline@example.com",
        rendered=Rendered(subject="Booking confirmed", text="Seat 14", html="<p>Seat 14</p>"),
        dedupe_key="ttms-7-email",
    )

    (sent,) = mail.outbox
    assert reference == "<ttms-7-email@ttms.example>"
    assert sent.extra_headers["Message-ID"] == reference
    assert (sent.subject, sent.body, sent.to) == (
        "Booking confirmed",
        "Seat 14",
        ["aline@example.com"],
    )
    assert sent.alternatives[0][0] == "<p>Seat 14</p>"
    assert "List-Unsubscribe" not in sent.extra_headers


def test_an_optional_events_email_has_one_click_unsubscribe_headers():
    url = "http://127.0.0.1:8000/notifications/unsubscribe/abc/"

    DjangoEmailBackend().send(
        to="aline@example.com",
        rendered=Rendered(subject="New vehicle", text="RAE 555 C", unsubscribe_url=url),
        dedupe_key="ttms-8-email",
    )

    (sent,) = mail.outbox
    message = sent.message()
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert not sent.alternatives  # no HTML given, none attached


def test_a_provider_configured_through_anymail_gets_the_same_message(settings):
    pytest.importorskip("anymail")
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    url = "http://127.0.0.1:8000/notifications/unsubscribe/abc/"

    reference = DjangoEmailBackend().send(
        to="aline@example.com",
        rendered=Rendered(
            subject="New vehicle", text="RAE 555 C", html="<p>RAE 555 C</p>", unsubscribe_url=url
        ),
        dedupe_key="ttms-9-email",
    )

    (sent,) = mail.outbox
    assert sent.anymail_test_params["extra_headers"]["Message-ID"] == reference
    assert sent.anymail_test_params["extra_headers"]["List-Unsubscribe"] == f"<{url}>"
    assert sent.anymail_test_params["html_body"] == "<p>RAE 555 C</p>"
    assert sent.anymail_status.status == {"sent"}
