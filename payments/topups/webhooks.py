"""A provider's events, verified and applied once each: a success credits the wallet
through the ledger, a decline fails the payment. The sandbox's checkout delivers its
events through the same door.

Locks (see payments/locks.py for the order): the payment's row, then the wallet (bounded
waits; Busy, 503, when they run out).
"""

import logging
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import PaymentNotPending, ProviderUnavailable, WebhookSignatureInvalid
from ..ledger.clearing import wallet_topup_credit
from ..locks import bounded_lock_wait, payment_lock
from ..models import Payment, WebhookEvent
from .notices import topup_settled_tell
from .providers import get_provider
from .providers.base import FAILED, PENDING, SUCCEEDED, ProviderEvent
from .providers.sandbox import SandboxProvider

logger = logging.getLogger(__name__)


def _payment_for_event(*, provider: str, event: ProviderEvent) -> Payment | None:
    payments = Payment.objects.filter(provider=provider)
    if event.provider_reference:
        return payments.filter(provider_reference=event.provider_reference).first()
    if event.payment_id:
        try:
            return payments.filter(pk=event.payment_id).first()
        except ValidationError:  # not a UUID, so no payment of ours
            return None
    return None


def _payment_apply(payment: Payment | None, event: ProviderEvent) -> tuple[str, str]:
    """Apply a provider's event to a locked payment; returns (outcome, message)."""
    Outcome = WebhookEvent.Outcome
    if payment is None:
        logger.warning("payments: event %s matches no payment", event.event_id)
        return Outcome.REJECTED, "No payment matches this event."
    if event.status == PENDING:
        return Outcome.IGNORED, "The payment is still pending at the provider."
    message = ""
    if payment.is_final:
        if event.status == payment.status:
            return Outcome.IGNORED, f"The payment had already {payment.status}."
        gave_up = payment.failure_code in Payment.GAVE_UP_CODES
        if not (gave_up and event.status == SUCCEEDED):
            logger.error(
                "payments: event %s says %s for payment %s, which already %s",
                event.event_id,
                event.status,
                payment.pk,
                payment.status,
            )
            return Outcome.REJECTED, (
                f"The payment already {payment.status}; the event says {event.status}."
            )
        # TTMS stopped waiting, but the payer paid: the money is theirs (amount checked below).
        logger.warning(
            "payments: payment %s had %s; the provider's success credits the wallet (event %s)",
            payment.pk,
            payment.failure_code,
            event.event_id,
        )
        message = (
            f"Credited although the payment had {payment.failure_code}: the provider collected it."
        )
    if event.status == SUCCEEDED:
        if (
            event.amount != payment.amount
            or (event.currency or payment.currency) != payment.currency
        ):
            logger.error(
                "payments: event %s reports %s %s for payment %s of %s %s",
                event.event_id,
                event.amount,
                event.currency,
                payment.pk,
                payment.amount,
                payment.currency,
            )
            return Outcome.REJECTED, "The amount or currency does not match the payment."
        payment.transaction = wallet_topup_credit(payment=payment)
        payment.status = Payment.Status.SUCCEEDED
        payment.failure_reason = payment.failure_code = ""
    elif event.status == FAILED:
        payment.status = Payment.Status.FAILED
        payment.failure_reason = (event.reason or "Declined at the provider.")[:200]
        payment.failure_code = Payment.FailureCode.DECLINED
    payment.completed_at = timezone.now()
    payment.save(
        update_fields=[
            "transaction",
            "status",
            "failure_reason",
            "failure_code",
            "completed_at",
            "updated_at",
        ]
    )
    topup_settled_tell(payment)
    return Outcome.APPLIED, message


def provider_event_apply(*, provider: str, event: ProviderEvent) -> tuple[WebhookEvent, bool]:
    """Record a provider's event and apply it, once: returns (event row, applied now).

    A second delivery of the same (provider, event id) finds the row (unique constraint) and
    changes nothing. Events for one payment are serialised on its row lock; a final status
    (succeeded, failed) is never left, so a stale "pending" arriving late is ignored and a
    contradicting final status is rejected and logged; except that a success for a payment
    TTMS gave up on alone (expired, dismissed, never received: Payment.GAVE_UP_CODES) is
    credited, since the payer's money did reach the provider.

    Locks: the payment row, then the wallet (bounded waits). Raises Busy.
    """
    with transaction.atomic():
        payment = _payment_for_event(provider=provider, event=event)
        if payment is not None:
            payment = payment_lock(payment_id=payment.pk)
        try:
            with bounded_lock_wait():
                record = WebhookEvent.objects.create(
                    provider=provider,
                    event_id=event.event_id,
                    event_key=WebhookEvent.key_for(event.event_id),
                    event_type=event.event_type[:40],
                    payment=payment,
                    payload=event.payload,
                    outcome=WebhookEvent.Outcome.IGNORED,
                )
        except IntegrityError:
            logger.info(
                "payments: %s event %s delivered again; not applied twice", provider, event.event_id
            )
            return WebhookEvent.objects.get(
                provider=provider, event_key=WebhookEvent.key_for(event.event_id)
            ), False
        record.outcome, record.message = _payment_apply(payment, event)
        record.save(update_fields=["outcome", "message"])
    return record, True


def webhook_receive(
    *, provider: str, body: bytes, headers: Mapping[str, str]
) -> tuple[WebhookEvent, bool]:
    """Verify a provider's callback and apply its event once (see `provider_event_apply`).

    Raises ProviderUnavailable (unknown provider), WebhookSignatureInvalid (logged: a bad
    signature is either misconfiguration or someone forging payments) or
    WebhookPayloadInvalid.
    """
    adapter = get_provider(provider)
    try:
        event = adapter.parse_webhook(body=body, headers=headers)
    except WebhookSignatureInvalid as exc:
        logger.warning(
            "payments: %s webhook refused: %s (%d bytes)", provider, exc.message, len(body)
        )
        raise
    return provider_event_apply(provider=provider, event=event)


def sandbox_payment_complete(*, payment: Payment, approve: bool) -> Payment:
    """Act as the sandbox provider: the payer approved (or declined) on the checkout page,
    so the sandbox signs the outcome as a webhook event and delivers it to
    `webhook_receive`, through the same signature check as any other delivery.

    One completion wins: the payment's row lock is held from the pending check until the
    event is applied, so of concurrent completions the first decides and the others raise
    PaymentNotPending, writing nothing (no event recorded for them).

    Raises ProviderUnavailable (not a sandbox payment, or the sandbox is off),
    PaymentNotPending or Busy.
    """
    if payment.provider != SandboxProvider.name:
        raise ProviderUnavailable(_("Only sandbox payments are completed here."))
    adapter = get_provider(SandboxProvider.name)
    with transaction.atomic():
        locked = payment_lock(payment_id=payment.pk)
        if locked.is_final:
            raise PaymentNotPending(
                _("This payment has already %(status)s.") % {"status": locked.status}
            )
        body, headers = adapter.build_event(payment=locked, approve=approve)
        # The same lock is taken again inside (already held by this transaction).
        webhook_receive(provider=SandboxProvider.name, body=body, headers=headers)
    payment.refresh_from_db()
    return payment
