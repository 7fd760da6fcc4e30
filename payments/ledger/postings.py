"""The ledger's one writer: a balanced transaction, its entries, and the kept balances.

Every posting of the ledger (sales, refunds, top-up credits, payouts) goes through
`transaction_post`, or, on the hot path of a wallet sale that debits its wallet itself,
`transaction_write`. Neither opens a transaction: the caller's is the one.
"""

from collections import defaultdict
from collections.abc import Mapping

from django.db.models import F
from django.utils.translation import gettext as _

from ttms import money
from ttms.accounts.models import User

from ..exceptions import CurrencyMismatch, InsufficientCash, InsufficientFunds, InvalidAmount
from ..models import Account, Entry, IdempotencyRecord, Transaction


def amount_require(amount: object, *, name: str = "amount") -> int:
    """Return `amount` when it is a whole, positive number of minor units; raise
    InvalidAmount on the field `name` otherwise."""
    if not money.is_amount(amount):
        raise InvalidAmount(fields={name: [_("Enter a whole, positive number of minor units.")]})
    return amount


def currency_match(*, given: str | None, expected: str, what: str) -> None:
    """Raise CurrencyMismatch (on the field `currency`) when the caller names a currency,
    `given`, other than `expected`, the currency of `what` (the accounts the money would
    land on). `given` None: the caller names none, the accounts decide."""
    if given is not None and given != expected:
        message = _(
            "%(what)s is in %(expected)s; an amount in %(given)s cannot be posted to it "
            "(money is never converted)."
        ) % {"what": what, "expected": expected, "given": str(given)[:12]}
        raise CurrencyMismatch(message, fields={"currency": [message]})


def transaction_post(
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
    Raises InsufficientFunds or InsufficientCash (nothing written).
    """
    legs = [(account, amount) for account, amount in legs if amount]
    if sum(amount for _account, amount in legs) != 0 or len(legs) < 2:
        raise ValueError(f"unbalanced transaction {kind}: {legs!r}")
    deltas: dict[int, int] = defaultdict(int)
    for account, amount in legs:
        if account.keeps_balance:
            deltas[account.pk] += account.normal_sign * amount
    for pk, delta in deltas.items():
        account = locked[pk]
        if account.balance + delta < 0:
            overdraft_refuse(account, balance=account.balance, need=-delta)

    txn = transaction_write(
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


def overdraft_refuse(account: Account, *, balance: int, need: int) -> None:
    """Raise the error of an account that holds `balance` and would need `need`:
    InsufficientCash for a drawer, InsufficientFunds for a wallet."""
    have = money.format_money(balance, account.currency)
    needed = money.format_money(need, account.currency)
    if account.kind == Account.Kind.DRAWER:
        raise InsufficientCash(
            _("The cash drawer holds %(have)s; this refund needs %(need)s. Nothing was paid out.")
            % {"have": have, "need": needed}
        )
    raise InsufficientFunds(
        _("Your wallet holds %(have)s; this payment needs %(need)s. Top up and try again.")
        % {"have": have, "need": needed}
    )


def transaction_write(
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
    caller's business. Raises ValueError for legs in more than one currency: the callers
    pick accounts of one currency, so this is a bug, never the user's input."""
    currencies = {account.currency for account, _amount in legs}
    if len(currencies) != 1:
        raise ValueError(f"one transaction, one currency: {sorted(currencies)}")
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
