"""Row locks of the fleet app, in one place so every path locks in the same order.

Every helper must run inside `transaction.atomic`. Locks are taken in primary-key order, so
two operations locking overlapping sets never deadlock, and waits are bounded: a lock not
granted within LOCK_TIMEOUT_MS raises `Busy` instead of hanging a request.
"""

from collections.abc import Iterable

from ttms.accounts.models import User
from ttms.locking import limit_lock_waits, lock_timeouts_raise

from .exceptions import Busy
from .models import OperatorApplication, Trip, Vehicle

LOCK_TIMEOUT_MS = 5000


def lock_trips(ids: Iterable[int]) -> list[Trip]:
    """Lock the trips with these ids, in pk order, and return them fresh."""
    limit_lock_waits(LOCK_TIMEOUT_MS)
    with lock_timeouts_raise(Busy):
        return list(
            # NO KEY UPDATE: inserting a row that references the trip (a PNR) takes a KEY
            # SHARE lock on it, which this does not block.
            Trip.objects.select_for_update(of=("self",), no_key=True)
            .select_related("route", "route__company")
            .filter(pk__in=list(ids))
            .order_by("pk")
        )


def lock_assignees(*, vehicle_ids: Iterable[int] = (), driver_ids: Iterable[int] = ()) -> None:
    """Lock vehicles' rows, then drivers' (users') rows, each in pk order: whoever puts them
    on trips holds these while checking that they are free, so two trips cannot both take
    one at once. Taken after a trip's row, never before. NO KEY UPDATE: rows that merely
    reference them (a trip's vehicle, an audit entry's actor) are not blocked."""
    limit_lock_waits(LOCK_TIMEOUT_MS)
    with lock_timeouts_raise(Busy):
        for model, ids in ((Vehicle, vehicle_ids), (User, driver_ids)):
            ids = sorted(set(ids))
            if ids:
                list(model.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))


def lock_trip(trip_id: int) -> Trip:
    trips = lock_trips([trip_id])
    if not trips:
        raise Trip.DoesNotExist(f"No trip with id {trip_id}.")
    return trips[0]


def lock_application(application_id: int) -> OperatorApplication:
    """Lock an operator application (approving and declining re-check its status under it)."""
    limit_lock_waits(LOCK_TIMEOUT_MS)
    with lock_timeouts_raise(Busy):
        return OperatorApplication.objects.select_for_update(of=("self",)).get(pk=application_id)
