"""A top-up's life on TTMS's side: started as a pending payment, failed (refused, dismissed
by its payer, expired). No money moves here: a success is credited when the provider's
event says so (`webhooks.provider_event_apply`).

Locks (see payments/locks.py for the order): the payment's row, bounded (Busy, 503).
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ttms import money
from ttms.accounts.models import User

from ..exceptions import (
    Busy,
    CurrencyNotSold,
    InvalidAmount,
    PaymentNotFound,
    PaymentNotPending,
    UnknownCurrency,
)
from ..ledger.postings import amount_require
from ..locks import payment_lock
from ..models import IdempotencyRecord, Payment
from . import selectors
from .notices import topup_settled_tell
from .providers import get_provider

logger = logging.getLogger(__name__)


def topup_limits(*, currency: str) -> tuple[int, int]:
    """(least, most) a top-up in `currency` may be, in its minor units, from
    TTMS_TOPUP_LIMITS (major units); 1 to 100 000 major units for a currency not listed."""
    low, high = settings.TTMS_TOPUP_LIMITS.get(currency, ("1", "100000"))
    try:
        return money.from_major_string(low, currency), money.from_major_string(high, currency)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"TTMS_TOPUP_LIMITS: {currency} {low}-{high} has more decimals than {currency} has."
        ) from exc


def topup_currency_check(*, currency: object) -> str:
    """Return `currency` when a wallet may be topped up in it: a known ISO 4217 code that
    some active operator sells (see `selectors.topup_currencies`). Raises UnknownCurrency
    or CurrencyNotSold, on the field `currency`."""
    if not money.is_known_currency(currency):
        message = _("%(currency)s is not a currency code (ISO 4217, e.g. INR or RWF).") % {
            "currency": repr(currency)[:20]
        }
        raise UnknownCurrency(message, fields={"currency": [message]})
    sold = selectors.topup_currencies()
    if currency not in sold:
        message = _(
            "No operator sells tickets in %(currency)s, so a wallet cannot be topped up in "
            "it. Choose one of: %(sold)s."
        ) % {"currency": currency, "sold": ", ".join(sold)}
        raise CurrencyNotSold(message, fields={"currency": [message]})
    return currency


def topup_amount_check(*, amount: object, currency: str) -> int:
    """Return `amount` when a top-up in `currency` may be of it (minor units, within
    `topup_limits`); raise InvalidAmount naming the limit it is outside of, however far
    outside (the page form and the API show the same message)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        amount_require(amount)
    least, most = topup_limits(currency=currency)
    if amount < least:
        message = _("The least you can top up is %(limit)s.") % {
            "limit": money.format_money(least, currency)
        }
    elif amount > most:
        message = _("The most you can top up at once is %(limit)s.") % {
            "limit": money.format_money(most, currency)
        }
    else:
        return amount
    raise InvalidAmount(message, fields={"amount": [message]})


def wallet_topup_start(
    *,
    user: User,
    amount: int,
    provider: str,
    currency: str | None = None,
    payer: str = "",
    idempotency_record: IdempotencyRecord | None = None,
) -> Payment:
    """Start a wallet top-up of `amount` minor units of `currency` (default: the default
    currency): a pending payment the provider will confirm or decline, crediting the
    user's wallet in that currency.

    No money moves yet: the wallet is credited when the provider's signed event says the
    payment succeeded (`provider_event_apply`). For a provider that must be asked to
    collect, the request goes out after the commit (a Celery task), never inside the
    transaction. Raises UnknownCurrency or CurrencyNotSold (see `topup_currency_check`),
    InvalidAmount (see `topup_amount_check`), ProviderUnavailable or InvalidPayer; nothing
    is written then.
    """
    currency = topup_currency_check(currency=currency or money.default_currency())
    topup_amount_check(amount=amount, currency=currency)
    adapter = get_provider(provider)
    payer = adapter.validate_payer(payer)
    with transaction.atomic():
        payment = Payment.objects.create(
            user=user,
            provider=provider,
            amount=amount,
            currency=currency,
            payer=payer,
            provider_reference=adapter.new_reference(),
            idempotency_record=idempotency_record,
        )
        if adapter.sends_requests:
            from ..tasks import payment_request_task

            payment_id = str(payment.pk)
            transaction.on_commit(
                lambda: payment_request_task.apply_async((payment_id,), ignore_result=True),
                robust=True,
            )
    logger.info(
        "payments: top-up %s of %s %s started with %s", payment.pk, amount, currency, provider
    )
    return payment


def _payment_fail_locked(payment: Payment, *, reason: str, failure_code: str) -> None:
    payment.status = Payment.Status.FAILED
    payment.failure_reason = reason[:200]
    payment.failure_code = failure_code
    payment.completed_at = timezone.now()
    payment.save(
        update_fields=["status", "failure_reason", "failure_code", "completed_at", "updated_at"]
    )
    topup_settled_tell(payment)


def payment_fail(*, payment_id, reason: str, failure_code: str) -> Payment:
    """Mark a pending payment failed (nothing to undo: no money moved); a final payment is
    returned unchanged. `failure_code` is a Payment.FailureCode. Locks the payment; raises
    Busy."""
    with transaction.atomic():
        payment = payment_lock(payment_id=payment_id)
        if payment.status == Payment.Status.PENDING:
            _payment_fail_locked(payment, reason=reason, failure_code=failure_code)
    return payment


def payment_dismiss(*, user: User, payment_id) -> Payment:
    """The payer gives up a pending top-up (e.g. abandoned at the provider's page): it fails
    as dismissed, and no money moves. Idempotent: a payment already failed (dismissed,
    expired, declined) is returned unchanged.

    Should the provider report a success later, the wallet is still credited (see
    `provider_event_apply`): dismissing never loses money the payer paid.

    Locks the payment (bounded wait). Raises PaymentNotFound (not the user's),
    PaymentNotPending (it already succeeded) or Busy.
    """
    with transaction.atomic():
        try:
            payment = payment_lock(payment_id=payment_id)
        except Payment.DoesNotExist as exc:
            raise PaymentNotFound(_("No such top-up of yours.")) from exc
        if payment.user_id != user.pk:
            raise PaymentNotFound(_("No such top-up of yours."))
        if payment.status == Payment.Status.SUCCEEDED:
            raise PaymentNotPending(
                _("This top-up has already succeeded: %(amount)s is in your wallet.")
                % {"amount": money.format_money(payment.amount, payment.currency)}
            )
        if payment.status == Payment.Status.PENDING:
            _payment_fail_locked(
                payment,
                reason="Dismissed by the payer.",
                failure_code=Payment.FailureCode.DISMISSED,
            )
            logger.info("payments: top-up %s dismissed by its payer %s", payment.pk, user.pk)
    return payment


def payments_pending_expire(*, now: datetime | None = None) -> int:
    """Fail, as expired, pending payments older than TTMS_PAYMENT_PENDING_HOURS (abandoned
    checkouts); returns how many it failed. Each payment in its own short transaction
    under its lock; one whose lock is busy is left for the next run. A success the provider
    reports later is still credited (see `provider_event_apply`)."""
    cutoff = selectors.payments_pending_cutoff(now=now)
    expired = 0
    for payment_id in selectors.payments_overdue(now=now).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                payment = payment_lock(payment_id=payment_id)
                if payment.status == Payment.Status.PENDING and payment.created_at < cutoff:
                    _payment_fail_locked(
                        payment,
                        reason="Not completed in time.",
                        failure_code=Payment.FailureCode.EXPIRED,
                    )
                    expired += 1
        except Busy:
            logger.warning(
                "payments: payment %s busy; its expiry waits for the next run", payment_id
            )
    return expired
