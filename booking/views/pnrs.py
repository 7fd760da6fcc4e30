"""The passenger's PNRs: their trips, one PNR (statuses, berths, QRs), cancelling some of its
passengers against a refund quote, and the public PNR status check."""

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from fleet.models import Company, TripStatus
from payments.money import format_money
from ttms.accounts.phones import phone_normalize
from ttms.exceptions import DomainError
from ttms.throttling import FailedAttempts, client_ident

from ..lifecycle.selectors import refund_quote, trip_cancellation_reason
from ..lifecycle.services.cancellation import booking_cancel
from ..models import Passenger, PassengerStatus, Pnr, Quota
from ..sales import selectors
from .common import PNR_STATUS_LABELS, local_time, passenger_status
from .ticket_print import TicketBlock, ticket_blocks

TRIPS_PAGE_SIZE = 20
# Statuses a later change (a promotion, a cancellation) can still move.
OPEN_TRIP_STATUSES = (TripStatus.SCHEDULED, TripStatus.BOARDING)
NO_MATCH = "No booking matches this PNR and contact."


def _own_pnr(user, number: str, *, detail: bool = False) -> Pnr:
    try:
        if detail:
            return selectors.pnr_detail_get_for_user(user, number)
        return selectors.pnr_get_for_user(user, number)
    except Pnr.DoesNotExist:
        raise Http404("You have no PNR with this number.") from None


def _status(passengers) -> tuple[str, str]:
    """A PNR's status code (CNF, RAC, WL, CAN, PARTIAL) and its label."""
    code = selectors.pnr_status(passengers)
    return code, PNR_STATUS_LABELS[code]


# --- My trips --------------------------------------------------------------------------------


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


def _trip_row(pnr: Pnr) -> TripRow:
    passengers = list(pnr.passengers.all())
    status, label = _status(passengers)
    return TripRow(
        pnr,
        local_time(pnr.departure_at, pnr.origin),
        local_time(pnr.arrival_at, pnr.destination),
        status,
        label,
        len(passengers),
        sum(p.status == PassengerStatus.CANCELLED for p in passengers),
    )


@login_required
@never_cache
@require_GET
def my_trips(request):
    """The user's PNRs, 20 a page: the journeys still ahead (until the arrival at the
    alighting stop), soonest first, then the past ones, latest first. A fixed number of
    queries whatever the number of PNRs and passengers (`selectors.pnr_trips_for_user`)."""
    page = Paginator(
        selectors.pnr_trips_for_user(request.user, now=timezone.now()), TRIPS_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    rows = [_trip_row(pnr) for pnr in page]
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
    status, label = _status(passengers)
    blocks: list[TicketBlock] = ticket_blocks(pnr, passengers)
    return {
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


def _cancel_refusal(pnr: Pnr) -> tuple[str | None, bool | None]:
    """Why nothing of `pnr` can be cancelled now (None when something can), and whether its
    chart is prepared: asked of the rules the cancellation applies (`lifecycle.selectors.
    refund_quote` for every active passenger), so no page offers what the service would
    refuse."""
    try:
        return None, refund_quote(pnr=pnr).charted
    except DomainError as exc:
        return exc.message, None


@login_required
@never_cache  # the QRs are bearer credentials: kept out of every cache
@require_GET
def pnr_detail(request, pnr: str):
    """One of the user's PNRs: the journey, each passenger's status (RAC/WL with the
    position), coach and berth, fare and refund, the QRs of the seated ones; 404 for
    anyone else's. The passengers part refreshes itself (`pnr_passengers`) while the trip
    is ahead."""
    found = _own_pnr(request.user, pnr, detail=True)
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
            "cancellable": _cancel_refusal(found)[0] is None,
        },
    )


@login_required
@never_cache
@require_GET
def pnr_passengers(request, pnr: str):
    """The passengers fragment of the PNR page alone, for the page to refresh it."""
    found = _own_pnr(request.user, pnr, detail=True)
    return render(
        request, "booking/_pnr_passengers.html", _passengers_context(found, timezone.now())
    )


# --- Cancellation ----------------------------------------------------------------------------


def _passenger_ids(raw: list[str]) -> tuple[list[int], str | None]:
    """The passenger ids a form sent, or why they cannot be used."""
    if not raw:
        return [], "Choose at least one passenger to cancel."
    try:
        ids = sorted({int(value) for value in raw})
    except ValueError:
        return [], "Choose passengers from the list."
    if any(pk < 1 for pk in ids):
        return [], "Choose passengers from the list."
    return ids, None


@dataclass(frozen=True)
class Choice:
    passenger: Passenger
    status: str
    checked: bool


def _policy_label(company: Company) -> str:
    """The company's refund policy as its admin chose it: "Refund policy of <company>:
    Tiered (48 h 90 %, 24 h 75 %, 12 h 50 %)"."""
    if company.refund_tiers:
        return f"Refund policy of {company.name}: its own tiers"
    try:
        label = Company.RefundPolicy(company.refund_policy).label
    except ValueError:
        label = company.refund_policy
    return f"Refund policy of {company.name}: {label}"


def _cancel_page(
    request,
    pnr: Pnr,
    *,
    chosen=(),
    plan=None,
    error: DomainError | None = None,
    field_error: str | None = None,
    notice: str = "",
    status: int = 200,
):
    """The cancel page: the passengers one may cancel (checkboxes), and when some are
    chosen, the refund quote and the button that cancels them; errors where they belong.

    Whether anything can be cancelled at all is `_cancel_refusal`."""
    passengers = list(pnr.passengers.all())
    active = [p for p in passengers if p.status != PassengerStatus.CANCELLED]
    blocked, charted = _cancel_refusal(pnr)
    if error is not None:
        if "passengers" in error.fields and field_error is None:
            field_error = error.message
        elif error.message != blocked:
            notice = error.message
    chosen = set(chosen) if not charted else {p.pk for p in active}
    route = pnr.trip.route
    return render(
        request,
        "booking/cancel.html",
        {
            "pnr": pnr,
            "route": route,
            "departure": local_time(pnr.departure_at, pnr.origin),
            "arrival": local_time(pnr.arrival_at, pnr.destination),
            "choices": [Choice(p, passenger_status(p), p.pk in chosen) for p in active],
            "cancelled": [p for p in passengers if p.status == PassengerStatus.CANCELLED],
            "blocked": blocked,
            "charted": charted,
            "plan": plan,
            "policy": _policy_label(route.company) if plan else "",
            "field_error": field_error,
            "notice": notice,
        },
        status=status,
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request, pnr: str):
    """Cancel some passengers of one of the user's PNRs. GET: the active passengers to
    choose from; with `passengers` chosen (ids), what cancelling them now refunds, and a
    form to do it. POST: cancel them (`lifecycle.services.cancellation.booking_cancel`),
    refunded to the wallet that paid, then back to the PNR page with what was done. A refund
    that changed since it was shown (a time band passed) is shown again to confirm rather than
    paid silently; a form sent twice finds them cancelled and refunds nothing more. 404 for
    anyone else's PNR."""
    found = _own_pnr(request.user, pnr)
    if request.method == "POST":
        return _cancel_post(request, found)
    if "quote" not in request.GET and "passengers" not in request.GET:
        return _cancel_page(request, found)
    ids, problem = _passenger_ids(request.GET.getlist("passengers"))
    if problem:
        return _cancel_page(request, found, field_error=problem, status=400)
    try:
        plan = refund_quote(pnr=found, passenger_ids=ids)
    except DomainError as exc:
        return _cancel_page(request, found, chosen=ids, error=exc, status=exc.status_code)
    return _cancel_page(request, found, chosen=ids, plan=plan)


def _cancel_post(request, pnr: Pnr):
    ids, problem = _passenger_ids(request.POST.getlist("passengers"))
    if problem:
        return _cancel_page(request, pnr, field_error=problem, status=400)
    try:
        plan = refund_quote(pnr=pnr, passenger_ids=ids)
        if request.POST.get("refund") != str(plan.refund):
            return _cancel_page(
                request,
                pnr,
                chosen=ids,
                plan=plan,
                status=409,
                notice=(
                    f"The refund is now {format_money(plan.refund, pnr.currency)}: it "
                    "changed since it was shown. Check it, then confirm again."
                    if request.POST.get("refund")
                    else "Check the refund, then confirm."
                ),
            )
        cancellation = booking_cancel(pnr=pnr, by=request.user, passenger_ids=ids)
    except DomainError as exc:
        return _cancel_page(request, pnr, chosen=ids, error=exc, status=exc.status_code)
    messages.success(request, _cancelled_message(pnr, cancellation))
    return redirect("booking:pnr", pnr=pnr.number)


def _cancelled_message(pnr: Pnr, cancellation) -> str:
    """'Cancelled Ravi (passenger 2) of PNR 1234567890. ₹1,080.00 is refunded to your
    wallet.'"""
    names = ", ".join(f"{line['name']} (passenger {line['index']})" for line in cancellation.lines)
    wallet = "your wallet" if pnr.booked_by_id == pnr.user_id else "the wallet that paid"
    refund = (
        f"{format_money(cancellation.refund, pnr.currency)} is refunded to {wallet}."
        if cancellation.refund
        else "Nothing is refunded under the refund policy."
    )
    return f"Cancelled {names} of PNR {pnr.number}. {refund}"


# --- Public PNR status -----------------------------------------------------------------------


class PnrLookupForm(forms.Form):
    # No length limits here: a malformed value gets the one answer every miss gets
    # (`selectors.pnr_get_for_contact`), not an error of its own.
    pnr = forms.CharField(
        label="PNR number",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "spellcheck": "false"}
        ),
        help_text="The 10 digits on your ticket.",
    )
    contact = forms.CharField(
        label="Email or phone used for the booking",
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
        help_text="A phone as you gave it, e.g. 98765 43210.",
    )


@dataclass(frozen=True)
class StatusRow:
    passenger: Passenger
    status: str


@never_cache  # shows who travels
@sensitive_post_parameters("contact")
@require_http_methods(["GET", "POST"])
def pnr_status_lookup(request):
    """A PNR's status for anyone who knows its number and the holder's email or phone:
    the journey and each passenger's status, coach and berth; no QR, nothing to change.
    POST, so that the contact stays out of addresses and logs. A wrong contact, an
    unknown PNR and a malformed number all get the same answer (404), and each counts
    against the client's address; past the limit, 429 without looking anything up."""
    if request.method == "GET":
        return render(request, "booking/pnr_status.html", {"form": PnrLookupForm()})
    form = PnrLookupForm(request.POST)
    attempts = FailedAttempts(
        [f"pnr-lookup-fail:ip:{client_ident(request)}"],
        limit=settings.TTMS_PNR_LOOKUP_FAILURE_LIMIT,
        window=settings.TTMS_PNR_LOOKUP_FAILURE_WINDOW,
    )
    wait = attempts.retry_after()
    if wait is not None:
        return render(
            request,
            "booking/pnr_status.html",
            {
                "form": PnrLookupForm(initial={"pnr": request.POST.get("pnr", "")}),
                "error": (
                    "Too many lookups matched no booking. Try again in "
                    f"{max(1, wait // 60)} minute(s)."
                ),
            },
            status=429,
        )
    if not form.is_valid():
        return render(request, "booking/pnr_status.html", {"form": form}, status=400)
    contact = form.cleaned_data["contact"]
    if "@" not in contact:
        # Stored phones are E.164: the one typed is read the same way ("98765 43210"). Text
        # that is no number is compared as typed: it matches nothing, like every other miss.
        with suppress(ValidationError):
            contact = phone_normalize(contact)
    try:
        pnr = selectors.pnr_get_for_contact(number=form.cleaned_data["pnr"], contact=contact)
    except Pnr.DoesNotExist:
        attempts.record_failure()
        return render(
            request,
            "booking/pnr_status.html",
            {
                # The contact is not shown back: it may be someone else's.
                "form": PnrLookupForm(initial={"pnr": form.cleaned_data["pnr"]}),
                "error": NO_MATCH,
            },
            status=404,
        )
    passengers = list(pnr.passengers.all())
    status, label = _status(passengers)
    route = pnr.trip.route
    return render(
        request,
        "booking/pnr_status.html",
        {
            "form": PnrLookupForm(),
            "result": pnr,
            "route": route,
            "trip_status": pnr.trip.get_status_display(),
            "trip_cancelled": pnr.trip.status == TripStatus.CANCELLED,
            "departure": local_time(pnr.departure_at, pnr.origin),
            "arrival": local_time(pnr.arrival_at, pnr.destination),
            "pnr_status": status,
            "pnr_status_label": label,
            "rows": [StatusRow(p, passenger_status(p)) for p in passengers],
        },
    )
