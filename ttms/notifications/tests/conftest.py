import pytest


@pytest.fixture
def tasks_in_process(monkeypatch):
    """Deliveries are sent where their change commits (with REDIS_URL too), as embedded:
    for tests of what is sent, not of the broker."""
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
