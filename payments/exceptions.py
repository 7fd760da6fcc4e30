"""Errors the payments services raise; the API shows them in its one error shape."""

from django.utils.translation import gettext_lazy as _

from ttms.exceptions import DomainError


class InvalidAmount(DomainError):
    code = "invalid_amount"
    status_code = 400
    default_message = _("The amount must be a whole, positive number of minor units (paise).")


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status_code = 409
    default_message = _("The wallet balance is too low for this payment. Top up and try again.")


class InsufficientCash(DomainError):
    code = "insufficient_cash"
    status_code = 409
    default_message = _("The cash drawer does not hold enough cash to pay this refund.")


class RefundNotAllowed(DomainError):
    code = "refund_not_allowed"
    status_code = 409
    default_message = _("This refund is more than what is left to refund for that payment.")


class NotAnAgent(DomainError):
    code = "not_an_agent"
    status_code = 403
    default_message = _("Only station agents hold a cash drawer.")


class PayoutNotAllowed(DomainError):
    code = "payout_not_allowed"
    status_code = 409
    default_message = _("The payout is more than the company's unsettled revenue.")


class SettlementNotAllowed(DomainError):
    code = "settlement_not_allowed"
    status_code = 409
    default_message = _("This settlement run cannot be made for that period.")


class Busy(DomainError):
    """A lock was not granted within the bounded wait: retrying shortly is safe."""

    code = "busy"
    status_code = 503
    default_message = _("The system is busy with another payment on this account; retry shortly.")


class ProviderUnavailable(DomainError):
    code = "provider_unavailable"
    status_code = 400
    default_message = _("This payment provider is not available.")


class PaymentNotFound(DomainError):
    code = "payment_not_found"
    status_code = 404
    default_message = _("No such payment of yours.")


class PaymentNotPending(DomainError):
    code = "payment_not_pending"
    status_code = 409
    default_message = _("This payment is already completed.")


class WebhookSignatureInvalid(DomainError):
    code = "invalid_signature"
    status_code = 401
    default_message = _("The webhook signature is missing, stale or wrong.")


class WebhookPayloadInvalid(DomainError):
    code = "invalid_payload"
    status_code = 400
    default_message = _("The webhook body is not an event this endpoint understands.")


class IdempotencyKeyMissing(DomainError):
    code = "idempotency_key_missing"
    status_code = 400
    default_message = _(
        "This request moves money: send an Idempotency-Key header (a UUID is a good key) "
        "and reuse it only to retry this same request."
    )


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status_code = 422
    default_message = _(
        "This Idempotency-Key was already used for a different request; use a new key for "
        "a new request."
    )


class IdempotencyRequestInFlight(DomainError):
    code = "idempotency_in_flight"
    status_code = 409
    default_message = _(
        "A request with this Idempotency-Key is still being processed; retry in a moment "
        "to get its result."
    )


class InvalidPayer(DomainError):
    code = "invalid_payer"
    status_code = 400
    default_message = _("The payer is not valid for this payment provider.")


class UnknownCurrency(DomainError):
    code = "unknown_currency"
    status_code = 400
    default_message = _("This is not a currency code TTMS knows (ISO 4217, e.g. INR or RWF).")


class CurrencyNotSold(DomainError):
    code = "currency_not_sold"
    status_code = 400
    default_message = _("No operator sells tickets in this currency, so a wallet cannot hold it.")


class CurrencyMismatch(DomainError):
    """Money of one currency asked to land on an account of another: never converted."""

    code = "currency_mismatch"
    status_code = 409
    default_message = _("The amounts are in different currencies; TTMS never converts money.")
