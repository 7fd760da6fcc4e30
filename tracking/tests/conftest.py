import pytest

from tracking.store import position_store


@pytest.fixture(autouse=True)
def _fresh_position_store():
    """No test sees another's fixes (in-process store, or the test run's Redis db)."""
    position_store().clear()
    yield
    position_store().clear()
