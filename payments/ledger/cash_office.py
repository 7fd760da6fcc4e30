"""A company's cash office and its agents' drawers: the float an agent takes into the
drawer when a shift opens, and the cash handed back when it closes.

Both move cash between the company's cash office (insert-only) and the agent's drawer (a
kept balance, never negative), in the company's currency, referenced by what caused them
(a shift: ("pos_shift", <id>)). Neither touches revenue: the sales already did.
"""

from django.db import transaction

from fleet.models import Company
from ttms.accounts.models import User

from ..locks import accounts_lock
from ..models import Transaction
from .accounts import company_cash_account_get_or_create, drawer_get_or_create
from .postings import amount_require, transaction_post

TxnKind = Transaction.Kind


def cash_float_issue(
    *,
    agent: User,
    company: Company,
    amount: int,
    reference_type: str,
    reference_id: str,
    created_by: User | None = None,
    description: str = "",
) -> Transaction:
    """Give `agent` a float of `amount` from the company's cash office into their drawer of
    the company's currency. Entries: drawer −amount (its cash grows), cash office +amount.

    Locks the drawer row (bounded wait). Raises InvalidAmount, NotAnAgent or Busy."""
    amount_require(amount)
    with transaction.atomic():
        drawer = drawer_get_or_create(agent=agent, currency=company.currency)
        office = company_cash_account_get_or_create(company=company)
        return transaction_post(
            kind=TxnKind.CASH_FLOAT,
            legs=[(drawer, -amount), (office, amount)],
            locked=accounts_lock(account_ids=[drawer.pk]),
            reference_type=reference_type,
            reference_id=str(reference_id),
            created_by=created_by or agent,
            idempotency_record=None,
            description=description,
        )


def cash_handover(
    *,
    agent: User,
    company: Company,
    amount: int,
    reference_type: str,
    reference_id: str,
    created_by: User | None = None,
    description: str = "",
) -> Transaction:
    """Move `amount` of cash from `agent`'s drawer of the company's currency to the
    company's cash office. Entries: drawer +amount (its cash shrinks), cash office −amount.

    Locks the drawer row (bounded wait). Raises InvalidAmount, NotAnAgent,
    InsufficientCash (the drawer holds less) or Busy; nothing written then."""
    amount_require(amount)
    with transaction.atomic():
        drawer = drawer_get_or_create(agent=agent, currency=company.currency)
        office = company_cash_account_get_or_create(company=company)
        return transaction_post(
            kind=TxnKind.CASH_HANDOVER,
            legs=[(drawer, amount), (office, -amount)],
            locked=accounts_lock(account_ids=[drawer.pk]),
            reference_type=reference_type,
            reference_id=str(reference_id),
            created_by=created_by or agent,
            idempotency_record=None,
            description=description,
        )
