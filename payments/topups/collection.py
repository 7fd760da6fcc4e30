"""Asking a provider to collect a top-up, and for its status when its answer is late.

Each function makes its network call outside any transaction, then applies the answer in a
short one (`services.payment_fail`, `webhooks.provider_event_apply`): never call them inside
a transaction.
"""

import logging

from django.conf import settings
from django.db.models import F

from ttms.exceptions import DomainError

from ..models import Payment
from .providers import PROVIDERS, enabled_provider_names, get_provider
from .providers.base import ProviderRefused, ProviderTemporaryError
from .services import payment_fail
from .webhooks import provider_event_apply

logger = logging.getLogger(__name__)


def payment_request_send(*, payment_id) -> Payment:
    """Ask the payment's provider to collect it. Makes a network call: never call it inside
    a transaction.

    A refusal fails the payment. A timeout or provider error leaves it pending: the request
    may have arrived, and resending the same reference is safe, so the poll task
    (`payment_status_refresh`) settles it later.
    """
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != Payment.Status.PENDING:
        return payment
    adapter = get_provider(payment.provider)
    Payment.objects.filter(pk=payment.pk).update(request_attempts=F("request_attempts") + 1)
    try:
        adapter.request_payment(payment)
    except ProviderRefused as exc:
        logger.info("payments: %s refused payment %s: %s", payment.provider, payment.pk, exc)
        return payment_fail(
            payment_id=payment.pk,
            reason=f"Refused by the provider: {exc}",
            failure_code=Payment.FailureCode.REFUSED,
        )
    except ProviderTemporaryError as exc:
        logger.warning(
            "payments: request for payment %s not confirmed (%s); the status poll will settle it",
            payment.pk,
            exc,
        )
    payment.refresh_from_db()
    return payment


def payment_status_refresh(*, payment_id) -> Payment:
    """Ask the provider for a pending payment's status and apply the answer (network call
    first, outside any transaction; the answer goes through `provider_event_apply`).

    A provider with no record of the payment is asked again to collect, up to
    TTMS_PAYMENT_REQUEST_ATTEMPTS times, after which the payment fails.
    """
    payment = Payment.objects.get(pk=payment_id)
    if payment.status != Payment.Status.PENDING:
        return payment
    adapter = get_provider(payment.provider)
    if not adapter.pollable:
        return payment
    try:
        event = adapter.fetch_status(payment)
    except ProviderTemporaryError as exc:
        logger.warning("payments: status of payment %s unknown for now: %s", payment.pk, exc)
        return payment
    if event is None:
        if payment.request_attempts < settings.TTMS_PAYMENT_REQUEST_ATTEMPTS:
            return payment_request_send(payment_id=payment.pk)
        return payment_fail(
            payment_id=payment.pk,
            reason="The provider never received the payment request.",
            failure_code=Payment.FailureCode.NOT_RECEIVED,
        )
    provider_event_apply(provider=payment.provider, event=event)
    payment.refresh_from_db()
    return payment


def payments_pending_refresh(*, limit: int = 500) -> int:
    """Ask pollable providers about up to `limit` pending payments (`payment_status_refresh`
    each); returns how many were asked. A payment that cannot be settled now (busy, an
    answer not understood) is logged and left for the next run, never stopping the others.
    """
    pollable = [name for name in enabled_provider_names() if PROVIDERS[name].pollable]
    pending = Payment.objects.filter(status=Payment.Status.PENDING, provider__in=pollable)
    asked = 0
    for payment_id in pending.values_list("pk", flat=True)[:limit]:
        asked += 1
        try:
            payment_status_refresh(payment_id=payment_id)
        except DomainError as exc:
            logger.warning(
                "payments: payment %s not settled this time: %s", payment_id, exc.message
            )
    return asked
