"""A PNR's printable ticket."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fleet.models import TripStatus
from ttms.money import format_money

from ..boarding.qr import ticket_svg
from ..boarding.selectors import pnr_get_for_ticket
from ..boarding.services.issue import tickets_issue
from ..lifecycle.selectors import trip_cancellation_reason
from ..models import Passenger, PassengerStatus, Pnr, Quota
from ..sales.selectors.pnrs import passengers_with_positions, pnr_status
from .common import PNR_STATUS_LABELS, local_time, passenger_status, pnr_terms


def _inline_qr(token: str) -> SafeString:
    """The ticket's QR as inline SVG. The SVG is drawn by `qrcode` from the signed ticket
    text (QR alphanumeric characters only), so nothing in it comes from a user. Its path's
    fixed id is dropped: several tickets share the page, and ids must be unique."""
    return mark_safe(ticket_svg(token).replace(' id="qr-path"', "", 1))


@dataclass(frozen=True)
class TicketBlock:
    """One passenger on the printed ticket: their status as shown, and either the QR (with
    its validity window) or why there is none."""

    passenger: Passenger
    status: str
    qr: SafeString | None = None
    valid_from: str = ""
    valid_until: str = ""
    no_ticket: str = ""


def _no_ticket(passenger: Passenger) -> str:
    if passenger.status == PassengerStatus.WAITLISTED:
        return gettext(
            "Waitlisted (WL {position}): no ticket until a berth or an RAC place is confirmed. "
            "Check the status again before you travel."
        ).format(position=passenger.queue_position)
    cause = (
        passenger.cancellation.get_cause_display()
        if passenger.cancellation
        else gettext("Cancelled")
    )
    return gettext(
        "Cancelled ({cause}): no ticket. A QR printed before the cancellation is refused at "
        "boarding."
    ).format(cause=cause.lower())


def ticket_blocks(pnr: Pnr, passengers: list[Passenger]) -> list[TicketBlock]:
    """One block per passenger of `pnr`, in the order given: seated ones (CNF, RAC) with
    their signed QR and its validity, the others with why they have none. `passengers`
    carry `queue_position` (`passengers_with_positions`), `seat.coach`, and
    `cancellation` for those cancelled, all read beforehand: no query per passenger."""
    issued = {t.passenger.pk: t for t in tickets_issue(pnr, passengers)}
    blocks = []
    for passenger in passengers:
        ticket = issued.get(passenger.pk)
        if ticket is None:
            blocks.append(
                TicketBlock(passenger, passenger_status(passenger), no_ticket=_no_ticket(passenger))
            )
            continue
        blocks.append(
            TicketBlock(
                passenger,
                passenger_status(passenger),
                qr=_inline_qr(ticket.token),
                valid_from=local_time(ticket.body.valid_from, pnr.origin),
                valid_until=local_time(ticket.body.valid_until, pnr.destination),
            )
        )
    return blocks


@login_required
@never_cache  # the QRs are bearer credentials: kept out of every cache
@require_GET
def ticket(request, pnr: str):
    """A PNR's ticket, to print or show: the journey, then each passenger with their QR
    (confirmed and RAC) or why they have none (waitlisted, cancelled). For the PNR's
    holder, the company's admins, schedulers and agents, and the trip's drivers
    (`boarding.selectors.pnr_get_for_ticket`); 404 for anyone else."""
    try:
        found = pnr_get_for_ticket(request.user, pnr)
    except Pnr.DoesNotExist:
        raise Http404(gettext("You have no PNR with this number.")) from None
    passengers = list(passengers_with_positions().filter(pnr=found).select_related("cancellation"))
    trip = found.trip
    trip_cancelled = trip.status == TripStatus.CANCELLED
    return render(
        request,
        "booking/ticket.html",
        {
            **pnr_terms(found),
            "pnr": found,
            "route": trip.route,
            "trip_cancelled": trip_cancelled,
            "cancel_reason": (trip_cancellation_reason(trip) if trip_cancelled else ""),
            "departure": local_time(found.departure_at, found.origin),
            "arrival": local_time(found.arrival_at, found.destination),
            "quota": Quota(found.quota).label,
            "pnr_status": PNR_STATUS_LABELS[pnr_status(passengers)],
            "total_fare": format_money(found.total_fare, found.currency),
            "blocks": ticket_blocks(found, passengers),
        },
    )
