"""The ledger's invariants (DESIGN.md section 7, item 3); registered in ttms/invariants.py.

Each is one or two aggregate queries over the whole ledger, and returns problems as
sentences (an empty list: it holds).
"""

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from .models import Account, Entry, Payment, SettlementRun, Transaction


def transactions_sum_to_zero() -> list[str]:
    """Every transaction has at least two entries summing to zero, every one on an account
    of the transaction's currency (so a transaction never mixes currencies)."""
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
        Entry.objects.exclude(account__currency=F("transaction__currency"))
        .values_list("transaction_id", flat=True)
        .distinct()
        .order_by("transaction_id")
    )
    problems += [f"transaction {pk} has an entry on an account of another currency" for pk in mixed]
    return problems


def currencies_sum_to_zero() -> list[str]:
    """Per currency, the entries of the whole ledger sum to zero: money is never converted,
    so each currency is a closed ledger of its own (`transactions_sum_to_zero` checks that
    each transaction stays in its currency)."""
    totals = (
        Entry.objects.values("account__currency")
        .annotate(total=Sum("amount"))
        .order_by("account__currency")
        .filter(~Q(total=0))
    )
    return [
        f"the entries in {row['account__currency']} sum to {row['total']}, not zero"
        for row in totals
    ]


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


def settlement_runs_apart_and_paid_as_recorded() -> list[str]:
    """No two settlement runs of a company share a day; each run's payout is a payout
    transaction taking exactly its payout amount off that company's revenue."""
    problems = []
    overlapping = (
        SettlementRun.objects.filter(
            company=F("company__settlement_runs__company"),
            period_start__lte=F("company__settlement_runs__period_end"),
            period_end__gte=F("company__settlement_runs__period_start"),
            pk__lt=F("company__settlement_runs__pk"),
        )
        .values_list("reference", "company__settlement_runs__reference")
        .order_by("pk")
    )
    problems += [f"settlement runs {a} and {b} overlap" for a, b in overlapping]
    paid = (
        SettlementRun.objects.filter(payout__isnull=False)
        .annotate(
            taken=Coalesce(
                Sum(
                    "payout__entries__amount",
                    filter=Q(
                        payout__entries__account__kind=Account.Kind.REVENUE,
                        payout__entries__account__company=F("company"),
                    ),
                ),
                Value(0),
            )
        )
        .filter(~Q(taken=-F("payout_amount")) | ~Q(payout__kind=Transaction.Kind.PAYOUT))
        .values_list("reference", "payout_amount", "taken")
        .order_by("pk")
    )
    problems += [
        f"settlement run {reference} records a payout of {amount}, its transaction takes "
        f"{-taken} off the company's revenue"
        for reference, amount, taken in paid
    ]
    return problems
