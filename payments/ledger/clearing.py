"""Money crossing the platform's edge, through its clearing accounts: a provider's
collection credited to a wallet, a settlement paid out to a company."""

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from fleet.models import Company
from ttms import money
from ttms.accounts.models import User
from ttms.audit.services import audit_record

from ..exceptions import PayoutNotAllowed
from ..locks import accounts_lock
from ..models import Account, IdempotencyRecord, Payment, Transaction
from .accounts import (
    platform_account_get_or_create,
    revenue_account_get_or_create,
    wallet_get_or_create,
)
from .postings import amount_require, currency_match, transaction_post

Kind = Account.Kind
TxnKind = Transaction.Kind


def wallet_topup_credit(*, payment: Payment) -> Transaction:
    """Credit the payer's wallet with a payment the provider collected: wallet +amount,
    provider clearing −amount, referenced as `payment <id>` (once per payment: the
    database's unique top-up reference).

    Must run inside the caller's transaction, which holds the payment's row lock; locks the
    wallet (bounded wait). Raises Busy.
    """
    wallet = wallet_get_or_create(user=payment.user, currency=payment.currency)
    clearing = platform_account_get_or_create(
        kind=Kind.PROVIDER_CLEARING, currency=payment.currency
    )
    locked = accounts_lock(account_ids=[wallet.pk])
    return transaction_post(
        kind=TxnKind.TOPUP,
        legs=[(wallet, payment.amount), (clearing, -payment.amount)],
        locked=locked,
        reference_type="payment",
        reference_id=str(payment.pk),
        created_by=payment.user,
        idempotency_record=None,
        description=f"Top-up through {payment.provider}",
    )


def payout_record(
    *,
    company: Company,
    amount: int,
    reference_id: str,
    currency: str | None = None,
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Record a settlement paid to the company (e.g. a bank transfer, `reference_id` being
    its reference) in the company's currency: company revenue −amount, payout clearing
    +amount. `currency`, when given (the transfer's), must be the company's.

    Locks the company's revenue row (no-key lock: sales keep crediting it meanwhile), so
    two payouts cannot both spend the same revenue. A refund landing after a payout can
    still take the revenue below zero: the company then owes the difference, netted by the
    next settlement. Raises InvalidAmount, CurrencyMismatch, PayoutNotAllowed (more than the
    unsettled revenue, or the reference already recorded) or Busy.
    """
    amount_require(amount)
    currency_match(given=currency, expected=company.currency, what=str(company))
    with transaction.atomic():
        revenue = revenue_account_get_or_create(company=company)
        payouts = platform_account_get_or_create(
            kind=Kind.PAYOUT_CLEARING, currency=company.currency
        )
        locked = accounts_lock(account_ids=[revenue.pk])
        available = revenue.entries.aggregate(total=Sum("amount"))["total"] or 0
        if amount > available:
            raise PayoutNotAllowed(
                _(
                    "%(company)s has %(available)s of unsettled revenue; a payout of "
                    "%(amount)s is more than that."
                )
                % {
                    "company": company,
                    "available": money.format_money(available, company.currency),
                    "amount": money.format_money(amount, company.currency),
                }
            )
        try:
            with transaction.atomic():
                payout = transaction_post(
                    kind=TxnKind.PAYOUT,
                    legs=[(revenue, -amount), (payouts, amount)],
                    locked=locked,
                    reference_type="payout",
                    reference_id=reference_id,
                    created_by=created_by,
                    idempotency_record=idempotency_record,
                    description=description or f"Settlement to {company}",
                )
                audit_record(
                    actor=created_by,
                    action="settlement.paid",
                    target=company,
                    data={
                        "amount": amount,
                        "currency": revenue.currency,
                        "reference_id": reference_id,
                        "transaction": payout.pk,
                        "unsettled_before": available,
                    },
                )
                return payout
        except IntegrityError as exc:
            raise PayoutNotAllowed(
                _("A payout with the reference %(reference)s is already recorded.")
                % {"reference": repr(reference_id)}
            ) from exc
