"""Bounded lock waits, shared by every app's `locks.py`.

PostgreSQL waits for a row lock forever by default; these helpers bound the wait for the
current transaction and turn a wait that ran out into the app's "busy, retry" error. SQLite
needs neither: its IMMEDIATE transactions run writers one at a time, with its own busy
timeout.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection

# SQLSTATE of a lock wait that ran into lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"


def is_lock_timeout(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == LOCK_NOT_AVAILABLE


def limit_lock_waits(milliseconds: int) -> None:
    """Bound every lock wait of the current transaction (one statement, PostgreSQL only)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{int(milliseconds)}ms"])


@contextmanager
def lock_timeouts_raise(error: type[Exception]) -> Iterator[None]:
    """Raise `error` (a 503 "busy, retry" domain error) when a lock wait inside the block
    runs out."""
    try:
        yield
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise error() from exc
        raise
