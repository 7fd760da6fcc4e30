"""Celery tasks of the payments app: thin wrappers around services, safe to run twice."""

from celery import shared_task

from . import services
from .models import Payment
from .providers import PROVIDERS, enabled_provider_names


@shared_task
def idempotency_expire_task() -> int:
    """Delete idempotency records older than their 24 h (beat, hourly)."""
    return services.idempotency_records_delete_expired()


@shared_task
def payment_request_task(payment_id: str) -> str:
    """Ask the provider to collect a new payment (enqueued when the payment commits).

    Not retried here: a request whose outcome is unknown stays pending, and the poll task
    settles it (resending the same reference is safe).
    """
    return services.payment_request_send(payment_id=payment_id).status


@shared_task
def payments_poll_pending_task() -> int:
    """Ask pollable providers about pending payments, and fail abandoned ones (beat)."""
    pollable = [name for name in enabled_provider_names() if PROVIDERS[name].pollable]
    pending = Payment.objects.filter(status=Payment.Status.PENDING,
                                     provider__in=pollable).values_list("pk", flat=True)
    for payment_id in pending[:500]:
        services.payment_status_refresh(payment_id=payment_id)
    return services.payments_pending_expire()
