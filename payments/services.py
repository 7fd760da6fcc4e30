"""Every write the payments domain knows: one function per operation.

Ledger services (`booking_charge`, `booking_refund`, `cash_sale`, `cash_refund`,
`payout_record`, and the top-up credit inside `provider_event_apply`) each write one
balanced transaction in one `transaction.atomic()` block. They work inside an outer atomic
block too (the booking services call them from their own transaction); on an error nothing
of theirs is written and the outer transaction stays usable.

Locks (see locks.py for the order): a payment's row before its wallet; the accounts whose
balance changes, all at once, by ascending pk, with a bounded wait (Busy, 503, when it runs
out). Credits to revenue, commission and clearing accounts are inserts only.

Network calls to providers (`payment_request_send`, `payment_status_refresh`) are made
outside any transaction; their results are applied in a short transaction afterwards.
"""

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fleet.models import Company
from ttms.accounts.models import Role, User
from ttms.audit.services import audit_record
from ttms.exceptions import DomainError

from . import money, selectors
from .exceptions import (
    Busy,
    InsufficientCash,
    InsufficientFunds,
    InvalidAmount,
    NotAnAgent,
    PaymentNotFound,
    PaymentNotPending,
    PayoutNotAllowed,
    ProviderUnavailable,
    RefundNotAllowed,
    WebhookSignatureInvalid,
)
from .locks import accounts_lock, bounded_lock_wait, payment_lock
from .models import Account, Entry, IdempotencyRecord, Payment, Transaction, WebhookEvent
from .providers import PROVIDERS, enabled_provider_names, get_provider
from .providers.base import (
    FAILED,
    PENDING,
    SUCCEEDED,
    ProviderEvent,
    ProviderRefused,
    ProviderTemporaryError,
)
from .providers.sandbox import SandboxProvider

logger = logging.getLogger(__name__)

Kind = Account.Kind
TxnKind = Transaction.Kind


# --- Accounts -----------------------------------------------------------------------------


def _account_get_or_create(
    *, kind: str, user: User | None = None, company: Company | None = None
) -> Account:
    lookup = {"kind": kind, "user": user, "company": company, "currency": money.default_currency()}
    account = Account.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        # A concurrent creator makes this insert wait on the unique index: bounded, too.
        with bounded_lock_wait():
            return Account.objects.create(**lookup)
    except IntegrityError:
        return Account.objects.get(**lookup)


def wallet_get_or_create(*, user: User) -> Account:
    """The user's wallet in the deployment currency, created empty on first use."""
    return _account_get_or_create(kind=Kind.WALLET, user=user)


def drawer_get_or_create(*, agent: User) -> Account:
    """The station agent's cash drawer, created empty on first use. Raises NotAnAgent."""
    if agent.role != Role.AGENT:
        raise NotAnAgent(f"{agent} is not a station agent, so holds no cash drawer.")
    return _account_get_or_create(kind=Kind.DRAWER, user=agent)


def revenue_account_get_or_create(*, company: Company) -> Account:
    return _account_get_or_create(kind=Kind.REVENUE, company=company)


def platform_account_get_or_create(*, kind: str) -> Account:
    """The commission, provider clearing or payout clearing account of the currency."""
    if kind not in Account.SINGLETON_KINDS:
        raise ValueError(f"{kind!r} is not a platform account kind")
    return _account_get_or_create(kind=kind)


# --- The ledger's one writer ------------------------------------------------------------


def _require_amount(amount: object, *, name: str = "amount") -> int:
    if not money.is_amount(amount):
        raise InvalidAmount(fields={name: ["Enter a whole, positive number of minor units."]})
    return amount


def _post(
    *,
    kind: str,
    legs: list[tuple[Account, int]],
    locked: Mapping[int, Account],
    reference_type: str,
    reference_id: str,
    created_by: User | None,
    idempotency_record: IdempotencyRecord | None,
    description: str = "",
) -> Transaction:
    """Write one balanced transaction and move the kept balances.

    Every balance-keeping account among `legs` must be in `locked`, fresh from
    `accounts_lock` in this transaction. The overdraft check runs on those locked values
    before anything is written; the database's check constraint is the backstop.
    """
    legs = [(account, amount) for account, amount in legs if amount]
    if sum(amount for _, amount in legs) != 0 or len(legs) < 2:
        raise ValueError(f"unbalanced transaction {kind}: {legs!r}")
    currencies = {account.currency for account, _ in legs}
    if len(currencies) != 1:
        raise ValueError(f"one transaction, one currency: {currencies}")

    deltas: dict[int, int] = defaultdict(int)
    for account, amount in legs:
        if account.keeps_balance:
            deltas[account.pk] += account.normal_sign * amount
    for pk, delta in deltas.items():
        account = locked[pk]
        if account.balance + delta < 0:
            _refuse_overdraft(account, balance=account.balance, need=-delta)

    txn = _write(
        kind=kind,
        legs=legs,
        reference_type=reference_type,
        reference_id=reference_id,
        created_by=created_by,
        idempotency_record=idempotency_record,
        description=description,
    )
    for pk, delta in deltas.items():
        Account.objects.filter(pk=pk).update(balance=F("balance") + delta)
    return txn


def _refuse_overdraft(account: Account, *, balance: int, need: int) -> None:
    """Raise the error of an account that holds `balance` and would need `need`."""
    have = money.format_money(balance, account.currency)
    needed = money.format_money(need, account.currency)
    if account.kind == Kind.DRAWER:
        raise InsufficientCash(
            f"The cash drawer holds {have}; this refund needs {needed}. Nothing was paid out."
        )
    raise InsufficientFunds(
        f"Your wallet holds {have}; this payment needs {needed}. Top up and try again."
    )


def _write(
    *,
    kind: str,
    legs: list[tuple[Account, int]],
    reference_type: str,
    reference_id: str,
    created_by: User | None,
    idempotency_record: IdempotencyRecord | None,
    description: str,
) -> Transaction:
    """Insert a balanced transaction and its entries (two statements); balances are the
    caller's business."""
    txn = Transaction.objects.create(
        kind=kind,
        currency=legs[0][0].currency,
        reference_type=reference_type,
        reference_id=str(reference_id),
        description=description[:200],
        created_by=created_by,
        idempotency_record=idempotency_record,
    )
    Entry.objects.bulk_create(
        [Entry(transaction=txn, account=account, amount=amount) for account, amount in legs]
    )
    return txn


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
        if account_kind == source_kind:
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


# --- Ledger operations -------------------------------------------------------------------


@dataclass(frozen=True)
class SaleAccounts:
    """The accounts a wallet sale to one company touches."""

    wallet: Account
    revenue: Account
    commission: Account


def wallet_sale_accounts(*, user: User, company: Company) -> SaleAccounts:
    """The user's wallet, the company's revenue and the platform's commission account, in
    one query once they exist (each is created on first use). Takes no lock: call it
    before the transaction that charges."""
    currency = money.default_currency()
    found = {
        account.kind: account
        for account in Account.objects.filter(
            Q(kind=Kind.WALLET, user=user)
            | Q(kind=Kind.REVENUE, company=company)
            | Q(kind=Kind.COMMISSION),
            currency=currency,
        )
    }
    return SaleAccounts(
        wallet=found.get(Kind.WALLET) or wallet_get_or_create(user=user),
        revenue=found.get(Kind.REVENUE) or revenue_account_get_or_create(company=company),
        commission=(
            found.get(Kind.COMMISSION) or platform_account_get_or_create(kind=Kind.COMMISSION)
        ),
    )


def wallet_sale_post(
    *,
    accounts: SaleAccounts,
    company: Company,
    amount: int,
    reference_type: str,
    reference_id: str,
    created_by: User | None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Charge `amount` from the wallet of `accounts` for a sale by `company`, in three
    statements: the wallet's debit (one conditional UPDATE, which takes the wallet's row lock
    and checks the balance at once), the transaction, its entries. Entries as in
    `booking_charge`.

    Must run inside the caller's transaction; meant for hot paths (a booking) that bound
    lock waits themselves. Raises InvalidAmount or InsufficientFunds before writing anything.
    """
    _require_amount(amount)
    wallet = accounts.wallet
    debited = Account.objects.filter(pk=wallet.pk, balance__gte=amount).update(
        balance=F("balance") - amount
    )
    if not debited:
        balance = Account.objects.filter(pk=wallet.pk).values_list("balance", flat=True).first()
        _refuse_overdraft(wallet, balance=balance or 0, need=amount)
    company_share, commission = money.split_commission(amount, company.commission_bp)
    legs = [(wallet, -amount), (accounts.revenue, company_share), (accounts.commission, commission)]
    return _write(
        kind=TxnKind.BOOKING_CHARGE,
        legs=[leg for leg in legs if leg[1]],
        reference_type=reference_type,
        reference_id=reference_id,
        created_by=created_by,
        idempotency_record=idempotency_record,
        description=description,
    )


def booking_charge(
    *,
    wallet_owner: User,
    company: Company,
    amount: int,
    reference_type: str,
    reference_id: str,
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Pay `amount` from the owner's wallet to the company, less the platform's commission.

    Entries: wallet −amount; company revenue +(amount − commission); platform commission
    +commission, where commission = amount × company.commission_bp // 10 000 (rounded down;
    see `money.split_commission`).

    Locks the wallet row (bounded wait). Raises InvalidAmount, InsufficientFunds (nothing
    written) or Busy. Works inside an outer transaction. `wallet_sale_post` is the same
    charge for callers that bound their own transaction's lock waits.
    """
    _require_amount(amount)
    with bounded_lock_wait():
        return wallet_sale_post(
            accounts=wallet_sale_accounts(user=wallet_owner, company=company),
            company=company,
            amount=amount,
            reference_type=reference_type,
            reference_id=reference_id,
            created_by=created_by or wallet_owner,
            idempotency_record=idempotency_record,
            description=description,
        )


def _refund_post(
    *,
    kind: str,
    totals_args: dict,
    lock_ids: list[int],
    payee_id: int,
    amount: int,
    created_by: User | None,
    idempotency_record: IdempotencyRecord | None,
    description: str,
) -> Transaction:
    """Pay back `amount` of a reference's sales to `payee_id`: lock `lock_ids` (which must
    include every account that took the sale, so refunds of one reference run one at a
    time), check what is left to refund under the lock, and post the refund, the company
    and the platform giving back in proportion. Raises RefundNotAllowed or Busy."""
    locked = accounts_lock(account_ids=lock_ids)
    totals = _reference_totals(**totals_args)  # again, now under the lock
    left = totals.sold - totals.refunded
    reference = f"{totals_args['reference_type']} {totals_args['reference_id']}"
    if amount > left:
        raise RefundNotAllowed(
            f"Only {money.format_money(left)} is left to refund for {reference}; "
            f"{money.format_money(amount)} was asked."
        )
    company_share, commission = _refund_split(totals, amount)
    revenue = Account.objects.get(pk=next(iter(totals.revenue_account_ids)))
    commission_account = platform_account_get_or_create(kind=Kind.COMMISSION)
    return _post(
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
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Refund `amount` of what was charged for this reference, to the wallet it came from.

    The company and the platform give back in proportion (see `_refund_split`). Refunds of
    one reference never add up to more than its charges: the check runs under the wallet's
    lock, which every refund of that reference takes.

    Locks the wallet row (bounded wait). Raises InvalidAmount, RefundNotAllowed (nothing
    charged, or more than what is left) or Busy.
    """
    _require_amount(amount)
    totals_args = {
        "reference_type": reference_type,
        "reference_id": str(reference_id),
        "sale_kind": TxnKind.BOOKING_CHARGE,
        "refund_kind": TxnKind.BOOKING_REFUND,
        "source_kind": Kind.WALLET,
    }
    with transaction.atomic():
        totals = _reference_totals(**totals_args)
        if not totals.sold:
            raise RefundNotAllowed(
                f"Nothing was charged from a wallet for {reference_type} {reference_id}."
            )
        if len(totals.source_account_ids) != 1 or len(totals.revenue_account_ids) != 1:
            raise RefundNotAllowed(
                f"{reference_type} {reference_id} was paid in several ways; refund it part by part."
            )
        (wallet_id,) = totals.source_account_ids
        return _refund_post(
            kind=TxnKind.BOOKING_REFUND,
            totals_args=totals_args,
            lock_ids=[wallet_id],
            payee_id=wallet_id,
            amount=amount,
            created_by=created_by,
            idempotency_record=idempotency_record,
            description=description,
        )


def cash_sale(
    *,
    agent: User,
    company: Company,
    amount: int,
    reference_type: str,
    reference_id: str,
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Record a sale paid in cash to a station agent.

    Entries: agent's drawer −amount (its cash grows by `amount`); company revenue and
    platform commission as in `booking_charge`.

    Locks the drawer row (bounded wait). Raises InvalidAmount, NotAnAgent or Busy.
    """
    _require_amount(amount)
    company_share, commission = money.split_commission(amount, company.commission_bp)
    with transaction.atomic():
        drawer = drawer_get_or_create(agent=agent)
        revenue = revenue_account_get_or_create(company=company)
        commission_account = platform_account_get_or_create(kind=Kind.COMMISSION)
        return _post(
            kind=TxnKind.CASH_SALE,
            legs=[(drawer, -amount), (revenue, company_share), (commission_account, commission)],
            locked=accounts_lock(account_ids=[drawer.pk]),
            reference_type=reference_type,
            reference_id=reference_id,
            created_by=created_by or agent,
            idempotency_record=idempotency_record,
            description=description,
        )


def cash_refund(
    *,
    agent: User,
    reference_type: str,
    reference_id: str,
    amount: int,
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Pay back in cash, from `agent`'s drawer, part of what was sold in cash for this
    reference (possibly by another agent).

    Locks the drawers that took the sale and the paying agent's drawer, by pk (bounded
    wait), so refunds of one sale run one at a time. Raises InvalidAmount, NotAnAgent,
    RefundNotAllowed, InsufficientCash (the drawer holds less cash) or Busy.
    """
    _require_amount(amount)
    totals_args = {
        "reference_type": reference_type,
        "reference_id": str(reference_id),
        "sale_kind": TxnKind.CASH_SALE,
        "refund_kind": TxnKind.CASH_REFUND,
        "source_kind": Kind.DRAWER,
    }
    with transaction.atomic():
        drawer = drawer_get_or_create(agent=agent)
        totals = _reference_totals(**totals_args)
        if not totals.sold:
            raise RefundNotAllowed(
                f"Nothing was sold for cash for {reference_type} {reference_id}."
            )
        if len(totals.revenue_account_ids) != 1:
            raise RefundNotAllowed(
                f"{reference_type} {reference_id} was sold for several "
                f"companies; refund it part by part."
            )
        return _refund_post(
            kind=TxnKind.CASH_REFUND,
            totals_args=totals_args,
            lock_ids=[drawer.pk, *totals.source_account_ids],
            payee_id=drawer.pk,
            amount=amount,
            created_by=created_by or agent,
            idempotency_record=idempotency_record,
            description=description,
        )


def payout_record(
    *,
    company: Company,
    amount: int,
    reference_id: str,
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Record a settlement paid to the company (e.g. a bank transfer, `reference_id` being
    its reference): company revenue −amount, payout clearing +amount.

    Locks the company's revenue row (no-key lock: sales keep crediting it meanwhile), so
    two payouts cannot both spend the same revenue. A refund landing after a payout can
    still take the revenue below zero: the company then owes the difference, netted by the
    next settlement. Raises InvalidAmount, PayoutNotAllowed (more than the unsettled
    revenue, or the reference already recorded) or Busy.
    """
    _require_amount(amount)
    with transaction.atomic():
        revenue = revenue_account_get_or_create(company=company)
        payouts = platform_account_get_or_create(kind=Kind.PAYOUT_CLEARING)
        locked = accounts_lock(account_ids=[revenue.pk])
        available = revenue.entries.aggregate(total=Sum("amount"))["total"] or 0
        if amount > available:
            raise PayoutNotAllowed(
                f"{company} has {money.format_money(available)} of unsettled revenue; a "
                f"payout of {money.format_money(amount)} is more than that."
            )
        try:
            with transaction.atomic():
                payout = _post(
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
                f"A payout with the reference {reference_id!r} is already recorded."
            ) from exc


# --- Payments through providers --------------------------------------------------------------


def topup_amount_check(*, amount: object) -> int:
    """Return `amount` when a top-up may be of it (minor units, TTMS_TOPUP_MIN_AMOUNT to
    TTMS_TOPUP_MAX_AMOUNT); raise InvalidAmount naming the limit it is outside of, however
    far outside (the page form and the API show the same message)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        _require_amount(amount)
    if amount < settings.TTMS_TOPUP_MIN_AMOUNT:
        message = _("The least you can top up is %(limit)s.") % {
            "limit": money.format_money(settings.TTMS_TOPUP_MIN_AMOUNT)
        }
    elif amount > settings.TTMS_TOPUP_MAX_AMOUNT:
        message = _("The most you can top up at once is %(limit)s.") % {
            "limit": money.format_money(settings.TTMS_TOPUP_MAX_AMOUNT)
        }
    else:
        return amount
    raise InvalidAmount(message, fields={"amount": [message]})


def wallet_topup_start(
    *,
    user: User,
    amount: int,
    provider: str,
    payer: str = "",
    idempotency_record: IdempotencyRecord | None = None,
) -> Payment:
    """Start a wallet top-up: a pending payment the provider will confirm or decline.

    No money moves yet: the wallet is credited when the provider's signed event says the
    payment succeeded (`provider_event_apply`). For a provider that must be asked to
    collect, the request goes out after the commit (a Celery task), never inside the
    transaction. Raises InvalidAmount (see `topup_amount_check`), ProviderUnavailable or
    InvalidPayer.
    """
    topup_amount_check(amount=amount)
    adapter = get_provider(provider)
    payer = adapter.validate_payer(payer)
    with transaction.atomic():
        payment = Payment.objects.create(
            user=user,
            provider=provider,
            amount=amount,
            currency=money.default_currency(),
            payer=payer,
            provider_reference=adapter.new_reference(),
            idempotency_record=idempotency_record,
        )
        if adapter.sends_requests:
            from .tasks import payment_request_task

            payment_id = str(payment.pk)
            transaction.on_commit(lambda: payment_request_task.delay(payment_id), robust=True)
    logger.info("payments: top-up %s of %s started with %s", payment.pk, amount, provider)
    return payment


def _payment_fail_locked(payment: Payment, *, reason: str, failure_code: str) -> None:
    payment.status = Payment.Status.FAILED
    payment.failure_reason = reason[:200]
    payment.failure_code = failure_code
    payment.completed_at = timezone.now()
    payment.save(
        update_fields=["status", "failure_reason", "failure_code", "completed_at", "updated_at"]
    )


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


def _topup_credit(payment: Payment) -> Transaction:
    wallet = wallet_get_or_create(user=payment.user)
    clearing = platform_account_get_or_create(kind=Kind.PROVIDER_CLEARING)
    locked = accounts_lock(account_ids=[wallet.pk])
    return _post(
        kind=TxnKind.TOPUP,
        legs=[(wallet, payment.amount), (clearing, -payment.amount)],
        locked=locked,
        reference_type="payment",
        reference_id=str(payment.pk),
        created_by=payment.user,
        idempotency_record=None,
        description=f"Top-up through {payment.provider}",
    )


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
        payment.transaction = _topup_credit(payment)
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


# --- Idempotency records ---------------------------------------------------------------


def idempotency_records_delete_expired(*, now: datetime | None = None) -> int:
    """Delete idempotency records past their expiry; returns how many."""
    _, per_model = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return per_model.get(IdempotencyRecord._meta.label, 0)
