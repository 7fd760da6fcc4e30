"""Row locks of the booking app, in one place so every path takes them in the same order.

The order, for any operation that needs several: the PNR (cancellation, boarding),
the wallet (payments, a conditional UPDATE), then the trip class. A trip class's row
serialises everything that allocates its places or reorders its RAC and waiting lists;
places are not locked one by one.

Waits are bounded (`SET LOCAL lock_timeout` for the whole booking transaction on
PostgreSQL); a wait that runs out raises `Busy`. SQLite runs writers one at a time already.
"""

from django.conf import settings

from fleet.locks import lock_trip
from fleet.models import Trip
from ttms.locking import limit_lock_waits, lock_timeouts_raise

from .exceptions import Busy
from .models import Pnr, TripClass


def bound_lock_waits() -> None:
    """Limit every lock wait of the current transaction (PostgreSQL; one statement)."""
    limit_lock_waits(settings.TTMS_BOOKING_LOCK_TIMEOUT_MS)


def lock_timeouts_as_busy():
    """Turn a lock wait that ran out inside the block into `Busy` (503, retry)."""
    return lock_timeouts_raise(Busy)


def trip_class_lock(*, trip_id: int, class_code: str) -> TripClass | None:
    """Lock one class of one trip and return it; None when the trip has no inventory for
    that class (yet). Must run inside a transaction."""
    return (
        TripClass.objects.select_for_update(of=("self",))
        .filter(trip_id=trip_id, class_code=class_code)
        .first()
    )


def pnr_lock(**lookup) -> int | None:
    """Lock one PNR's row (by `pk=` or `number=`) and return its pk; None when there is no
    such PNR. Serialises what changes its passengers' state: cancelling them, boarding
    them. Must run inside a transaction."""
    return (
        Pnr.objects.select_for_update(of=("self",))
        .filter(**lookup)
        .values_list("pk", flat=True)
        .first()
    )


def trip_lock(trip_id: int) -> tuple[Trip, list[TripClass]]:
    """Lock the trip's row (`fleet.locks.lock_trip`), then every class of it (by pk);
    return both, fresh. Must run inside a transaction. A trip's cancellation and its vehicle
    swap take it."""
    trip = lock_trip(trip_id)
    trip_classes = list(
        TripClass.objects.select_for_update(of=("self",)).filter(trip_id=trip_id).order_by("pk")
    )
    return trip, trip_classes
