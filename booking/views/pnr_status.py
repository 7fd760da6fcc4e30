"""The public PNR status check: a PNR's status for anyone who knows its number and the
holder's email or phone."""

from contextlib import suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from fleet.models import TripStatus
from ttms.accounts.phones import phone_normalize
from ttms.throttling import FailedAttempts, client_ident

from ..forms import PnrLookupForm
from ..models import Passenger, Pnr
from ..sales.selectors.pnrs import pnr_get_for_contact
from .common import local_time, passenger_status, pnr_status_shown, pnr_terms

NO_MATCH = gettext_lazy("No booking matches this PNR and contact.")


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
                    gettext(
                        "Too many lookups matched no booking. Try again in {minutes} minute(s)."
                    ).format(minutes=max(1, wait // 60))
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
        pnr = pnr_get_for_contact(number=form.cleaned_data["pnr"], contact=contact)
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
    status, label = pnr_status_shown(passengers)
    route = pnr.trip.route
    return render(
        request,
        "booking/pnr_status.html",
        {
            **pnr_terms(pnr),
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
