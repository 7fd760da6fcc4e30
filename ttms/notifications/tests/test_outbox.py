"""The outbox's core: messages and their deliveries written with the change, deduplicated,
claimed once, sent, retried with backoff, dead after the last attempt, re-sent."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from ttms.accounts.tests.factories import UserFactory
from ttms.notifications import dispatch
from ttms.notifications.channels import DeliveryFailed
from ttms.notifications.dispatch import (
    DEAD,
    FAILED,
    NOT_CLAIMED,
    SENT,
    deliveries_claim,
    delivery_resend,
    delivery_send,
)
from ttms.notifications.models import Delivery, OutboxMessage, Preference
from ttms.notifications.services import Message, outbox_add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def _user(**extra):
    return UserFactory(email="asha@example.com", phone="+919876543210", **extra)


def _channels(message: OutboxMessage) -> dict:
    return {d.channel: d.status for d in message.deliveries.all()}


def test_a_message_gets_a_delivery_per_channel_the_user_can_be_reached_on(
    django_capture_on_commit_callbacks,
):
    with_phone, without = _user(), UserFactory(email="b@example.com", phone="")

    with django_capture_on_commit_callbacks(execute=True):
        outbox_add(
            messages=[
                Message("pnr.cancelled", with_phone.pk, {"pnr": "1"}, dedupe_key="a"),
                Message("pnr.cancelled", without.pk, {"pnr": "2"}, dedupe_key="b"),
            ]
        )

    first, second = OutboxMessage.objects.order_by("pk")
    # Embedded, the tasks run at commit: email and SMS are sent, in-app is there at once.
    assert _channels(first) == {"email": "sent", "sms": "sent", "in_app": "sent"}
    assert _channels(second) == {"email": "sent", "in_app": "sent"}
    assert first.sent_at is not None and second.sent_at is not None
    assert sorted(m.to for m in mail.outbox) == [["asha@example.com"], ["b@example.com"]]


def test_the_same_dedupe_key_writes_one_message(django_capture_on_commit_callbacks):
    user = _user()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            outbox_add(messages=[Message("pnr.cancelled", user.pk, {"pnr": "1"}, dedupe_key="k1")])

    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


def test_preferences_turn_optional_events_off_but_never_a_mandatory_one(
    django_capture_on_commit_callbacks,
):
    user = _user()
    for topic in ("trip.reminder", "pnr.cancelled"):
        for channel in ("email", "sms", "in_app"):
            Preference.objects.create(user=user, topic=topic, channel=channel, enabled=False)

    with django_capture_on_commit_callbacks(execute=True):
        outbox_add(
            messages=[
                Message("trip.reminder", user.pk, {"pnr": "1"}, dedupe_key="r"),
                Message("pnr.cancelled", user.pk, {"pnr": "1"}, dedupe_key="c"),
            ]
        )

    reminder, cancelled = OutboxMessage.objects.order_by("pk")
    assert _channels(reminder) == {}
    assert _channels(cancelled) == {"email": "sent", "in_app": "sent"}


def test_nothing_is_written_or_sent_when_the_change_rolls_back():
    user = _user()
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_add(messages=[Message("pnr.cancelled", user.pk, {}, dedupe_key="x")])
        raise RuntimeError

    assert not OutboxMessage.objects.exists() and not Delivery.objects.exists()
    assert mail.outbox == []


def _queued(channel="email") -> Delivery:
    """A queued delivery whose task did not run (as with the broker down)."""
    user = _user()
    message = OutboxMessage.objects.create(topic="pnr.cancelled", user=user, language="en")
    return Delivery.objects.create(message=message, channel=channel)


def test_a_delivery_is_claimed_by_one_dispatcher_at_a_time():
    delivery = _queued()

    assert deliveries_claim(ids=[delivery.pk]) == [delivery.pk]
    assert deliveries_claim(ids=[delivery.pk]) == []
    assert delivery_send(delivery.pk).outcome == NOT_CLAIMED
    # Its lease ends: due again.
    later = timezone.now() + dispatch.LEASE + timedelta(seconds=1)
    assert deliveries_claim(ids=[delivery.pk], now=later) == [delivery.pk]


def test_failures_back_off_then_the_delivery_is_dead_and_can_be_resent(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.TTMS_NOTIFY_MAX_ATTEMPTS = 3
    settings.TTMS_NOTIFY_BACKOFF_SECONDS = 30
    delivery = _queued()

    def refuse(self, **kwargs):
        raise DeliveryFailed("the server said no")

    now = timezone.now()
    outcomes, waits = [], []
    with monkeypatch.context() as patched:
        patched.setattr("ttms.notifications.channels.email.DjangoEmailBackend.send", refuse)
        for _ in range(3):
            attempt = delivery_send(delivery.pk, now=now)
            outcomes.append(attempt.outcome)
            if attempt.retry_at:
                waits.append((attempt.retry_at - now).total_seconds())
                assert delivery_send(delivery.pk, now=now).outcome == NOT_CLAIMED  # not due
                now = attempt.retry_at

    assert outcomes == [FAILED, FAILED, DEAD]
    assert 30 <= waits[0] <= 37.5 and 60 <= waits[1] <= 75
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("dead", 3)
    assert delivery.last_error == "DeliveryFailed: the server said no"

    with django_capture_on_commit_callbacks(execute=True):
        delivery_resend(delivery)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1
    assert delivery_send(delivery.pk).outcome == NOT_CLAIMED


def test_a_permanent_failure_is_dead_at_once(monkeypatch):
    delivery = _queued()

    def refuse(self, **kwargs):
        raise DeliveryFailed("no such mailbox", permanent=True)

    monkeypatch.setattr("ttms.notifications.channels.email.DjangoEmailBackend.send", refuse)
    assert delivery_send(delivery.pk).outcome == DEAD


def test_a_sent_delivery_records_the_provider_reference():
    delivery = _queued()

    assert delivery_send(delivery.pk).outcome == SENT
    delivery.refresh_from_db()
    assert delivery.provider_ref == f"<ttms-{delivery.message_id}-email@ttms.localhost>"
    assert mail.outbox[0].extra_headers["Message-ID"] == delivery.provider_ref
