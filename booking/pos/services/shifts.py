"""Agents' shifts at the counter: opened with a float, closed with the cash counted.

The float is cash from the company's cash office into the agent's drawer (a ledger
posting), so refunds at the counter can be paid from it. What the drawer should hold at the
close, `expected`, is the float plus the cash sales less the cash refunds: the drawer
account's entries since the shift opened. The agent's count less that is the difference,
flagged past the tolerance (TTMS_POS_SHIFT_TOLERANCE, minor units; unset: one major unit of
the currency). Then the shift's cash is handed over to the company's cash office, so the
drawer holds again what it held before the shift. Each step audited, each in one
transaction.
"""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from fleet.models import CompanyMembership, Station
from payments.ledger.accounts import drawer_get_or_create
from payments.ledger.cash_office import cash_float_issue, cash_handover
from payments.locks import accounts_lock
from payments.models import Entry
from ttms import money
from ttms.accounts.models import Role, User
from ttms.audit.services import audit_record
from ttms.exceptions import DomainError

from ...exceptions import PosRefused
from ...models import Shift

REFERENCE_TYPE = "pos_shift"
# The longest note kept with a close.
NOTE_MAX = 500


class ShiftError(DomainError):
    code = "shift_refused"
    status_code = 409
    default_message = gettext_lazy("The shift cannot be changed now.")


class ShiftAlreadyOpen(ShiftError):
    code = "shift_already_open"
    default_message = gettext_lazy("You already have a shift open; close it first.")


class NoOpenShift(ShiftError):
    code = "no_open_shift"
    default_message = gettext_lazy("You have no shift open.")


class InvalidShift(ShiftError):
    code = "invalid"
    status_code = 400


def shift_tolerance(currency: str) -> int:
    """The largest difference, in minor units, that is not flagged."""
    configured = getattr(settings, "TTMS_POS_SHIFT_TOLERANCE", None)
    if configured is None:
        return 10 ** money.exponent(currency)
    return int(configured)


def shift_membership(agent: User, station: Station | None) -> CompanyMembership:
    """The agent's membership the shift is for: the one whose home station is `station`,
    else their first as an agent. PosRefused when they are no company's station agent."""
    memberships = []
    if getattr(agent, "role", None) == Role.AGENT:
        memberships = list(
            CompanyMembership.objects.filter(user=agent, role=Role.AGENT)
            .select_related("company", "home_station")
            .order_by("pk")
        )
    if not memberships:
        raise PosRefused(gettext("Only a company's station agents open shifts at the counter."))
    if station is not None:
        for membership in memberships:
            if membership.home_station_id == station.pk:
                return membership
    return memberships[0]


def _amount(value: object, field: str) -> int:
    if not (money.is_amount(value) or (type(value) is int and value == 0)):
        message = gettext("Enter a whole number of minor units, zero or more.")
        raise InvalidShift(message, fields={field: [message]})
    return int(value)


def shift_open(
    *,
    agent: User,
    float_amount: int,
    station: Station | None = None,
    now: datetime | None = None,
) -> Shift:
    """Open the agent's shift at `station` (default: their home station) with a float of
    `float_amount` minor units of their company's currency, taken from the company's cash
    office into their drawer. Raises PosRefused (not a station agent), InvalidShift (a bad
    amount), ShiftAlreadyOpen, or the ledger's Busy; nothing written then."""
    float_amount = _amount(float_amount, "float_amount")
    membership = shift_membership(agent, station)
    company = membership.company
    now = now or timezone.now()
    with transaction.atomic():
        drawer = drawer_get_or_create(agent=agent, currency=company.currency)
        opening_balance = drawer.balance
        try:
            with transaction.atomic():
                shift = Shift.objects.create(
                    company=company,
                    agent=agent,
                    station=station or membership.home_station,
                    currency=company.currency,
                    opened_at=now,
                    float_amount=float_amount,
                )
        except IntegrityError:
            raise ShiftAlreadyOpen() from None
        if float_amount:
            cash_float_issue(
                agent=agent,
                company=company,
                amount=float_amount,
                reference_type=REFERENCE_TYPE,
                reference_id=str(shift.pk),
                description=gettext("Float for shift %(id)s") % {"id": shift.pk},
            )
        audit_record(
            actor=agent,
            action="pos.shift_opened",
            target=shift,
            data={
                "float": float_amount,
                "currency": shift.currency,
                "drawer_balance_at_opening": opening_balance,
                "station": shift.station.code if shift.station else None,
            },
        )
    return shift


def shift_current(agent: User) -> Shift | None:
    """The agent's open shift, if any."""
    return (
        Shift.objects.filter(agent=agent, closed_at__isnull=True)
        .select_related("company", "station")
        .first()
    )


def shift_close(
    *,
    agent: User,
    counted: int,
    now: datetime | None = None,
    note: str = "",
) -> Shift:
    """Close the agent's open shift with the cash `counted` in the drawer (minor units).

    Keeps expected (float + cash sales − cash refunds in the drawer since opening, from the
    ledger), the difference (counted − expected) and whether it is flagged (beyond the
    tolerance); then hands the shift's cash over from the drawer to the company's cash
    office. Raises InvalidShift (a bad count), NoOpenShift, or the ledger's Busy; nothing
    written then."""
    counted = _amount(counted, "counted")
    note = (note or "").strip()[:NOTE_MAX]
    now = now or timezone.now()
    with transaction.atomic():
        shift = (
            Shift.objects.select_for_update(of=("self",))
            .select_related("company", "station")
            .filter(agent=agent, closed_at__isnull=True)
            .first()
        )
        if shift is None:
            raise NoOpenShift()
        # The drawer locked before it is read: a sale finishing meanwhile is either in
        # `expected` and handed over, or waits and comes after the close.
        drawer = drawer_get_or_create(agent=agent, currency=shift.currency)
        accounts_lock(account_ids=[drawer.pk])
        expected = shift_expected(shift, until=now)
        difference = counted - expected
        tolerance = shift_tolerance(shift.currency)
        flagged = abs(difference) > tolerance
        # The shift's own cash in the drawer (float, sales, refunds) is `expected`: it goes
        # to the cash office, and the drawer holds again what it held before the shift.
        handed_over = max(expected, 0)
        if handed_over:
            cash_handover(
                agent=agent,
                company=shift.company,
                amount=handed_over,
                reference_type=REFERENCE_TYPE,
                reference_id=str(shift.pk),
                description=gettext("Hand-over of shift %(id)s") % {"id": shift.pk},
            )
        Shift.objects.filter(pk=shift.pk).update(
            closed_at=now,
            counted=counted,
            expected=expected,
            difference=difference,
            flagged=flagged,
        )
        shift.refresh_from_db()
        audit_record(
            actor=agent,
            action="pos.shift_closed",
            target=shift,
            data={
                "counted": counted,
                "expected": expected,
                "difference": difference,
                "flagged": flagged,
                "tolerance": tolerance,
                "handed_over": handed_over,
                "currency": shift.currency,
                "note": note,
            },
        )
        if flagged:
            audit_record(
                actor=agent,
                action="pos.shift_flagged",
                target=shift,
                data={"difference": difference, "tolerance": tolerance, "note": note},
            )
    return shift


def shift_expected(shift: Shift, *, until: datetime | None = None) -> int:
    """What the drawer should hold for the shift at `until` (default: now): its float plus
    the cash sales less the cash refunds through the agent's drawer since it opened."""
    return shift.float_amount + _sales_less_refunds(shift, until or timezone.now())


def _sales_less_refunds(shift: Shift, until: datetime) -> int:
    """Cash sales less cash refunds through the agent's drawer during the shift."""
    entries = Entry.objects.filter(
        account__kind="drawer",
        account__user_id=shift.agent_id,
        account__currency=shift.currency,
        transaction__kind__in=["cash_sale", "cash_refund"],
        transaction__created_at__gte=shift.opened_at,
        transaction__created_at__lte=until,
    )
    return -(entries.aggregate(total=Sum("amount"))["total"] or 0)
