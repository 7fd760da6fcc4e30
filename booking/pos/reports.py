"""Shift reports for a company's staff (platform admins: every company): per agent and
shift, and per station and day, the float, cash sales and refunds (from the ledger: the
agent's drawer entries during the shift), what the drawer should have held, what was
counted, the difference and whether it was flagged. Each line in its company's currency;
amounts of different currencies are never added."""

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Now
from django.utils.translation import gettext as _

from fleet.selectors import company_ids_for_user, scope_queryset
from payments.models import Entry
from ttms import money
from ttms.accounts.models import User
from ttms.localtime import local_time

from ..models import Shift


def shifts_for_user(user: User) -> QuerySet[Shift]:
    """The shifts of the companies `user` works for (every shift for a platform admin),
    with their cash sales and refunds annotated (`sales`, `refunds`, minor units)."""
    shifts = Shift.objects.select_related("company", "agent", "station").order_by("opened_at", "pk")
    return _with_cash(scope_queryset(shifts, company_ids_for_user(user)))


def _drawer_total(kind: str) -> Subquery:
    entries = (
        Entry.objects.filter(
            account__kind="drawer",
            account__user_id=OuterRef("agent_id"),
            account__currency=OuterRef("currency"),
            transaction__kind=kind,
            transaction__created_at__gte=OuterRef("opened_at"),
            transaction__created_at__lte=Coalesce(OuterRef("closed_at"), Now()),
        )
        .order_by()
        .values("account__user_id")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    return Coalesce(Subquery(entries), Value(0))


def _with_cash(shifts: QuerySet[Shift]) -> QuerySet[Shift]:
    # A drawer's cash in is a debit (negative entry): sales are minus their entries.
    return shifts.annotate(
        sales_debits=_drawer_total("cash_sale"), refunds=_drawer_total("cash_refund")
    )


def shifts_between(shifts: QuerySet[Shift], start: date, end: date) -> QuerySet[Shift]:
    """The shifts opened on the days start..end, give or take a day for time zones; the
    lines then keep those whose local day (the station's) is in the period."""
    since = datetime.combine(start - timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC"))
    until = datetime.combine(end + timedelta(days=2), time.min, tzinfo=ZoneInfo("UTC"))
    return shifts.filter(opened_at__gte=since, opened_at__lt=until)


def _zone(shift: Shift) -> str:
    return shift.station.time_zone if shift.station else shift.company.time_zone


@dataclass(frozen=True)
class ShiftLine:
    """One shift: `expected` is the closed shift's, or, while open, what the drawer should
    hold now."""

    shift: Shift
    day: date
    zone: str
    sales: int
    refunds: int
    expected: int
    counted: int | None
    difference: int | None
    flagged: bool

    CSV_HEADER = [
        "company",
        "agent",
        "station",
        "day",
        "opened_at",
        "closed_at",
        "time_zone",
        "currency",
        "float",
        "sales",
        "refunds",
        "expected",
        "counted",
        "difference",
        "flagged",
    ]

    @property
    def currency(self) -> str:
        return self.shift.currency

    @property
    def opened_local(self) -> str:
        return local_time(self.shift.opened_at, self.zone)

    @property
    def closed_local(self) -> str:
        return local_time(self.shift.closed_at, self.zone)

    def csv_row(self) -> list[str]:
        """Amounts as exact decimal strings of major units; times in the station's zone."""
        zone = ZoneInfo(self.zone)
        shift = self.shift

        def fmt(amount: int | None) -> str:
            return "" if amount is None else money.to_major_string(amount, shift.currency)

        return [
            shift.company.name,
            shift.agent.get_full_name() or shift.agent.email,
            shift.station.code if shift.station else "",
            self.day.isoformat(),
            shift.opened_at.astimezone(zone).isoformat(timespec="minutes"),
            shift.closed_at.astimezone(zone).isoformat(timespec="minutes")
            if shift.closed_at
            else "",
            self.zone,
            shift.currency,
            fmt(shift.float_amount),
            fmt(self.sales),
            fmt(self.refunds),
            fmt(self.expected),
            fmt(self.counted),
            fmt(self.difference),
            "yes" if self.flagged else "no",
        ]


def shift_lines(shifts: Iterable[Shift], *, start: date | None = None, end: date | None = None):
    """A ShiftLine per shift (annotated by `shifts_for_user`), keeping those whose local day
    is within start..end when given."""
    lines = []
    for shift in shifts:
        zone = _zone(shift)
        day = shift.opened_at.astimezone(ZoneInfo(zone)).date()
        if (start and day < start) or (end and day > end):
            continue
        sales = -shift.sales_debits
        expected = shift.expected if shift.closed_at else shift.float_amount + sales - shift.refunds
        lines.append(
            ShiftLine(
                shift=shift,
                day=day,
                zone=zone,
                sales=sales,
                refunds=shift.refunds,
                expected=expected,
                counted=shift.counted,
                difference=shift.difference,
                flagged=shift.flagged,
            )
        )
    return lines


@dataclass
class StationDay:
    """The closed shifts of one company at one station on one local day, summed (one
    currency: the company's)."""

    company: str
    station: str
    day: date
    currency: str
    shifts: int = 0
    float_amount: int = 0
    sales: int = 0
    refunds: int = 0
    expected: int = 0
    counted: int = 0
    difference: int = 0
    flagged: int = 0
    open_shifts: int = field(default=0)

    CSV_HEADER = [
        "company",
        "station",
        "day",
        "currency",
        "shifts",
        "open_shifts",
        "float",
        "sales",
        "refunds",
        "expected",
        "counted",
        "difference",
        "flagged",
    ]

    def csv_row(self) -> list[str]:
        def fmt(amount: int) -> str:
            return money.to_major_string(amount, self.currency)

        return [
            self.company,
            self.station,
            self.day.isoformat(),
            self.currency,
            str(self.shifts),
            str(self.open_shifts),
            fmt(self.float_amount),
            fmt(self.sales),
            fmt(self.refunds),
            fmt(self.expected),
            fmt(self.counted),
            fmt(self.difference),
            str(self.flagged),
        ]


def station_days(lines: Iterable[ShiftLine]) -> list[StationDay]:
    """Per company, station and local day: the closed shifts' figures summed, and how many
    shifts are still open (not summed: they have no count yet)."""
    days: dict[tuple, StationDay] = {}
    for line in lines:
        shift = line.shift
        station = shift.station.code if shift.station else _("(no station)")
        key = (shift.company.name, station, line.day, shift.currency)
        row = days.setdefault(key, StationDay(*key))
        if shift.closed_at is None:
            row.open_shifts += 1
            continue
        row.shifts += 1
        row.float_amount += shift.float_amount
        row.sales += line.sales
        row.refunds += line.refunds
        row.expected += line.expected
        row.counted += line.counted
        row.difference += line.difference
        row.flagged += int(line.flagged)
    return [days[key] for key in sorted(days)]


def write_csv(out, rows: Iterable, header: list[str]) -> None:
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row.csv_row())
