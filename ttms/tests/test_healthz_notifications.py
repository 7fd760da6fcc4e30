"""/healthz's notifications check: ok while every delivery is sent or fresh, a warning
(still 200: the instance serves) once one has waited unsent longer than
TTMS_NOTIFY_STALE_MINUTES, ok again once it is sent."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.models import Delivery, OutboxMessage

pytestmark = pytest.mark.django_db


def _queued(written) -> Delivery:
    message = OutboxMessage.objects.create(
        topic="pnr.cancelled", user=UserFactory(), language="en", created_at=written
    )
    return Delivery.objects.create(message=message, channel="email", next_attempt_at=written)


def _notifications(client) -> tuple[int, str, str]:
    response = client.get("/healthz")
    body = response.json()
    return response.status_code, body["status"], body["checks"]["notifications"]


def test_a_delivery_unsent_past_the_stale_minutes_is_a_warning_not_an_outage(client, settings):
    settings.TTMS_NOTIFY_STALE_MINUTES = 15
    written = timezone.now()
    delivery = _queued(written)

    with time_machine.travel(written + timedelta(minutes=15), tick=False):
        fresh = _notifications(client)
    with time_machine.travel(written + timedelta(minutes=15, seconds=1), tick=False):
        stale = _notifications(client)
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT)
        sent = _notifications(client)

    assert fresh[0] == 200 and fresh[2] == "ok"
    assert stale == (200, "warning", "warning")
    assert sent[0] == 200 and sent[2] == "ok"


def test_a_delivery_waiting_for_its_retry_counts_as_unsent(client, settings):
    settings.TTMS_NOTIFY_STALE_MINUTES = 15
    written = timezone.now() - timedelta(minutes=20)
    delivery = _queued(written)
    Delivery.objects.filter(pk=delivery.pk).update(
        attempts=3, next_attempt_at=timezone.now() + timedelta(minutes=4)
    )

    assert _notifications(client)[1:] == ("warning", "warning")


def test_dead_and_skipped_deliveries_are_not_waiting(client, settings):
    settings.TTMS_NOTIFY_STALE_MINUTES = 15
    written = timezone.now() - timedelta(hours=2)
    for status in (Delivery.Status.DEAD, Delivery.Status.SKIPPED):
        Delivery.objects.filter(pk=_queued(written).pk).update(status=status)

    assert _notifications(client)[2] == "ok"
