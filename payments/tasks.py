"""Celery tasks of the payments app: thin wrappers around services, safe to run twice."""

from celery import shared_task

from .idempotency import idempotency_records_delete_expired
from .topups import collection
from .topups.services import payments_pending_expire


@shared_task
def idempotency_expire_task() -> int:
    """Delete idempotency records older than their 24 h (beat, hourly)."""
    return idempotency_records_delete_expired()


@shared_task
def payment_request_task(payment_id: str) -> str:
    """Ask the provider to collect a new payment (enqueued when the payment commits).

    Not retried here: a request whose outcome is unknown stays pending, and the poll task
    settles it (resending the same reference is safe).
    """
    return collection.payment_request_send(payment_id=payment_id).status


@shared_task
def payments_poll_pending_task() -> int:
    """Ask pollable providers about pending payments (beat, every 2 minutes); returns how
    many were asked."""
    return collection.payments_pending_refresh()


@shared_task
def payments_expire_pending_task() -> int:
    """Fail, as expired, payments pending longer than TTMS_PAYMENT_PENDING_HOURS (beat, every
    10 minutes; on its own, so no provider's trouble delays it); returns how many."""
    return payments_pending_expire()
