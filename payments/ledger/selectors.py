"""Reads of the ledger: wallets and their history, account totals, companies' settlements."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate

from fleet.models import Company
from ttms import localtime, money
from ttms.accounts.models import User

from ..models import Account, Entry, SettlementRun, Transaction


def wallets_for_user(*, user: User) -> QuerySet[Account]:
    """The user's wallets, one per currency they have used, ordered by currency."""
    return Account.objects.filter(kind=Account.Kind.WALLET, user=user).order_by("currency")


def wallet_for_user(*, user: User, currency: str | None = None) -> Account | None:
    """The user's wallet in `currency` (default: the default currency), or None before
    their first top-up in it."""
    return wallets_for_user(user=user).filter(currency=currency or money.default_currency()).first()


def wallet_entries_for_user(*, user: User, currency: str | None = None) -> QuerySet[Entry]:
    """The entries of the user's wallet in `currency` (all their wallets when None), newest
    first, with their transaction and account."""
    entries = Entry.objects.filter(account__kind=Account.Kind.WALLET, account__user=user)
    if currency is not None:
        entries = entries.filter(account__currency=currency)
    return entries.select_related("transaction", "account").order_by("-pk")


def account_entries_sum(*, account: Account) -> int:
    return account.entries.aggregate(total=Sum("amount"))["total"] or 0


@dataclass(frozen=True)
class Settlement:
    """A company's money over a period, from its revenue account's entries.

    sales: what passengers paid (wallet and cash), commission included; refunds: what was
    paid back; commission: what the platform kept (on sales, less what it gave back on
    refunds); net = sales − refunds − commission, the company's earnings; payouts: what was
    paid to the company in the period.
    """

    company: Company
    start: date
    end: date
    currency: str
    sales: int = 0
    sales_count: int = 0
    refunds: int = 0
    refunds_count: int = 0
    commission: int = 0
    net: int = 0
    payouts: int = 0

    CSV_HEADER = [
        "company",
        "start",
        "end",
        "currency",
        "sales",
        "sales_count",
        "refunds",
        "refunds_count",
        "commission",
        "net",
        "payouts",
    ]

    def csv_row(self) -> list[str]:
        """Amounts as decimal strings in major units ("1234.50"), exact."""

        def fmt(amount: int) -> str:
            return money.to_major_string(amount, self.currency)

        return [
            self.company.name,
            self.start.isoformat(),
            self.end.isoformat(),
            self.currency,
            fmt(self.sales),
            str(self.sales_count),
            fmt(self.refunds),
            str(self.refunds_count),
            fmt(self.commission),
            fmt(self.net),
            fmt(self.payouts),
        ]


def _period_bounds(company: Company, start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in the company's time zone."""
    zone = ZoneInfo(company.time_zone)
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _settlement_rows(company: Company, revenue: Account, start: date, end: date, **by):
    """Sums of the revenue and commission entries of the transactions that touched the
    company's revenue over start..end, grouped by transaction kind, account kind and the
    expressions `by`."""
    since, until = _period_bounds(company, start, end)
    transaction_ids = Entry.objects.filter(
        account=revenue,
        transaction__created_at__gte=since,
        transaction__created_at__lt=until,
    ).values("transaction_id")
    return (
        Entry.objects.filter(
            transaction_id__in=transaction_ids,
            account__kind__in=[Account.Kind.REVENUE, Account.Kind.COMMISSION],
        )
        .values("transaction__kind", "account__kind", **by)
        .annotate(total=Sum("amount"), transactions=Count("transaction_id", distinct=True))
        .order_by()
    )


def _settlement_totals(rows) -> dict[str, int]:
    totals = {
        "sales": 0,
        "sales_count": 0,
        "refunds": 0,
        "refunds_count": 0,
        "commission": 0,
        "net": 0,
        "payouts": 0,
    }
    for row in rows:
        kind, account_kind, total = row["transaction__kind"], row["account__kind"], row["total"]
        is_revenue = account_kind == Account.Kind.REVENUE
        if kind in Transaction.SALE_KINDS:
            totals["sales"] += total
            if is_revenue:
                totals["sales_count"] += row["transactions"]
        elif kind in Transaction.REFUND_KINDS:
            totals["refunds"] -= total
            if is_revenue:
                totals["refunds_count"] += row["transactions"]
        elif kind == Transaction.Kind.PAYOUT and is_revenue:
            totals["payouts"] -= total
            continue
        else:
            continue
        if is_revenue:
            totals["net"] += total
        else:
            totals["commission"] += total
    return totals


def _revenue_account(company: Company) -> Account | None:
    return Account.objects.filter(
        kind=Account.Kind.REVENUE, company=company, currency=company.currency
    ).first()


def settlement_for_company(*, company: Company, start: date, end: date) -> Settlement:
    """The company's settlement for the days start..end (inclusive, its local time), in
    the company's currency."""
    currency = company.currency
    revenue = _revenue_account(company)
    if revenue is None:
        return Settlement(company=company, start=start, end=end, currency=currency)
    totals = _settlement_totals(_settlement_rows(company, revenue, start, end))
    return Settlement(company=company, start=start, end=end, currency=currency, **totals)


def settlement_days(*, company: Company, start: date, end: date) -> list[dict]:
    """The settlement of start..end split by the company's local days, one dict per day
    with money ({"day": ISO date, "sales", "sales_count", "refunds", "refunds_count",
    "commission", "net"}), in day order; their sums are `settlement_for_company`'s."""
    revenue = _revenue_account(company)
    if revenue is None:
        return []
    day = TruncDate("transaction__created_at", tzinfo=ZoneInfo(company.time_zone))
    by_day: dict[date, list[dict]] = {}
    for row in _settlement_rows(company, revenue, start, end, day=day):
        by_day.setdefault(row["day"], []).append(row)
    lines = []
    for when in sorted(by_day):
        totals = _settlement_totals(by_day[when])
        del totals["payouts"]
        if any(totals.values()):
            lines.append({"day": when.isoformat(), **totals})
    return lines


def settlements(*, companies: QuerySet[Company], start: date, end: date) -> list[Settlement]:
    return [
        settlement_for_company(company=company, start=start, end=end)
        for company in companies.order_by("name")
    ]


def commission_by_currency(settlements: list[Settlement]) -> list[tuple[str, int]]:
    """The platform's commission over these settlements, one (currency, total) per
    currency, ordered by currency: amounts of different currencies are never added."""
    totals: dict[str, int] = {}
    for settlement in settlements:
        totals[settlement.currency] = totals.get(settlement.currency, 0) + settlement.commission
    return sorted(totals.items())


def settlement_runs_unpaid(*, company: Company) -> int:
    """What the company's settlement runs have left unpaid so far: the sum of their nets
    less the sum of their payouts (negative: what the company owes the platform)."""
    totals = SettlementRun.objects.filter(company=company).aggregate(
        net=Sum("net"), paid=Sum("payout_amount")
    )
    return (totals["net"] or 0) - (totals["paid"] or 0)


def settlement_run_overlapping(*, company: Company, start: date, end: date) -> SettlementRun | None:
    """The company's earliest run whose period shares a day with start..end, if any."""
    return (
        SettlementRun.objects.filter(company=company, period_start__lte=end, period_end__gte=start)
        .order_by("period_start")
        .first()
    )


def settlement_run_default_period(*, company: Company) -> tuple[date, date]:
    """The period a new run of the company would cover: from the day after its last run
    (the day of its first sale before any run; yesterday without one) up to yesterday, in
    the company's local days. The start is after the end when the last run reached
    yesterday: nothing is left to settle."""
    yesterday = localtime.today(company.time_zone) - timedelta(days=1)
    last = SettlementRun.objects.filter(company=company).order_by("-period_end").first()
    if last is not None:
        return last.period_end + timedelta(days=1), yesterday
    first = (
        Transaction.objects.filter(
            entries__account__kind=Account.Kind.REVENUE, entries__account__company=company
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if first is None:
        return yesterday, yesterday
    return min(localtime.local(first, company.time_zone).date(), yesterday), yesterday
