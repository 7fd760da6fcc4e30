import pytest

from tracking.store import position_store


@pytest.fixture(autouse=True)
def _fresh_position_store():
    """No test sees another's fixes (in-process store, or the test run's Redis db)."""
    position_store().clear()
    yield
    position_store().clear()


@pytest.fixture(autouse=True)
def _tasks_in_process(monkeypatch):
    """The trail's tasks run where the fix is published (with REDIS_URL too), so tests see
    their rows."""
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
