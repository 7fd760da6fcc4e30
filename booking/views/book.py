"""The booking form: passengers and quota, the review of the fare against the wallet, and
Pay; the draft is `sales.services.draft`'s, this maps requests to it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from ttms import money
from ttms.exceptions import DomainError

from .. import rules
from ..exceptions import InvalidBooking
from ..forms import (
    BookingOptionsForm,
    PassengerForm,
    PassengerFormSet,
    passengers_limits,
    quota_rules,
    seat_parse,
)
from ..models import BOOKABLE_QUOTAS, Quota
from ..sales.fares import tariff_get
from ..sales.selectors.seat_maps import class_is_sleeper
from ..sales.services.draft import (
    draft_get,
    draft_pay,
    draft_review,
    draft_rows,
    draft_start,
    passenger_rows_change,
)
from ..sales.services.precheck import PassengerIn
from .journey import closed_page, journey_context, journey_or_404, trip_classes, trip_or_404
from .trip import passengers_asked


def _book_url(pk: int, params: dict) -> str:
    return reverse("booking:book", args=[pk]) + "?" + urlencode(params, doseq=True)


def _posted_rows(data, total: int) -> list[dict]:
    """The passengers form's rows as sent, unchecked, to show them again."""
    return [
        {f: data.get(f"form-{i}-{f}", "") for f in PassengerForm.base_fields} for i in range(total)
    ]


def _formset(journey, class_code: str, **kwargs):
    """The passengers' forms, their preference the class's: berths or window and aisle."""
    sleeper = class_is_sleeper(company_id=journey.trip.route.company_id, code=class_code)
    return PassengerFormSet(form_kwargs={"sleeper": sleeper}, **kwargs)


def _options(journey, data=None, **kwargs) -> BookingOptionsForm:
    quotas = journey.trip.route.company.rules.quotas
    return BookingOptionsForm(data, quotas=quotas, **kwargs)


def _form_page(request, journey, class_code, options, formset, *, status=200, error=""):
    tariff = tariff_get(company_id=journey.trip.route.company_id, class_code=class_code)
    texts = quota_rules(multipliers_bp=tariff.multipliers_bp)
    context = journey_context(journey, class_code=class_code)
    terms = context["terms"]
    limit = journey.trip.route.company.rules.max_passengers
    for form in formset:
        # "C1-14" -> "14": a bus's seat, its one cabin unnamed.
        form.seat_number = str(form["seat"].value() or "").rpartition("-")[2]
    return render(
        request,
        "booking/book.html",
        {
            **context,
            "options": options,
            "formset": formset,
            "class_code": class_code,
            "quota_rules": [
                (Quota(q).label, q, texts[q]) for q in BOOKABLE_QUOTAS if q in terms.quotas
            ],
            "passengers_limits": passengers_limits(limit=limit, tatkal=terms.tatkal),
            "max_passengers": min(limit, rules.MAX_PASSENGERS),
            "error": error,
        },
        status=status,
    )


def _review_page(request, pk, journey, key, draft, *, status=200, error=""):
    """The review of a draft (`draft_review`): its passengers, and the fare against the
    wallet with Pay or a top-up; else why the booking would be refused, and neither."""
    shown = draft_review(trip_id=pk, draft=draft, user=request.user, now=timezone.now())
    review = shown.review
    if review is None:
        error = error or shown.error
        status = status if status != 200 else shown.status
    return render(
        request,
        "booking/review.html",
        {
            **journey_context(journey, class_code=draft["class"]),
            "draft": draft,
            "draft_key": key,
            "review": review,
            "passengers": shown.passengers,
            "quota_label": Quota(draft["quota"]).label,
            "booked_label": Quota(review.booked_quota).label if review else "",
            "topup_amount": (
                money.to_major_string(review.topup, journey.trip.route.company.currency)
                if review
                else ""
            ),
            "topup_currency": journey.trip.route.company.currency,
            "back_url": _book_url(pk, {"draft": key}),
            "edit_url": _book_url(pk, {"draft": key, "edit": 1}),
            "error": error,
        },
        status=status,
    )


def _options_form(
    journey, *, quota: str, only_if_all_confirmed: bool = False
) -> BookingOptionsForm:
    sold = journey.trip.route.company.rules.quotas
    quota = quota if quota in BOOKABLE_QUOTAS and quota in sold else Quota.GENERAL
    return _options(
        journey, initial={"quota": quota, "only_if_all_confirmed": only_if_all_confirmed}
    )


def _passengers_in(formset) -> list[PassengerIn]:
    passengers = []
    for form in formset.forms:
        row = form.cleaned_data
        coach, seat = seat_parse(row["seat"]) or ("", "")
        passengers.append(
            PassengerIn(
                name=row["name"],
                age=row["age"],
                gender=row["gender"],
                berth_preference=row["berth_preference"],
                passport_number=row["passport"],
                nationality=row["nationality"],
                coach=coach,
                seat=seat,
            )
        )
    return passengers


def _refused_form_page(request, journey, class_code, options, formset, exc: DomainError):
    """The passengers form again with what `draft_start` refused: a passenger's problems
    at their row (a foreign tourist's at the passport), anything else above the form."""
    by_passenger = exc.fields.get("passengers") if isinstance(exc, InvalidBooking) else None
    if not isinstance(by_passenger, dict):
        return _form_page(
            request,
            journey,
            class_code,
            options,
            formset,
            status=exc.status_code,
            error=exc.message,
        )
    field = "passport" if options.cleaned_data["quota"] == Quota.FOREIGN_TOURIST else None
    for index, problems in by_passenger.items():
        for problem in problems:
            formset.forms[int(index)].add_error(field, problem)
    return _form_page(request, journey, class_code, options, formset, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def book(request, pk: int):
    """The booking form, in three steps that work without JavaScript: passengers and quota
    (rows added by a button), then the fare breakdown against the wallet (with a sandbox
    top-up when it is short, which comes back here), then Pay. The draft, its review and
    its payment are `sales.services.draft`'s; this maps requests to them."""
    trip = trip_or_404(pk)
    data = request.POST if request.method == "POST" else request.GET
    key = data.get("draft", "")
    draft = draft_get(session=request.session, key=key)
    if key and draft is None:
        messages.info(request, gettext("That booking form has expired; please fill it in again."))
        return redirect(reverse("booking:search"))
    if draft and draft.get("pnr"):
        return redirect("booking:pnr", pnr=draft["pnr"])
    journey = journey_or_404(trip, draft or data)
    if closed := closed_page(request, journey):
        return closed
    class_code = (draft["class"] if draft else data.get("class", "")).strip().upper()
    if class_code not in trip_classes(trip):
        raise Http404(
            gettext("Trip {number} has no {class_code} class.").format(
                number=trip.route.number, class_code=class_code or gettext("such")
            )
        )
    action = request.POST.get("action", "")

    if draft and request.method == "POST" and action == "pay":
        paid = draft_pay(session=request.session, key=key, trip_id=pk, user=request.user)
        if not paid.pnr:
            return _review_page(
                request, pk, journey, key, draft, status=paid.status, error=paid.error
            )
        messages.success(request, gettext("Booked: PNR {number}.").format(number=paid.pnr))
        return redirect("booking:pnr", pnr=paid.pnr)
    if draft and request.method == "GET" and not request.GET.get("edit"):
        return _review_page(request, pk, journey, key, draft)

    if draft:  # back from the review to change something
        options = _options_form(
            journey, quota=draft["quota"], only_if_all_confirmed=draft["only_if_all_confirmed"]
        )
        formset = _formset(journey, class_code, initial=draft_rows(draft))
        return _form_page(request, journey, class_code, options, formset)
    if request.method == "GET":
        rows = [{"seat": seat} for seat in data.getlist("seat")[: rules.MAX_PASSENGERS]]
        # A party's size asked by a link (the assistant's): one row each, seats first.
        rows += [{}] * (passengers_asked(data, limit=rules.MAX_PASSENGERS) - len(rows))
        rows = rows or [{}]
        options = _options_form(journey, quota=data.get("quota", ""))
        formset = _formset(journey, class_code, initial=rows)
        return _form_page(request, journey, class_code, options, formset)

    if action == "add" or action.startswith("remove-"):
        total = PassengerFormSet(request.POST).total_form_count()
        rows = passenger_rows_change(rows=_posted_rows(request.POST, total), action=action)
        options = _options_form(
            journey,
            quota=request.POST.get("quota", ""),
            only_if_all_confirmed=bool(request.POST.get("only_if_all_confirmed")),
        )
        formset = _formset(journey, class_code, initial=rows)
        return _form_page(request, journey, class_code, options, formset)

    options = _options(journey, request.POST)
    formset = _formset(journey, class_code, data=request.POST)
    if not (options.is_valid() and formset.is_valid()):
        return _form_page(request, journey, class_code, options, formset, status=400)
    try:
        key = draft_start(
            session=request.session,
            trip_id=pk,
            origin_code=journey.origin.station.code,
            destination_code=journey.destination.station.code,
            class_code=class_code,
            quota=options.cleaned_data["quota"],
            only_if_all_confirmed=options.cleaned_data["only_if_all_confirmed"],
            passengers=_passengers_in(formset),
            now=timezone.now(),
        )
    except DomainError as exc:  # as Pay would refuse: the passengers, the trip, its window
        return _refused_form_page(request, journey, class_code, options, formset, exc)
    return redirect(_book_url(pk, {"draft": key}))
