"""Row locks of the booking app, in one place so every path takes them in the same order.

The order, for any operation that needs both: the wallet (payments, a conditional UPDATE),
then the trip class. A trip class's row serialises everything that allocates its places or
reorders its RAC and waiting lists; places are not locked one by one.

Waits are bounded (`SET LOCAL lock_timeout` for the whole booking transaction on
PostgreSQL); a wait that runs out raises `Busy`. SQLite runs writers one at a time already.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection

from .exceptions import Busy
from .models import TripClass

# SQLSTATE of a lock wait that ran into lock_timeout.
_LOCK_NOT_AVAILABLE = "55P03"


def bound_lock_waits() -> None:
    """Limit every lock wait of the current transaction (PostgreSQL; one statement)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s",
                           [f"{int(settings.TTMS_BOOKING_LOCK_TIMEOUT_MS)}ms"])


@contextmanager
def lock_timeouts_as_busy() -> Iterator[None]:
    """Turn a lock wait that ran out inside the block into `Busy` (503, retry)."""
    try:
        yield
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise Busy() from exc
        raise


def trip_class_lock(*, schedule_id: int, class_code: str) -> TripClass | None:
    """Lock one class of one trip and return it; None when the trip has no inventory for
    that class (yet). Must run inside a transaction."""
    return (TripClass.objects.select_for_update(of=("self",))
            .filter(schedule_id=schedule_id, class_code=class_code).first())
