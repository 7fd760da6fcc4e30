"""An operator's changes to a whole trip's status that carry its bookings along: cancelling
the trip (every PNR refunded in full); any other status is fleet's. The clock's changes (a
trip departed and arrived when its times have passed) take the same path. A trip's vehicle
swap is `swap`.

Locks (`booking.locks.trip_lock`): the trip's row (`fleet.locks.lock_trip`, FOR NO KEY
UPDATE, which a booking inserting a PNR of the trip does not wait for), then its classes by
primary key; a first booking creates the classes under the row's lock (`inventory_ensure`), so
none appears meanwhile. A PNR's cancellation (PNR, wallet, trip class) runs in its own
transaction, never while a trip class lock is held here.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fleet.locks import lock_trip
from fleet.models import Trip, TripStatus
from fleet.services import (
    trip_mark_cancelled,
    trip_transition,
)
from ttms.accounts.models import User
from ttms.exceptions import DomainError
from ttms.notifications.services import Message, outbox_add

from ...exceptions import AlreadyCancelled, Busy
from ...locks import bound_lock_waits, lock_timeouts_as_busy, trip_lock
from ...models import ACTIVE_STATUSES, Cancellation, Pnr, TripClass
from ..selectors import trip_cancellation_reason
from .cancellation import booking_cancel

logger = logging.getLogger(__name__)

# --- Trip cancellation ------------------------------------------------------------------------


@dataclass
class TripCancelResult:
    """What `trip_cancel` did: the trip, whether it was already cancelled (this call only
    finished cancelling its bookings), the PNR cancellations it made, and the PNRs it could
    not cancel yet (busy: call it again)."""

    trip: Trip
    resumed: bool
    reason: str
    cancellations: list[Cancellation] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    @property
    def refunded(self) -> int:
        return sum(c.refund for c in self.cancellations)


def trip_cancel(
    *, trip: Trip, by: User | None, reason: str, now: datetime | None = None
) -> TripCancelResult:
    """Cancel a trip before it departs, and every booking on it with a full refund.

    1. One transaction: every class of the trip locked (by pk), then the trip's row
       (`booking.locks.trip_lock`); every class `closed`, so a booking not yet committed is refused
       under its class lock and every committed one is visible to step 2; fleet's
       `trip_mark_cancelled` (status CANCELLED and its TripEvent; refused once the trip
       has departed). A trip nobody has booked has no classes: its first booking creates
       them under the row's lock, and is refused there once the trip is cancelled.
    2. Each PNR of the trip with active passengers is cancelled by `booking_cancel` (cause
       trip_cancelled: the whole fare back to where it came from), in its own transaction,
       together with one "trip.cancelled" outbox message to the PNR's holder carrying the
       reason (booking_cancel also writes its "pnr.cancelled" with the refund).

    Idempotent and resumable: on a trip already cancelled, step 1 only makes sure its
    classes are closed and step 2 cancels whatever is still active (a crash, or a PNR that
    was busy, between the two), telling passengers the reason recorded with the
    cancellation. A second call pays nothing twice: cancelled passengers are skipped.

    Raises TripLocked (departed or arrived), ValidationError (no reason), Busy (the trip or
    a class is locked too long: nothing written). A PNR that stays busy in step 2 is left
    active and listed in `pending`.
    """
    now = now or timezone.now()
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        locked, trip_classes = trip_lock(trip.pk)
        resumed = locked.status == TripStatus.CANCELLED
        # Closed first: fleet refuses to cancel a trip whose seats are still on sale.
        _close_classes(trip_classes)
        if resumed:
            reason = trip_cancellation_reason(locked) or (reason or "").strip()
        else:
            locked = trip_mark_cancelled(trip=locked, by=by, reason=reason)
            reason = reason.strip()
    result = TripCancelResult(trip=locked, resumed=resumed, reason=reason)
    pnrs = (
        Pnr.objects.filter(trip_id=locked.pk, passengers__status__in=ACTIVE_STATUSES)
        .select_related("trip__route__company", "origin")
        .distinct()
        .order_by("pk")
    )
    for pnr in pnrs:
        try:
            with transaction.atomic():
                cancellation = booking_cancel(
                    pnr=pnr, by=by, cause=Cancellation.Cause.TRIP_CANCELLED, now=now
                )
                outbox_add(
                    messages=[_trip_cancelled_message(locked, pnr, cancellation, reason)], now=now
                )
        except AlreadyCancelled:
            continue  # cancelled meanwhile (by its holder, or a concurrent sweep)
        except Busy:
            result.pending.append(pnr.number)
            continue
        result.cancellations.append(cancellation)
    return result


@dataclass
class TripStatusChange:
    """What `trip_status_change` did: the trip as it is now, and, when the change cancelled
    it, what the cancellation did to its bookings (None otherwise)."""

    trip: Trip
    cancel: TripCancelResult | None = None


def trip_status_change(
    *, trip: Trip, to_status: str, by: User | None, reason: str = ""
) -> TripStatusChange:
    """An operator's change of a trip's status, from the admin or the operator API: the one
    place that decides how. Cancelling is `trip_cancel` (every booking cancelled and refunded
    in full, passengers told `reason`; resumable on a trip already cancelled); any other
    status is fleet's `trip_transition` (the status machine, under the trip's row lock).

    Raises what those raise: TripLocked, InvalidStatusTransition, ValidationError (unknown
    status, no reason to cancel), Busy. A PNR left busy by a cancellation is listed in
    `cancel.pending`.
    """
    if to_status == TripStatus.CANCELLED:
        result = trip_cancel(trip=trip, by=by, reason=reason)
        return TripStatusChange(trip=result.trip, cancel=result)
    changed = trip_transition(trip=trip, to_status=to_status, by=by, reason=reason)
    return TripStatusChange(trip=changed)


# --- The clock ---------------------------------------------------------------------------------

# The reason on the TripEvents the clock records (data, like any reason staff type).
CLOCK_REASON = "by the clock"

# The trips behind the clock one run moves at most (oldest first); the next run goes on.
CLOCK_BATCH = 500


@dataclass
class ClockRun:
    """What `trips_advance_by_clock` did: trips it marked departed, marked arrived (a trip
    long past is both), and trips it left for the next run (locked too long, or refused)."""

    departed: int = 0
    arrived: int = 0
    skipped: int = 0


def trips_advance_by_clock(*, now: datetime | None = None, limit: int = CLOCK_BATCH) -> ClockRun:
    """Move the trips the clock has overtaken: SCHEDULED or BOARDING ones whose departure
    time has passed to DEPARTED (through BOARDING), DEPARTED ones TTMS_ARRIVED_GRACE_MINUTES
    past their arrival time to ARRIVED. Cancelled trips, and trips tracking (or staff) has
    already moved as far, are left alone; nothing moves backwards.

    Each trip in its own transaction: its row locked (`fleet.locks.lock_trip`), its status
    and times re-read under the lock, then each step through `trip_status_change`, the
    path the admin and the operator API take (a TripEvent and an audit entry per step,
    reason "by the clock", no actor). Run twice at once, the second run waits for the row
    and finds the trip moved: idempotent. At most `limit` trips a run, oldest first; a trip
    whose lock is not granted in time, or that is refused, is left for the next run.
    """
    now = now or timezone.now()
    grace = timedelta(minutes=settings.TTMS_ARRIVED_GRACE_MINUTES)
    due = list(
        Trip.objects.filter(
            Q(status__in=(TripStatus.SCHEDULED, TripStatus.BOARDING), departure_at__lte=now)
            # departure_at <= arrival_at: implied, and it lets the open trips' index serve.
            | Q(status=TripStatus.DEPARTED, arrival_at__lte=now - grace, departure_at__lte=now)
        )
        .order_by("departure_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    run = ClockRun()
    for trip_id in due:
        try:
            with transaction.atomic():
                steps = _clock_steps(trip_id, now=now, grace=grace)
        except DomainError as exc:
            logger.warning("The clock left trip %s for the next run: %s", trip_id, exc.message)
            run.skipped += 1
            continue
        run.departed += TripStatus.DEPARTED in steps
        run.arrived += TripStatus.ARRIVED in steps
    return run


def _clock_steps(trip_id: int, *, now: datetime, grace: timedelta) -> list[str]:
    """The steps the clock takes for one trip, under its row lock; returns them."""
    locked = lock_trip(trip_id)
    steps: list[str] = []
    if locked.departure_at <= now:
        if locked.status == TripStatus.SCHEDULED:
            steps += [TripStatus.BOARDING, TripStatus.DEPARTED]
        elif locked.status == TripStatus.BOARDING:
            steps.append(TripStatus.DEPARTED)
    departed = locked.status == TripStatus.DEPARTED or TripStatus.DEPARTED in steps
    if departed and locked.arrival_at + grace <= now:
        steps.append(TripStatus.ARRIVED)
    for step in steps:
        locked = trip_status_change(trip=locked, to_status=step, by=None, reason=CLOCK_REASON).trip
    return steps


def _close_classes(trip_classes: list[TripClass]) -> None:
    """Close every class of the trip (and clear a promotion still due: a closed class
    promotes nobody). Called with the classes locked. A trip without classes needs none:
    its first booking would create them under the row's lock, and refuses a cancelled
    trip there (`inventory_ensure`)."""
    TripClass.objects.filter(pk__in=[tc.pk for tc in trip_classes]).update(
        closed=True, promotion_due=False
    )


def _trip_cancelled_message(
    trip: Trip, pnr: Pnr, cancellation: Cancellation, reason: str
) -> Message:
    return Message(
        topic="trip.cancelled",
        user_id=pnr.user_id,
        payload={
            "pnr": pnr.number,
            "trip": trip.pk,
            "number": trip.route.number,
            "service_date": trip.service_date.isoformat(),
            "reason": reason,
            "refund": cancellation.refund,
            "currency": pnr.currency,
            "passengers": [line["index"] for line in cancellation.lines],
        },
        dedupe_key=f"trip.cancelled:{trip.pk}:{pnr.number}",
    )
