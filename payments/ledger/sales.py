"""Sales: a wallet paying a company for a booking, a station agent taking cash for one.

Both credit the company's revenue and the platform's commission (insert-only accounts),
the commission rounded down (`money.split_commission`).
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q

from fleet.models import Company
from ttms import money
from ttms.accounts.models import User

from ..locks import accounts_lock, bounded_lock_wait
from ..models import Account, IdempotencyRecord, Transaction
from .accounts import (
    drawer_get_or_create,
    platform_account_get_or_create,
    revenue_account_get_or_create,
    wallet_get_or_create,
)
from .postings import (
    amount_require,
    currency_match,
    overdraft_refuse,
    transaction_post,
    transaction_write,
)

Kind = Account.Kind
TxnKind = Transaction.Kind


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
    currency = company.currency
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
        wallet=found.get(Kind.WALLET) or wallet_get_or_create(user=user, currency=currency),
        revenue=found.get(Kind.REVENUE) or revenue_account_get_or_create(company=company),
        commission=(
            found.get(Kind.COMMISSION)
            or platform_account_get_or_create(kind=Kind.COMMISSION, currency=currency)
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
    amount_require(amount)
    wallet = accounts.wallet
    debited = Account.objects.filter(pk=wallet.pk, balance__gte=amount).update(
        balance=F("balance") - amount
    )
    if not debited:
        balance = Account.objects.filter(pk=wallet.pk).values_list("balance", flat=True).first()
        overdraft_refuse(wallet, balance=balance or 0, need=amount)
    company_share, commission = money.split_commission(amount, company.commission_bp)
    legs = [(wallet, -amount), (accounts.revenue, company_share), (accounts.commission, commission)]
    return transaction_write(
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
    currency: str | None = None,
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Pay `amount` from the owner's wallet in the company's currency to the company, less
    the platform's commission. `currency`, when given (what the sale is priced in), must be
    the company's.

    Entries: wallet −amount; company revenue +(amount − commission); platform commission
    +commission, where commission = amount × company.commission_bp // 10 000 (rounded down;
    see `money.split_commission`).

    Locks the wallet row (bounded wait). Raises InvalidAmount, CurrencyMismatch,
    InsufficientFunds (nothing written) or Busy. Works inside an outer transaction.
    `wallet_sale_post` is the same charge for callers that bound their own transaction's
    lock waits.
    """
    amount_require(amount)
    currency_match(given=currency, expected=company.currency, what=str(company))
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


def cash_sale(
    *,
    agent: User,
    company: Company,
    amount: int,
    reference_type: str,
    reference_id: str,
    currency: str | None = None,
    created_by: User | None = None,
    idempotency_record: IdempotencyRecord | None = None,
    description: str = "",
) -> Transaction:
    """Record a sale paid in cash to a station agent, in the company's currency (the
    agent's drawer of that currency). `currency`, when given, must be the company's.

    Entries: agent's drawer −amount (its cash grows by `amount`); company revenue and
    platform commission as in `booking_charge`.

    Locks the drawer row (bounded wait). Raises InvalidAmount, CurrencyMismatch,
    NotAnAgent or Busy.
    """
    amount_require(amount)
    currency_match(given=currency, expected=company.currency, what=str(company))
    company_share, commission = money.split_commission(amount, company.commission_bp)
    with transaction.atomic():
        drawer = drawer_get_or_create(agent=agent, currency=company.currency)
        revenue = revenue_account_get_or_create(company=company)
        commission_account = platform_account_get_or_create(
            kind=Kind.COMMISSION, currency=company.currency
        )
        return transaction_post(
            kind=TxnKind.CASH_SALE,
            legs=[(drawer, -amount), (revenue, company_share), (commission_account, commission)],
            locked=accounts_lock(account_ids=[drawer.pk]),
            reference_type=reference_type,
            reference_id=reference_id,
            created_by=created_by or agent,
            idempotency_record=idempotency_record,
            description=description,
        )
