"""Cancelling some passengers of one of the user's PNRs against a refund quote."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from fleet.models import Company
from ttms.exceptions import DomainError
from ttms.money import format_money

from ..lifecycle.selectors import refund_quote
from ..lifecycle.services.cancellation import booking_cancel
from ..models import Passenger, PassengerStatus, Pnr
from .common import local_time, passenger_status, pnr_or_404, pnr_terms


def cancel_refusal(pnr: Pnr) -> tuple[str | None, bool | None]:
    """Why nothing of `pnr` can be cancelled now (None when something can), and whether its
    chart is prepared: asked of the rules the cancellation applies (`lifecycle.selectors.
    refund_quote` for every active passenger), so no page offers what the service would
    refuse."""
    try:
        return None, refund_quote(pnr=pnr).charted
    except DomainError as exc:
        return exc.message, None


def _passenger_ids(raw: list[str]) -> tuple[list[int], str | None]:
    """The passenger ids a form sent, or why they cannot be used."""
    if not raw:
        return [], gettext("Choose at least one passenger to cancel.")
    try:
        ids = sorted({int(value) for value in raw})
    except ValueError:
        return [], gettext("Choose passengers from the list.")
    if any(pk < 1 for pk in ids):
        return [], gettext("Choose passengers from the list.")
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
        return gettext("Refund policy of {company}: its own tiers").format(company=company.name)
    try:
        label = Company.RefundPolicy(company.refund_policy).label
    except ValueError:
        label = company.refund_policy
    return gettext("Refund policy of {company}: {policy}").format(
        company=company.name, policy=label
    )


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

    Whether anything can be cancelled at all is `cancel_refusal`."""
    passengers = list(pnr.passengers.all())
    active = [p for p in passengers if p.status != PassengerStatus.CANCELLED]
    blocked, charted = cancel_refusal(pnr)
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
            **pnr_terms(pnr),
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
    found = pnr_or_404(request.user, pnr)
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
                    gettext(
                        "The refund is now {refund}: it changed since it was shown. Check it, "
                        "then confirm again."
                    ).format(refund=format_money(plan.refund, pnr.currency))
                    if request.POST.get("refund")
                    else gettext("Check the refund, then confirm.")
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
    names = ", ".join(
        gettext("{name} (passenger {index})").format(name=line["name"], index=line["index"])
        for line in cancellation.lines
    )
    done = gettext("Cancelled {names} of PNR {number}.").format(names=names, number=pnr.number)
    amount = format_money(cancellation.refund, pnr.currency)
    if not cancellation.refund:
        refund = gettext("Nothing is refunded under the refund policy.")
    elif pnr.booked_by_id == pnr.user_id:
        refund = gettext("{amount} is refunded to your wallet.").format(amount=amount)
    else:
        refund = gettext("{amount} is refunded to the wallet that paid.").format(amount=amount)
    return f"{done} {refund}"
