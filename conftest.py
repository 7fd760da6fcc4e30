"""Fixtures shared by every app's tests.

Tests marked `services` need the real Redis of REDIS_URL (and start a real Celery worker);
tests marked `postgres` need PostgreSQL (row locks, real concurrency). Both are skipped in the
embedded run, where DATABASE_URL and REDIS_URL are unset.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

ROOT = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_services = pytest.mark.skip(reason="needs REDIS_URL: the services run of .ci/run sets it")
    skip_postgres = pytest.mark.skip(
        reason="needs PostgreSQL (DATABASE_URL): the services run of .ci/run sets it"
    )
    for item in items:
        if "services" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_services)
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_postgres)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """The embedded run's test database is a file, as `make run`'s is, not SQLite's shared
    in-memory database: the live server of the browser tests answers each request in its
    own thread, and threads sharing one in-memory database lock each other's tables out,
    where a file in WAL mode lets them queue as in production."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        db["TEST"]["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters and cached values never leak from one test into the next."""
    cache.clear()
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def _database_url_for_tests() -> str | None:
    """The DATABASE_URL of the test database pytest-django created, for subprocesses."""
    if "DATABASE_URL" not in os.environ:
        return None
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` subprocess on the Redis broker, against the test database."""
    from ttms.celery import app

    name = f"pytest-{uuid.uuid4().hex[:8]}@%h"
    env = dict(os.environ)
    if url := _database_url_for_tests():
        env["DATABASE_URL"] = url
    proc = subprocess.Popen(
        [
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
        ],
        cwd=ROOT,
        env=env,
    )
    hostname = name.replace("%h", os.uname().nodename)
    deadline = time.monotonic() + 60
    try:
        while not app.control.ping(destination=[hostname], timeout=0.5):
            if proc.poll() is not None:
                raise RuntimeError(f"celery worker exited with {proc.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("celery worker did not answer a ping within 60 s")
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
