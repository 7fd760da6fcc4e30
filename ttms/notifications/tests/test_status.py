"""`manage.py notifications_status`: deliveries by channel and state, and the age of the
oldest due and unsent one, as a table and as JSON."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.models import Delivery, OutboxMessage

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)


def _delivery(channel, status, *, written, attempts=0, due=None) -> Delivery:
    message = OutboxMessage.objects.create(
        topic="pnr.cancelled", user=UserFactory(), language="en", created_at=written
    )
    return Delivery.objects.create(
        message=message,
        channel=channel,
        status=status,
        attempts=attempts,
        next_attempt_at=due or written,
    )


@pytest.fixture
def outbox():
    queued, sent, dead, skipped = (
        Delivery.Status.QUEUED,
        Delivery.Status.SENT,
        Delivery.Status.DEAD,
        Delivery.Status.SKIPPED,
    )
    # Due for 20 minutes, never tried (the broker was down): the oldest due.
    _delivery("email", queued, written=NOW - timedelta(minutes=20))
    _delivery("email", queued, written=NOW - timedelta(minutes=1))
    # Tried twice, its retry due in 10 minutes: failing, not due, older still.
    _delivery(
        "sms", queued, written=NOW - timedelta(hours=1), attempts=2, due=NOW + timedelta(minutes=10)
    )
    _delivery("sms", dead, written=NOW - timedelta(hours=3), attempts=6)
    _delivery("email", sent, written=NOW - timedelta(hours=3), attempts=1)
    _delivery("email", skipped, written=NOW - timedelta(hours=3), attempts=1)
    _delivery("in_app", sent, written=NOW - timedelta(hours=3))


def _run(*args) -> str:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("notifications_status", *args, stdout=out)
    return out.getvalue()


def test_status_as_json_counts_each_channel_and_state_and_the_oldest_due(outbox, settings):
    settings.TTMS_NOTIFY_STALE_MINUTES = 15

    status = json.loads(_run("--json"))

    assert status["channels"] == {
        "email": {"queued": 2, "failing": 0, "sent": 1, "dead": 0, "skipped": 1},
        "sms": {"queued": 0, "failing": 1, "sent": 0, "dead": 1, "skipped": 0},
        "in_app": {"queued": 0, "failing": 0, "sent": 1, "dead": 0, "skipped": 0},
    }
    assert status["total"] == {"queued": 2, "failing": 1, "sent": 2, "dead": 1, "skipped": 1}
    assert status["oldest_due_unsent_since"] == "2030-01-07T07:40:00+00:00"
    assert status["oldest_due_unsent_seconds"] == 1200.0
    assert (status["stale_after_minutes"], status["stale"]) == (15, True)


def test_status_as_a_table_names_the_age_and_warns_when_stale(outbox, settings):
    settings.TTMS_NOTIFY_STALE_MINUTES = 15

    lines = _run().splitlines()

    assert lines[0].split() == ["channel", "queued", "failing", "sent", "dead", "skipped"]
    assert lines[1].split() == ["email", "2", "0", "1", "0", "1"]
    assert lines[2].split() == ["sms", "0", "1", "0", "1", "0"]
    assert lines[4].split() == ["total", "2", "1", "2", "1", "1"]
    assert lines[5].startswith(
        "Oldest due and unsent: 20 min 0 s (written 2030-01-07 07:40:00 UTC); older than "
        "TTMS_NOTIFY_STALE_MINUTES (15)"
    )


def test_status_of_an_empty_outbox():
    status = json.loads(_run("--json"))

    assert status["total"] == dict.fromkeys(["queued", "failing", "sent", "dead", "skipped"], 0)
    assert status["oldest_due_unsent_since"] is None
    assert status["stale"] is False
    assert _run().splitlines()[-1] == "Oldest due and unsent: none"
