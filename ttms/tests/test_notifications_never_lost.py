"""Must show 1: nothing announced is lost while the broker is down (DESIGN.md section 7,
item 7). On PostgreSQL and Redis, with the broker pointed at a port where nothing listens:
bookings and a cancellation succeed and leave their deliveries queued; then a Redis is
started on that port and a real `celery worker` process started late against it: its
start-up sweep sends every queued delivery, each exactly once per channel (emails counted
in the files Django's file backend writes, SMS in the worker's console output). A change
made once the broker is back is sent by its own task, once as well."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from booking.lifecycle.services.cancellation import booking_cancel
from booking.sales.services.create import booking_create
from booking.tests.factories import adult, funded_user, make_trip
from ttms.notifications.models import Delivery, OutboxMessage

pytestmark = [
    pytest.mark.services,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("redis-server") is None,
        reason="needs the redis-server binary, to start and stop a broker of its own",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
MESSAGE_ID = re.compile(rb"^Message-ID: <(ttms-\d+-email)@", re.MULTILINE)
SMS_KEY = re.compile(r"SMS to \S+ \((ttms-\d+-sms)\)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextmanager
def _broker(url: str):
    """This process's Celery app publishes to `url` for the block: it lets go of its
    connection and producer pools (kombu keeps one per broker URL, open for the next use)
    so that the next publish takes the pool of `url`."""
    from ttms.celery import app

    def point(to: str) -> None:
        app.conf.broker_url = to
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    point(url)
    try:
        yield
    finally:
        point(previous)


@contextmanager
def _process(args, *, log: Path, env=None):
    with log.open("w") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            rows = list(Delivery.objects.values_list("pk", "channel", "status", "attempts"))
            raise AssertionError(f"{what}: not within {seconds} s; deliveries: {rows}")
        time.sleep(0.2)


def _emails(mail_dir: Path) -> Counter:
    found = Counter()
    for path in mail_dir.iterdir():
        found.update(m.decode() for m in MESSAGE_ID.findall(path.read_bytes()))
    return found


def _expected(channel: str) -> set[str]:
    return {
        f"ttms-{message_id}-{channel}"
        for message_id in Delivery.objects.filter(channel=channel).values_list(
            "message_id", flat=True
        )
    }


def _book(trip, user):
    return booking_create(
        user=user,
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST4",
        class_code="SL",
        quota="GENERAL",
        passengers=[adult("Asha", 34, "F"), adult("Ravi", 36, "M")],
    )


def test_changes_made_while_the_broker_is_down_are_each_delivered_once_by_a_late_worker(
    tmp_path,
):
    port = _free_port()
    broker_url = f"redis://127.0.0.1:{port}/0"
    trip = make_trip(departure=timezone.now() + timedelta(days=2))
    holders = [funded_user(phone=f"+25078800000{i}") for i in range(3)]
    # Funding the wallets told the holders of their top-ups, through the test run's own
    # broker (where a worker may be running): those messages are not this test's.
    OutboxMessage.objects.all().delete()

    # Given the broker unreachable, when passengers book and one cancels:
    with _broker(broker_url):
        pnrs = [_book(trip, holder) for holder in holders]
        booking_cancel(pnr=pnrs[0], by=holders[0])

    # Then every change succeeded and its messages wait, queued and untried.
    assert [p.passengers.count() for p in pnrs] == [2, 2, 2]
    queued = Delivery.objects.filter(status=Delivery.Status.QUEUED)
    assert OutboxMessage.objects.filter(topic="pnr.cancelled").count() == 1
    assert queued.exclude(channel__in=["email", "sms"]).count() == 0
    assert set(queued.values_list("attempts", flat=True)) == {0}
    waiting = queued.count()
    assert waiting == Delivery.objects.exclude(channel="in_app").count() >= 2

    # When the broker comes back and a worker is started late:
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker_log = tmp_path / "worker.log"
    name = f"never-lost-{uuid.uuid4().hex[:8]}@%h"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        # An absolute path: filemail:/// + "/tmp/..." (three slashes alone read as relative).
        "EMAIL_URL": f"filemail:///{mail_dir}",
        "TTMS_SMS_BACKEND": "console",
    }
    redis_server = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    worker = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "ttms",
        "worker",
        "--pool=solo",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        name,
    ]
    with (
        _process(redis_server, log=tmp_path / "redis.log"),
        _process(worker, log=worker_log, env=env),
    ):
        # Then its start-up sweep sends everything that waited.
        _wait_for(
            lambda: not Delivery.objects.filter(status=Delivery.Status.QUEUED).exists(),
            seconds=90,
            what="the queued deliveries sent",
        )
        # And a change made now, with the broker up, goes by its own task.
        with _broker(broker_url):
            booking_cancel(pnr=pnrs[1], by=holders[1])
        _wait_for(
            lambda: (
                Delivery.objects.filter(message__topic="pnr.cancelled", status="sent")
                .exclude(channel="in_app")
                .count()
                == 4
            ),
            seconds=60,
            what="the second cancellation sent",
        )
        sms_keys = Counter(SMS_KEY.findall(worker_log.read_text()))

    deliveries = Delivery.objects.exclude(channel="in_app")
    assert deliveries.count() == waiting + 2
    assert set(deliveries.values_list("status", "attempts")) == {("sent", 1)}
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    emails = _emails(mail_dir)
    assert set(emails) == _expected("email") and set(emails.values()) == {1}
    assert set(sms_keys) == _expected("sms") and set(sms_keys.values()) == {1}
