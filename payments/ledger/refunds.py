"""Refunds: paying back part or all of what a reference was sold for, to where the money
came from (the wallet charged, or in cash through an agent's drawer).

A reference's refunds never add up to more than its sales: what is left is counted again
under the lock of every account that took the sale, which every refund of it takes. The
company and the platform give back in proportion (`_refund_split`).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from ttms import money
from ttms.accounts.models import User

from ..exceptions import RefundNotAllowed
from ..locks import accounts_lock
from ..models import Account, Entry, IdempotencyRecord, Transaction
from .accounts import (
    company_cash_account_get_or_create,
    drawer_get_or_create,
    platform_account_get_or_create,
)
from .postings import amount_require, currency_match, transaction_post

Kind = Account.Kind
TxnKind = Transaction.Kind


@dataclass
class _ReferenceTotals:
    """What a reference was sold for and what was refunded of it, from its entries."""

    source_account_ids: set[int]
    revenue_account_ids: set[int]
    sold: int = 0
    refunded: int = 0
    commission_sold: int = 0
    commission_refunded: int = 0


def _reference_totals(
    *, reference_type: str, reference_id: str, sale_kind: str, refund_kind: str, source_kind: str
) -> _ReferenceTotals:
    rows = (
        Entry.objects.filter(
            transaction__reference_type=reference_type,
            transaction__reference_id=reference_id,
            transaction__kind__in=[sale_kind, refund_kind],
        )
        .values("transaction__kind", "account_id", "account__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    totals = _ReferenceTotals(source_account_ids=set(), revenue_account_ids=set())
    for row in rows:
        is_sale = row["transaction__kind"] == sale_kind
        account_kind, total = row["account__kind"], row["total"]
        if account_kind == source_kind or (
            # A cash sale refunded by the company's cash office (`cash_office_refund`).
            account_kind == Kind.COMPANY_CASH and source_kind == Kind.DRAWER and not is_sale
        ):
            if is_sale:
                totals.sold -= total
                totals.source_account_ids.add(row["account_id"])
            else:
                totals.refunded += total
        elif account_kind == Kind.COMMISSION:
            if is_sale:
                totals.commission_sold += total
            else:
                totals.commission_refunded -= total
        elif account_kind == Kind.REVENUE and is_sale:
            totals.revenue_account_ids.add(row["account_id"])
    return totals


def _refund_split(totals: _ReferenceTotals, amount: int) -> tuple[int, int]:
    """(company share, commission) of a refund of `amount`.

    The platform gives back its commission in proportion to what is refunded, rounded down,
    computed on the running total so that refunding everything (in any number of parts)
    returns exactly the commission charged.
    """
    commission_total = totals.commission_sold * (totals.refunded + amount) // totals.sold
    commission = commission_total - totals.commission_refunded
    return amount - commission, commission


def _refund_post(
    *,
    kind: str,
    totals_args: dict,
    lock_ids: list[int],
    payee_id: int,
    amount: int,
    currency: str | None,
    created_by: User | None,
    idempotency_record: IdempotencyRecord | None,
    description: str,
) -> Transaction:
    """Pay back `amount` of a reference's sales to `payee_id`: lock `lock_ids` (which must
    include every account that took the sale, so refunds of one reference run one at a
    time), check what is left to refund under the lock, and post the refund, the company
    and the platform giving back in proportion. Raises CurrencyMismatch (`currency` given
    and not the sale's), RefundNotAllowed or Busy."""
    locked = accounts_lock(account_ids=lock_ids)
    totals = _reference_totals(**totals_args)  # again, now under the lock
    revenue = Account.objects.get(pk=next(iter(totals.revenue_account_ids)))
    currency_match(
        given=currency,
        expected=revenue.currency,
        what=f"{totals_args['reference_type']} {totals_args['reference_id']}",
    )
    left = totals.sold - totals.refunded
    if amount > left:
        raise RefundNotAllowed(
            _(
                "Only %(left)s is left to refund for %(reference_type)s %(reference_id)s; "
                "%(amount)s was asked."
            )
            % {
                "left": money.format_money(left, revenue.currency),
                "reference_type": totals_args["reference_type"],
                "reference_id": totals_args["reference_id"],
                "amount": money.format_money(amount, revenue.currency),
            }
        )
    company_share, commission = _refund_split(totals, amount)
    commission_account = platform_account_get_or_create(
        kind=Kind.COMMISSION, currency=revenue.currency
    )
    return transaction_post(
        kind=kind,
        legs=[
            (locked[payee_id], amount),
            (revenue, -company_share),
            (commission_account, -commission),
        ],
        locked=locked,
        reference_type=totals_args["reference_type"],
        reference_id=totals_args["reference_id"],
        created_by=created_by,
        idempotency_record=idempotency_record,
        description=description,
    )


def refund_accounts_lock(*, reference_type: str, reference_id: str) -> None:
    """Lock the wallets that paid for this reference, as a later `booking_refund` of it
    will: for callers that must take other locks after the wallet's (a cancellation locks
    its trip class after), so every path keeps the wallet-first order. Must run inside a
    transaction; raises Busy when the wait runs out."""
    wallets = (
        Entry.objects.filter(
            transaction__reference_type=reference_type,
            transaction__reference_id=str(reference_id),
            transaction__kind=TxnKind.BOOKING_CHARGE,
            account__kind=Kind.WALLET,
        )
        .values_list("account_id", flat=True)
        .distinct()
    )
    accounts_lock(account_ids=list(wallets))


def booking_refund(
    *,
    reference_type: str,
    reference_id: str,
    amount: int,
    currency: str | None = None,
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Refund `amount` of what was charged for this reference, to the wallet it came from.

    The company and the platform give back in proportion (see `_refund_split`). Refunds of
    one reference never add up to more than its charges: the check runs under the wallet's
    lock, which every refund of that reference takes.

    The refund is in the sale's currency; `currency`, when given (what the caller means to
    refund in), must be it.

    Locks the wallet row (bounded wait). Raises InvalidAmount, CurrencyMismatch,
    RefundNotAllowed (nothing charged, or more than what is left) or Busy.
    """
    amount_require(amount)
    totals_args = {
        "reference_type": reference_type,
        "reference_id": str(reference_id),
        "sale_kind": TxnKind.BOOKING_CHARGE,
        "refund_kind": TxnKind.BOOKING_REFUND,
        "source_kind": Kind.WALLET,
    }
    reference = {"reference_type": reference_type, "reference_id": reference_id}
    with transaction.atomic():
        totals = _reference_totals(**totals_args)
        if not totals.sold:
            raise RefundNotAllowed(
                _("Nothing was charged from a wallet for %(reference_type)s %(reference_id)s.")
                % reference
            )
        if len(totals.source_account_ids) != 1 or len(totals.revenue_account_ids) != 1:
            raise RefundNotAllowed(
                _(
                    "%(reference_type)s %(reference_id)s was paid in several ways; "
                    "refund it part by part."
                )
                % reference
            )
        (wallet_id,) = totals.source_account_ids
        return _refund_post(
            kind=TxnKind.BOOKING_REFUND,
            totals_args=totals_args,
            lock_ids=[wallet_id],
            payee_id=wallet_id,
            amount=amount,
            currency=currency,
            created_by=created_by,
            idempotency_record=idempotency_record,
            description=description,
        )


def cash_refund(
    *,
    agent: User,
    reference_type: str,
    reference_id: str,
    amount: int,
    currency: str | None = None,
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Pay back in cash, from `agent`'s drawer, part of what was sold in cash for this
    reference (possibly by another agent).

    Locks the drawers that took the sale and the paying agent's drawer, by pk (bounded
    wait), so refunds of one sale run one at a time. The refund is in the sale's currency
    (the agent's drawer of it); `currency`, when given, must be it. Raises InvalidAmount,
    CurrencyMismatch, NotAnAgent, RefundNotAllowed, InsufficientCash (the drawer holds less
    cash) or Busy.
    """
    amount_require(amount)
    totals_args = {
        "reference_type": reference_type,
        "reference_id": str(reference_id),
        "sale_kind": TxnKind.CASH_SALE,
        "refund_kind": TxnKind.CASH_REFUND,
        "source_kind": Kind.DRAWER,
    }
    reference = {"reference_type": reference_type, "reference_id": reference_id}
    with transaction.atomic():
        totals = _reference_totals(**totals_args)
        if not totals.sold:
            raise RefundNotAllowed(
                _("Nothing was sold for cash for %(reference_type)s %(reference_id)s.") % reference
            )
        if len(totals.revenue_account_ids) != 1:
            raise RefundNotAllowed(
                _(
                    "%(reference_type)s %(reference_id)s was sold for several companies; "
                    "refund it part by part."
                )
                % reference
            )
        sale_currency = Account.objects.get(pk=next(iter(totals.revenue_account_ids))).currency
        currency_match(
            given=currency,
            expected=sale_currency,
            what=f"{reference_type} {reference_id}",
        )
        drawer = drawer_get_or_create(agent=agent, currency=sale_currency)
        return _refund_post(
            kind=TxnKind.CASH_REFUND,
            totals_args=totals_args,
            lock_ids=[drawer.pk, *totals.source_account_ids],
            payee_id=drawer.pk,
            amount=amount,
            currency=currency,
            created_by=created_by or agent,
            idempotency_record=idempotency_record,
            description=description,
        )


def cash_office_refund(
    *,
    reference_type: str,
    reference_id: str,
    amount: int,
    created_by: User | None = None,
    description: str = "",
) -> Transaction:
    """Refund part of what was sold in cash for this reference from the company's cash
    office, when no agent pays it out at the counter (the operator cancelled the trip,
    charting dropped the PNR): the office owes the buyer, who collects it at a counter.
    Never short of cash, unlike a drawer. Locks the drawers that took the sale (bounded
    wait), as `cash_refund` does. Raises InvalidAmount, RefundNotAllowed or Busy."""
    amount_require(amount)
    totals_args = {
        "reference_type": reference_type,
        "reference_id": str(reference_id),
        "sale_kind": TxnKind.CASH_SALE,
        "refund_kind": TxnKind.CASH_REFUND,
        "source_kind": Kind.DRAWER,
    }
    reference = {"reference_type": reference_type, "reference_id": reference_id}
    with transaction.atomic():
        totals = _reference_totals(**totals_args)
        if not totals.sold or len(totals.revenue_account_ids) != 1:
            raise RefundNotAllowed(
                _("Nothing was sold for cash for %(reference_type)s %(reference_id)s.") % reference
            )
        revenue = Account.objects.select_related("company").get(
            pk=next(iter(totals.revenue_account_ids))
        )
        office = company_cash_account_get_or_create(company=revenue.company)
        return _refund_post(
            kind=TxnKind.CASH_REFUND,
            totals_args=totals_args,
            lock_ids=[office.pk, *totals.source_account_ids],
            payee_id=office.pk,
            amount=amount,
            currency=None,
            created_by=created_by,
            idempotency_record=None,
            description=description,
        )
