"""Row locks of the fleet app, in one place so every path locks in the same order.

Every helper must run inside `transaction.atomic`. Locks are taken in primary-key order, so
two operations locking overlapping sets never deadlock, and waits are bounded: a lock not
granted within LOCK_TIMEOUT raises `Busy` instead of hanging a request.
"""

from collections.abc import Iterable

from django.db import OperationalError, connection

from .exceptions import Busy
from .models import Schedule

LOCK_TIMEOUT = "5s"


def _bound_lock_wait() -> None:
    # PostgreSQL waits for row locks forever by default; SQLite serialises writers at BEGIN
    # (transaction_mode=IMMEDIATE) with its own busy timeout.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")


def lock_schedules(ids: Iterable[int]) -> list[Schedule]:
    """Lock the schedules (trips) with these ids, in pk order, and return them fresh."""
    _bound_lock_wait()
    try:
        return list(
            Schedule.objects.select_for_update(of=("self",))
            .select_related("route", "route__company")
            .filter(pk__in=list(ids))
            .order_by("pk")
        )
    except OperationalError as exc:
        if "lock timeout" in str(exc).lower():
            raise Busy() from exc
        raise


def lock_schedule(schedule_id: int) -> Schedule:
    schedules = lock_schedules([schedule_id])
    if not schedules:
        raise Schedule.DoesNotExist(f"No trip with id {schedule_id}.")
    return schedules[0]
