"""The passenger's PNRs: their trips, and one PNR (statuses, berths, QRs) with its
passengers' part refreshing itself."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fleet.models import TripStatus
from ttms.money import format_money

from ..lifecycle.selectors import trip_cancellation_reason
from ..models import PassengerStatus, Pnr, Quota
from ..sales.selectors.pnrs import pnr_trips_for_user
from ..sales.selectors.seat_maps import class_names
from .cancellation import cancel_refusal
from .common import class_label, local_time, operator_terms, pnr_or_404, pnr_status_shown, pnr_terms
from .ticket_print import TicketBlock, ticket_blocks

TRIPS_PAGE_SIZE = 20
# Statuses a later change (a promotion, a cancellation) can still move.
OPEN_TRIP_STATUSES = (TripStatus.SCHEDULED, TripStatus.BOARDING)


@dataclass(frozen=True)
class TripRow:
    """One PNR in the list of trips, with its times in each station's own zone."""

    pnr: Pnr
    departure: str
    arrival: str
    status: str
    status_label: str
    passengers: int
    cancelled: int
    class_label: str = ""


def _trip_row(pnr: Pnr, names: dict[str, str]) -> TripRow:
    passengers = list(pnr.passengers.all())
    status, label = pnr_status_shown(passengers)
    return TripRow(
        pnr,
        local_time(pnr.departure_at, pnr.origin),
        local_time(pnr.arrival_at, pnr.destination),
        status,
        label,
        len(passengers),
        sum(p.status == PassengerStatus.CANCELLED for p in passengers),
        class_label(pnr.class_code, names=names, terms=operator_terms(pnr.trip.route.company)),
    )


@login_required
@never_cache
@require_GET
def my_trips(request):
    """The user's PNRs, 20 a page: the journeys still ahead (until the arrival at the
    alighting stop), soonest first, then the past ones, latest first. A fixed number of
    queries whatever the number of PNRs and passengers (`pnr_trips_for_user`)."""
    page = Paginator(
        pnr_trips_for_user(request.user, now=timezone.now()), TRIPS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    buses = {
        p.trip.route.company_id for p in page if not operator_terms(p.trip.route.company).coaches
    }
    names = {}
    for company_id in buses:
        codes = sorted({p.class_code for p in page if p.trip.route.company_id == company_id})
        names.update(class_names(company_id=company_id, codes=codes))
    rows = [_trip_row(pnr, names) for pnr in page]
    upcoming = [row for row in rows if row.pnr.upcoming]
    past = [row for row in rows if not row.pnr.upcoming]
    return render(
        request,
        "booking/my_trips.html",
        {
            "page": page,
            "upcoming": upcoming,
            "past": past,
            # The list starts with the journeys ahead: on page 1, none first means none at all.
            "none_upcoming": page.number == 1 and not upcoming,
        },
    )


# --- One PNR ---------------------------------------------------------------------------------


def _passengers_context(pnr: Pnr, now: datetime) -> dict:
    """What the passengers fragment shows: the PNR status, each passenger's row (status
    with RAC/WL position, berth, fare, refund) and the QRs of the seated ones; `live`:
    whether anything can still change, so that the page keeps refreshing it."""
    passengers = list(pnr.passengers.all())
    status, label = pnr_status_shown(passengers)
    blocks: list[TicketBlock] = ticket_blocks(pnr, passengers)
    return {
        **pnr_terms(pnr),
        "pnr": pnr,
        "pnr_status": status,
        "pnr_status_label": label,
        "blocks": blocks,
        "qrs": [block for block in blocks if block.qr],
        "live": (
            pnr.trip.status in OPEN_TRIP_STATUSES
            and now < pnr.arrival_at
            and any(p.status != PassengerStatus.CANCELLED for p in passengers)
        ),
        "refresh_seconds": settings.TTMS_PNR_REFRESH_SECONDS,
    }


@login_required
@never_cache  # the QRs are bearer credentials: kept out of every cache
@require_GET
def pnr_detail(request, pnr: str):
    """One of the user's PNRs: the journey, each passenger's status (RAC/WL with the
    position), coach and berth, fare and refund, the QRs of the seated ones; 404 for
    anyone else's. The passengers part refreshes itself (`pnr_passengers`) while the trip
    is ahead."""
    found = pnr_or_404(request.user, pnr, detail=True)
    now = timezone.now()
    route = found.trip.route
    trip_cancelled = found.trip.status == TripStatus.CANCELLED
    context = _passengers_context(found, now)
    return render(
        request,
        "booking/pnr.html",
        {
            **context,
            "route": route,
            "company": route.company,
            "trip_cancelled": trip_cancelled,
            "cancel_reason": (trip_cancellation_reason(found.trip) if trip_cancelled else ""),
            # A ticket to print only while someone holds one (a cancelled trip voids them all).
            "printable": bool(context["qrs"]) and not trip_cancelled,
            "departure": local_time(found.departure_at, found.origin),
            "arrival": local_time(found.arrival_at, found.destination),
            "booked_at": local_time(found.created_at, found.origin),
            "quota": Quota(found.quota).label,
            "total_fare": format_money(found.total_fare, found.currency),
            "cancellable": cancel_refusal(found)[0] is None,
        },
    )


@login_required
@never_cache
@require_GET
def pnr_passengers(request, pnr: str):
    """The passengers fragment of the PNR page alone, for the page to refresh it."""
    found = pnr_or_404(request.user, pnr, detail=True)
    return render(
        request, "booking/_pnr_passengers.html", _passengers_context(found, timezone.now())
    )
