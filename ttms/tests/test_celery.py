import os
from datetime import timedelta

import pytest
from celery.result import allow_join_result
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from ttms.accounts.tasks import sessions_clear_expired_task
from ttms.celery import BEAT_SCHEDULE, app
from ttms.tasks import ping_task


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()

    assert BEAT_SCHEDULE
    for name, entry in BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert "schedule" in entry, name  # celery beat reads no other key for when


@pytest.mark.django_db
def test_sessions_clear_expired_task_deletes_only_expired_sessions():
    live, expired = SessionStore(), SessionStore()
    live.create()
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    deleted = sessions_clear_expired_task()

    assert deleted == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


@pytest.mark.services
def test_a_task_goes_through_redis_to_a_real_worker_process(celery_worker_process):
    result = ping_task.delay()

    # Celery's guard against joining a result from inside a task is one flag for the whole
    # process, which an eager task running in another thread of the test process sets; this
    # test joins from the test itself, never from a task.
    with allow_join_result():
        answer = result.get(timeout=30)

    assert answer["pong"] is True
    assert answer["pid"] == celery_worker_process.pid
    assert answer["pid"] != os.getpid()
