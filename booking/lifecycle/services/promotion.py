"""Promotion: RAC → CNF and WL → RAC/CNF when places free up (DESIGN.md section 5).

The moves themselves are the class queue's (`booking.sales.services.queue`); here, the
promotion run a cancellation or the task starts: it takes the trip class's lock, so it is
safe to run twice at once (the second run waits, then finds nobody left to move).
"""

import logging
from datetime import datetime

from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnreachable

from ...locks import bound_lock_waits, lock_timeouts_as_busy
from ...models import Promotion, TripClass
from ...sales.services.queue import promote_locked

logger = logging.getLogger(__name__)


def promote_waitlist(
    *, trip_class_id: int, cause: str = Promotion.Cause.CANCELLATION, now: datetime | None = None
) -> list[Promotion]:
    """Promote the RAC and WL passengers of one trip class into the places free for them,
    first come first served among those who fit (`booking.rules.promote`); each move is
    recorded (Promotion) and announced (an outbox message to the PNR's holder).

    Idempotent: run again, it finds nobody to move. Takes the trip class's lock (bounded
    wait); raises Busy when it is not granted in time (the task retries). A class that no
    longer exists, or a closed one (trip cancelled), promotes nobody.
    """
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        trip_class = (
            TripClass.objects.select_for_update(of=("self",)).filter(pk=trip_class_id).first()
        )
        if trip_class is None:
            return []
        if trip_class.closed:  # a cancelled trip: nobody travels, nobody is promoted
            if trip_class.promotion_due:
                TripClass.objects.filter(pk=trip_class.pk).update(promotion_due=False)
            return []
        return promote_locked(trip_class, cause=cause, now=now)


def promotion_enqueue(trip_class_id: int, cause: str = Promotion.Cause.CANCELLATION) -> None:
    """Run the promotion task once the current transaction commits (at once outside one).
    With the broker down, the change that committed still succeeds: the class stays
    `promotion_due`, and the beat task `promotions_due_task` promotes it."""
    from ...tasks import promote_waitlist_task

    def enqueue():
        try:
            promote_waitlist_task.apply_async(
                (trip_class_id, cause), retry=False, ignore_result=True
            )
        except BrokerUnreachable as exc:
            logger.warning(
                "booking: the promotion of trip class %s waits for the beat task; the broker "
                "refused: %s",
                trip_class_id,
                exc,
            )

    transaction.on_commit(enqueue)
