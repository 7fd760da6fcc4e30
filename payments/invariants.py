"""The ledger's invariants (DESIGN.md section 7, item 3); registered in ttms/invariants.py.

Each is one or two aggregate queries over the whole ledger, and returns problems as
sentences (an empty list: it holds).
"""

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from .models import Account, Payment, Transaction


def transactions_sum_to_zero() -> list[str]:
    """Every transaction has at least two entries, in its currency, summing to zero."""
    problems = []
    unbalanced = (
        Transaction.objects.annotate(
            total=Coalesce(Sum("entries__amount"), Value(0)), legs=Count("entries")
        )
        .filter(~Q(total=0) | Q(legs__lt=2))
        .values_list("pk", "kind", "total", "legs")
    )
    for pk, kind, total, legs in unbalanced:
        problems.append(f"transaction {pk} ({kind}) has {legs} entries summing to {total}")
    mixed = (
        Transaction.objects.filter(entries__account__isnull=False)
        .exclude(entries__account__currency=F("currency"))
        .distinct()
        .values_list("pk", flat=True)
    )
    problems += [f"transaction {pk} has an entry on an account of another currency" for pk in mixed]
    return problems


def balances_equal_entries() -> list[str]:
    """Every wallet and drawer balance equals its entries (from the account's side) and is
    not negative; insert-only accounts keep a zero balance column."""
    problems = []
    accounts = Account.objects.annotate(
        total=Coalesce(Sum("entries__amount"), Value(0))
    ).values_list("pk", "kind", "balance", "total")
    for pk, kind, balance, total in accounts:
        if kind in Account.BALANCE_KINDS:
            side = -1 if kind == Account.Kind.DRAWER else 1
            if balance != side * total:
                problems.append(
                    f"{kind} account {pk}: balance {balance}, entries say {side * total}"
                )
            if balance < 0:
                problems.append(f"{kind} account {pk} is negative: {balance}")
        elif balance != 0:
            problems.append(f"{kind} account {pk} is insert-only but has balance {balance}")
    return problems


def idempotency_keys_moved_money_once() -> list[str]:
    """No idempotency key moved money twice: at most one transaction per record (the
    database also enforces it), each top-up request made one payment, and each payment
    credited a wallet at most once."""
    problems = []
    twice = (
        Transaction.objects.filter(idempotency_record__isnull=False)
        .values("idempotency_record")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    problems += [
        f"idempotency record {row['idempotency_record']} moved money {row['n']} times"
        for row in twice
    ]
    topups = (
        Transaction.objects.filter(kind=Transaction.Kind.TOPUP)
        .values("reference_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    problems += [
        f"payment {row['reference_id']} credited a wallet {row['n']} times" for row in topups
    ]
    credited = Payment.objects.filter(transaction__isnull=False).values_list(
        "pk", "transaction__reference_type", "transaction__reference_id"
    )
    problems += [
        f"payment {pk} points at the transaction of {ref_type} {ref_id}"
        for pk, ref_type, ref_id in credited.iterator()
        if (ref_type, ref_id) != ("payment", str(pk))
    ]
    return problems
