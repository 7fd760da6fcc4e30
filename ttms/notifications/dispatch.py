"""Sending deliveries: at least once, effectively once per channel.

A delivery is claimed before it is sent: its row is locked (`SELECT … FOR UPDATE SKIP
LOCKED` on PostgreSQL, so any number of dispatchers take different rows) and its
`next_attempt_at` moved to the end of a lease, in one short transaction. Then it is sent,
outside any transaction, and marked sent; a dispatcher that dies between the two leaves the
row due again when the lease ends, and the resend carries the same dedupe key. A failure
is recorded with its error and the delivery is due again after an exponential backoff;
after `TTMS_NOTIFY_MAX_ATTEMPTS` it is dead (visible, and re-sendable, in the admin).
"""

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .channels import DeliveryFailed, backend_for
from .events import EMAIL, SMS
from .models import Delivery, OutboxMessage
from .rendering import render

logger = logging.getLogger(__name__)

# How long a claimed delivery is left to its dispatcher before it is due again.
LEASE = timedelta(minutes=5)
SENT, FAILED, DEAD, SKIPPED, NOT_CLAIMED = "sent", "failed", "dead", "skipped", "not_claimed"


@dataclass(frozen=True)
class Attempt:
    delivery_id: int
    outcome: str  # SENT, FAILED (due again at `retry_at`), DEAD, SKIPPED or NOT_CLAIMED
    retry_at: datetime | None = None


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: TTMS_NOTIFY_BACKOFF_SECONDS doubled each
    time, at most an hour, plus up to a quarter more at random so that retries spread."""
    base = settings.TTMS_NOTIFY_BACKOFF_SECONDS * 2 ** max(0, attempts - 1)
    seconds = min(base, 3600)
    return timedelta(seconds=seconds * (1 + random.random() / 4))


def _due(now: datetime):
    return Q(status=Delivery.Status.QUEUED, next_attempt_at__lte=now)


def deliveries_claim(*, now: datetime | None = None, limit: int = 100, ids=None) -> list[int]:
    """Claim up to `limit` due deliveries (of `ids` when given) for this dispatcher; returns
    their ids. Each is then this dispatcher's until the lease ends."""
    now = now or timezone.now()
    with transaction.atomic():
        due = Delivery.objects.filter(_due(now))
        if ids is not None:
            due = due.filter(pk__in=ids)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
        if not claimed:
            return []
        # Re-checked in the update: without row locks (SQLite), another dispatcher may have
        # claimed some between the read and here; only rows still due are taken.
        taken = Delivery.objects.filter(_due(now), pk__in=claimed).update(
            next_attempt_at=now + LEASE, attempts=F("attempts") + 1
        )
        if taken < len(claimed) and not connection.features.has_select_for_update_skip_locked:
            return list(
                Delivery.objects.filter(
                    pk__in=claimed, status=Delivery.Status.QUEUED, next_attempt_at=now + LEASE
                ).values_list("pk", flat=True)
            )
    return claimed


def _address(delivery: Delivery) -> str:
    message, user = delivery.message, delivery.message.user
    if delivery.channel == EMAIL:
        return message.email or (user.email if user else "")
    if delivery.channel == SMS:
        return message.phone or (user.phone if user else "")
    return ""


def delivery_attempt(delivery_id: int, *, now: datetime | None = None) -> Attempt:
    """Send one claimed delivery and record how it went."""
    now = now or timezone.now()
    delivery = Delivery.objects.select_related("message__user").get(pk=delivery_id)
    to = _address(delivery)
    if not to:
        _settle(delivery, status=Delivery.Status.SKIPPED, error="no address", now=now)
        return Attempt(delivery_id, SKIPPED)
    dedupe_key = f"ttms-{delivery.message_id}-{delivery.channel}"
    try:
        rendered = render(delivery.message, delivery.channel)
        reference = backend_for(delivery.channel).send(
            to=to, rendered=rendered, dedupe_key=dedupe_key
        )
    except Exception as exc:
        permanent = isinstance(exc, DeliveryFailed) and exc.permanent
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if permanent or delivery.attempts >= settings.TTMS_NOTIFY_MAX_ATTEMPTS:
            _settle(delivery, status=Delivery.Status.DEAD, error=error, now=now)
            logger.warning("notifications: delivery %s is dead: %s", delivery_id, error)
            return Attempt(delivery_id, DEAD)
        retry_at = now + backoff(delivery.attempts)
        Delivery.objects.filter(pk=delivery_id).update(last_error=error, next_attempt_at=retry_at)
        return Attempt(delivery_id, FAILED, retry_at)
    _settle(
        delivery, status=Delivery.Status.SENT, error="", now=now, reference=str(reference or "")
    )
    return Attempt(delivery_id, SENT)


def _settle(delivery: Delivery, *, status: str, error: str, now, reference: str = "") -> None:
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=status,
            last_error=error,
            sent_at=now if status == Delivery.Status.SENT else None,
            provider_ref=reference[:200],
        )
        pending = Delivery.objects.filter(
            message_id=delivery.message_id, status=Delivery.Status.QUEUED
        ).exists()
        if not pending:
            OutboxMessage.objects.filter(pk=delivery.message_id, sent_at__isnull=True).update(
                sent_at=now
            )


def delivery_send(delivery_id: int, *, now: datetime | None = None) -> Attempt:
    """Claim and send one delivery (the per-delivery task's work); NOT_CLAIMED when it is
    not due or another dispatcher has it."""
    if not deliveries_claim(now=now, limit=1, ids=[delivery_id]):
        return Attempt(delivery_id, NOT_CLAIMED)
    return delivery_attempt(delivery_id, now=now)


def deliveries_dispatch(*, limit: int = 100, now: datetime | None = None) -> list[Attempt]:
    """Claim up to `limit` due deliveries and send them (the sweeper's and a dispatcher
    process's work)."""
    return [delivery_attempt(pk) for pk in deliveries_claim(now=now, limit=limit)]


def delivery_resend(delivery: Delivery, *, now: datetime | None = None) -> None:
    """Queue a dead (or sent) delivery again, from the admin: due at once, attempts anew."""
    now = now or timezone.now()
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=Delivery.Status.QUEUED, attempts=0, next_attempt_at=now, last_error=""
        )
        OutboxMessage.objects.filter(pk=delivery.message_id).update(sent_at=None)
        from .services import deliveries_enqueue

        transaction.on_commit(lambda: deliveries_enqueue([delivery.pk]))
