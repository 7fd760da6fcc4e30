"""Cash sales at the counter: a booking like any other (same rules, allocation and signed
tickets), paid into the selling agent's drawer, for a buyer who needs no account."""

from datetime import datetime

from django.utils.translation import gettext

from fleet.models import CompanyMembership, Trip
from ttms.accounts.models import Role, User

from ...exceptions import PosRefused
from ...models import Pnr
from ...sales.services.create import CashBuyer, booking_create
from ...sales.services.precheck import PassengerIn


def agent_membership(agent: User, company_id: int) -> CompanyMembership:
    """The agent's membership of the company; PosRefused when `agent` is not a station
    agent of it."""
    membership = None
    if getattr(agent, "role", None) == Role.AGENT:
        membership = CompanyMembership.objects.filter(
            user=agent, company_id=company_id, role=Role.AGENT
        ).first()
    if membership is None:
        raise PosRefused(gettext("Only the operator's station agents sell its trips for cash."))
    return membership


def pos_sale_create(
    *,
    agent: User,
    trip_id: int,
    origin_code: str,
    destination_code: str,
    class_code: str,
    quota: str,
    passengers: list[PassengerIn],
    buyer_name: str,
    buyer_phone: str,
    idempotency_record=None,
    now: datetime | None = None,
    currency: str | None = None,
) -> Pnr:
    """Sell `passengers` a journey for cash: `booking_create` with the agent holding the PNR
    and the money going into the agent's drawer. The agent must be a station agent of the
    trip's operator (any trip of it, not only from their home station). Raises PosRefused
    and whatever `booking_create` raises; on an error nothing is written."""
    company_id = Trip.objects.filter(pk=trip_id).values_list("route__company_id", flat=True).first()
    if company_id is not None:
        agent_membership(agent, company_id)
    return booking_create(
        user=agent,
        booked_by=agent,
        trip_id=trip_id,
        origin_code=origin_code,
        destination_code=destination_code,
        class_code=class_code,
        quota=quota,
        passengers=passengers,
        idempotency_record=idempotency_record,
        now=now,
        currency=currency,
        cash=CashBuyer(agent=agent, name=buyer_name, phone=buyer_phone),
    )


def pnr_sold_in_cash(pnr: Pnr) -> bool:
    """Whether `pnr` was sold for cash at a counter (it names its buyer)."""
    return bool(pnr.buyer_phone or pnr.buyer_name)


def pos_cancel_check(*, agent: User, pnr: Pnr) -> None:
    """Refuse (PosRefused) a counter cancellation of `pnr` by `agent` unless the PNR was
    sold for cash and `agent` is a station agent of its trip's operator (not necessarily
    the one who sold it). The cancellation itself is
    `lifecycle.services.cancellation.booking_cancel(cash_agent=agent)`, called by the
    interface after this check (booking.pos does not import booking.lifecycle). Reads
    one or two rows; writes nothing."""
    company_id = (
        Trip.objects.filter(pk=pnr.trip_id).values_list("route__company_id", flat=True).first()
    )
    agent_membership(agent, company_id)
    if not pnr_sold_in_cash(pnr):
        raise PosRefused(
            gettext("PNR {number} was paid from a wallet: its holder cancels it online.").format(
                number=pnr.number
            )
        )
