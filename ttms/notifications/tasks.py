"""Delivery tasks: one per delivery, enqueued when the change that wrote it commits, and
the sweeper for what is left due (the broker was down, a worker died, a retry is due), run
by beat every minute and by every worker as it starts."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from .dispatch import FAILED, deliveries_dispatch, delivery_send

logger = logging.getLogger(__name__)

SWEEP_BATCH = 500


@shared_task
def delivery_send_task(delivery_id: int) -> str:
    attempt = delivery_send(delivery_id)
    if attempt.outcome == FAILED and not settings.CELERY_TASK_ALWAYS_EAGER:
        # The retry is due at retry_at; the sweeper would find it too, within a minute.
        delivery_send_task.apply_async(
            (delivery_id,), eta=attempt.retry_at, retry=False, ignore_result=True
        )
    return attempt.outcome


@shared_task
def deliveries_sweep_task() -> int:
    """Send every due delivery, in batches; returns how many were attempted."""
    attempted = 0
    while True:
        attempts = deliveries_dispatch(limit=SWEEP_BATCH)
        attempted += len(attempts)
        if len(attempts) < SWEEP_BATCH:
            return attempted


@worker_ready.connect
def _sweep_on_start(sender=None, **kwargs):
    """A worker that starts (late, after the broker or the workers were down) sends what
    waited for it."""
    try:
        deliveries_sweep_task.apply_async(ignore_result=True)
    except Exception:
        logger.exception("notifications: the sweep could not be queued at worker start")
