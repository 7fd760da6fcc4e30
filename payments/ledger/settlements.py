"""Settlement runs: a company's earnings over a closed period of its local days, frozen and
paid out through the ledger."""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import formats
from django.utils.translation import gettext as _

from fleet.models import Company
from ttms import localtime
from ttms.accounts.models import User
from ttms.audit.services import audit_record

from ..exceptions import SettlementNotAllowed
from ..locks import accounts_lock
from ..models import SettlementRun
from .accounts import revenue_account_get_or_create
from .clearing import payout_record
from .selectors import (
    settlement_days,
    settlement_for_company,
    settlement_run_overlapping,
    settlement_runs_unpaid,
)

# Transaction.reference_id holds 64 characters.
_REFERENCE_LENGTH = 64


def settlement_reference(*, company: Company, period_start: date, period_end: date) -> str:
    """ "SET-konkan-20260301-20260331": the run's reference, also its payout's. A slug too
    long for the ledger's reference gives way to the company's id."""
    days = f"{period_start:%Y%m%d}-{period_end:%Y%m%d}"
    reference = f"SET-{company.slug}-{days}"
    if len(reference) > _REFERENCE_LENGTH:
        reference = f"SET-id{company.pk}-{days}"
    return reference


def _period_text(start: date, end: date) -> str:
    return _("%(start)s to %(end)s") % {
        "start": formats.date_format(start, "j F Y"),
        "end": formats.date_format(end, "j F Y"),
    }


def settlement_run(
    *, company: Company, period_start: date, period_end: date, by: User | None
) -> SettlementRun:
    """Settle the company's local days period_start..period_end (both included): freeze
    its figures (`settlement_for_company`, and per day), and pay out the net plus what
    earlier runs left unpaid, through `payout_record` with the run's reference, in the
    company's currency, with an audit row; all in one transaction.

    A run whose payable amount is zero or less still records the figures, with no payout:
    a company owing money (refunds over sales) shows it, and the next run takes it off its
    payout. A payout is never more than the revenue account holds (a refund after the
    period may have spent it); the rest is carried to the next run.

    Idempotent: the same company and period again returns the run already made. Locks the
    company's revenue account (bounded wait), so runs of one company are made one at a time
    and the overlap check, re-done under the lock, holds. Raises SettlementNotAllowed (the
    period is not over in the company's time zone, or overlaps an earlier run), Busy.
    """
    if period_end < period_start:
        raise SettlementNotAllowed(_("The period starts after it ends."))
    today = localtime.today(company.time_zone)
    if period_end >= today:
        raise SettlementNotAllowed(
            _(
                "A settlement covers closed days only: the period must end by %(day)s "
                "(yesterday in %(zone)s)."
            )
            % {
                "day": formats.date_format(today - timedelta(days=1), "j F Y"),
                "zone": company.time_zone,
            }
        )
    with transaction.atomic():
        revenue = revenue_account_get_or_create(company=company)
        accounts_lock(account_ids=[revenue.pk])
        earlier = settlement_run_overlapping(company=company, start=period_start, end=period_end)
        if earlier is not None:
            if (earlier.period_start, earlier.period_end) == (period_start, period_end):
                return earlier
            raise SettlementNotAllowed(
                _("This period overlaps the settlement run %(reference)s, which covers %(period)s.")
                % {
                    "reference": earlier.reference,
                    "period": _period_text(earlier.period_start, earlier.period_end),
                }
            )
        settlement = settlement_for_company(company=company, start=period_start, end=period_end)
        brought_forward = settlement_runs_unpaid(company=company)
        available = revenue.entries.aggregate(total=Sum("amount"))["total"] or 0
        amount = max(0, min(settlement.net + brought_forward, available))
        reference = settlement_reference(
            company=company, period_start=period_start, period_end=period_end
        )
        payout = None
        if amount > 0:
            payout = payout_record(
                company=company,
                amount=amount,
                reference_id=reference,
                created_by=by,
                description=f"Settlement {reference}",
            )
        run = SettlementRun.objects.create(
            company=company,
            period_start=period_start,
            period_end=period_end,
            currency=settlement.currency,
            time_zone=company.time_zone,
            sales=settlement.sales,
            sales_count=settlement.sales_count,
            refunds=settlement.refunds,
            refunds_count=settlement.refunds_count,
            commission=settlement.commission,
            rate_bp=company.commission_bp,
            net=settlement.net,
            brought_forward=brought_forward,
            payout_amount=amount,
            payout=payout,
            days=settlement_days(company=company, start=period_start, end=period_end),
            reference=reference,
            created_by=by,
        )
        audit_record(
            actor=by,
            action="settlement.run",
            target=run,
            data={
                "period_start": period_start.isoformat(),
                "period_end": period_end.isoformat(),
                "currency": run.currency,
                "net": run.net,
                "brought_forward": brought_forward,
                "payout": amount,
                "transaction": payout.pk if payout else None,
            },
        )
        return run
