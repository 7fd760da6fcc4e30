"""Must show 2: four dispatcher processes (`manage.py notifications_dispatch --until-empty`,
real OS processes) at once over 1,000 queued deliveries on PostgreSQL: each is claimed by
one of them (SKIP LOCKED) and sent once: one email each, every row sent at its first
attempt."""

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from ttms.notifications.models import Delivery, OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
MESSAGES = 1000
DISPATCHERS = 4
MESSAGE_ID = re.compile(rb"^Message-ID: <(ttms-\d+-email)@", re.MULTILINE)


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _sent_message_ids(mail_dir: Path) -> Counter:
    found = Counter()
    for path in mail_dir.iterdir():
        found.update(m.decode() for m in MESSAGE_ID.findall(path.read_bytes()))
    return found


def test_four_dispatcher_processes_send_each_of_1000_deliveries_once(tmp_path):
    messages = OutboxMessage.objects.bulk_create(
        OutboxMessage(
            topic="topup.credited",
            email=f"rider{i}@example.com",
            language="en",
            payload={"amount": 50_000, "currency": "RWF", "reference": f"T{i}"},
            dedupe_key=f"dispatchers-{i}",
        )
        for i in range(MESSAGES)
    )
    Delivery.objects.bulk_create(Delivery(message=m, channel="email") for m in messages)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        # An absolute path: filemail:/// + "/tmp/..." (three slashes alone read as relative).
        "EMAIL_URL": f"filemail:///{mail_dir}",
        # No broker: these processes only dispatch, none enqueues.
        "CELERY_BROKER_URL": "",
    }
    command = [sys.executable, "manage.py", "notifications_dispatch", "--until-empty"]

    dispatchers = [
        subprocess.Popen(
            [*command, "--batch", "25"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(DISPATCHERS)
    ]
    outputs = []
    for process in dispatchers:
        out, _ = process.communicate(timeout=240)
        outputs.append(out)
        assert process.returncode == 0, out

    attempted = [
        int(re.search(r"^(\d+) deliveries attempted", out, re.MULTILINE).group(1))
        for out in outputs
    ]
    assert sum(attempted) == MESSAGES, outputs
    sent = _sent_message_ids(mail_dir)
    expected = {f"ttms-{m.pk}-email" for m in messages}
    assert set(sent) == expected
    assert set(sent.values()) == {1}
    assert Delivery.objects.filter(status="sent", attempts=1).count() == MESSAGES
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
