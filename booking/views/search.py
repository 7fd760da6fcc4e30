"""Search, a trip's seat map, and the booking form: what a passenger sees before paying."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from fleet.models import BerthType, Trip
from fleet.selectors import TripOption, classes_by_vehicle, station_lookup
from fleet.selectors import trip_search as trips_find
from payments import money
from ttms.exceptions import DomainError

from .. import rules
from ..exceptions import InvalidBooking, TripNotBookable
from ..forms import (
    BookingOptionsForm,
    PassengerForm,
    PassengerFormSet,
    SearchForm,
    passengers_limits,
    quota_rules,
    seat_parse,
    station_label,
)
from ..models import BOOKABLE_QUOTAS, Quota
from ..sales import selectors
from ..sales.fares import tariff_get
from ..sales.services.create import PassengerIn
from ..sales.services.draft import (
    draft_get,
    draft_pay,
    draft_review,
    draft_rows,
    draft_start,
    passenger_rows_change,
)
from .common import local_time

SUGGESTIONS = 8


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return gettext("{hours} h {minutes:02d} min").format(hours=minutes // 60, minutes=minutes % 60)


def _clock(moment, station) -> dict:
    local = moment.astimezone(station.tzinfo)
    return {
        "time": f"{local:%H:%M}",
        "day": f"{local:%a %d %b}",
        "zone": local.tzname(),
        "iso": local.isoformat(),
    }


# --- Search ----------------------------------------------------------------------------------


@require_GET
def station_suggest(request):
    """Options for a station box's datalist, as the passenger types (htmx): the box's own
    value arrives under its name (`from` or `to`), or `q`."""
    query = next((request.GET[k] for k in ("q", "from", "to") if request.GET.get(k)), "")
    matches = station_lookup(query=query, limit=SUGGESTIONS) if len(query.strip()) >= 2 else []
    options = format_html_join(
        "", '<option value="{}"></option>', ((station_label(m.station),) for m in matches)
    )
    return HttpResponse(options)


@dataclass
class ClassOffer:
    """One class of a trip in the results: availability by quota and the fares."""

    code: str
    status: str
    status_kind: str  # available, rac, wl: the colour of the status
    quotas: list[tuple[str, int]]
    fare: int
    tatkal_fare: int
    seats_url: str


@dataclass
class TripRow:
    option: TripOption
    departure: dict
    arrival: dict
    duration: str
    classes: list[ClassOffer] = field(default_factory=list)
    refusal: str = ""  # why the trip cannot be booked now; then no classes are offered


def _quota_counts(item: selectors.ClassAvailability) -> list[tuple[str, int]]:
    """[("General", 45), ("Ladies", 6), ...]: the seats free for the journey by quota, in
    the order quotas are offered, those with none left out."""
    return [
        (Quota(q).label, n)
        for q, n in sorted(
            item.free.items(),
            key=lambda kv: BOOKABLE_QUOTAS.index(kv[0]) if kv[0] in BOOKABLE_QUOTAS else 99,
        )
        if n
    ]


def _offers(option: TripOption, classes, params: dict) -> list[ClassOffer]:
    offers = []
    for item in classes:
        status = item.status
        kind = (
            "available"
            if status.startswith("AVAILABLE")
            else "rac"
            if status.startswith("RAC")
            else "wl"
        )
        quotas = _quota_counts(item)
        url = (
            reverse("booking:trip", args=[option.trip.pk])
            + "?"
            + urlencode({**params, "class": item.class_code})
        )
        offers.append(
            ClassOffer(
                item.class_code,
                status,
                kind,
                quotas,
                item.fares.get(Quota.GENERAL, 0),
                item.fares.get(Quota.TATKAL, 0),
                url,
            )
        )
    return offers


@require_GET
def trip_search(request):
    """Trips between two stations on a date, each with its classes' availability by quota
    and fares; the times are local to each station. A fixed number of queries however
    many trips are found (`fleet.selectors.trip_search`, `selectors.trips_availability`)."""
    form = SearchForm(request.GET or None)
    if not request.GET or not form.is_valid():
        return render(
            request, "booking/search.html", {"form": form}, status=400 if form.errors else 200
        )
    origin, destination, day = (
        form.cleaned_data["from"],
        form.cleaned_data["to"],
        form.cleaned_data["date"],
    )
    options = trips_find(origin=origin, destination=destination, travel_date=day)
    refusals = selectors.trips_refusals(options, now=timezone.now())
    availability = selectors.trips_availability([o for o in options if o.trip.pk not in refusals])
    rows = []
    for option in options:
        params = {"from": option.origin.code, "to": option.destination.code}
        rows.append(
            TripRow(
                option,
                _clock(option.departure_at, option.origin),
                _clock(option.arrival_at, option.destination),
                _duration(option.duration),
                _offers(option, availability.get(option.trip.pk, []), params),
                refusals.get(option.trip.pk, ""),
            )
        )

    def day_url(delta: int) -> str:
        return (
            reverse("booking:search")
            + "?"
            + urlencode(
                {
                    "from": origin.code,
                    "to": destination.code,
                    "date": (day + timedelta(days=delta)).isoformat(),
                }
            )
        )

    return render(
        request,
        "booking/search.html",
        {
            "form": form,
            "origin": origin,
            "destination": destination,
            "day": day,
            "rows": rows,
            "previous_day": day_url(-1),
            "next_day": day_url(1),
        },
    )


# --- Trip and seat map ---------------------------------------------------------------------------

BERTHS = {
    BerthType.LOWER,
    BerthType.MIDDLE,
    BerthType.UPPER,
    BerthType.SIDE_LOWER,
    BerthType.SIDE_UPPER,
}
SIDE = {BerthType.SIDE_LOWER, BerthType.SIDE_UPPER}
BERTH_SHORT = {
    BerthType.LOWER: gettext_lazy("Lower"),
    BerthType.MIDDLE: gettext_lazy("Middle"),
    BerthType.UPPER: gettext_lazy("Upper"),
    BerthType.SIDE_LOWER: gettext_lazy("Side lower"),
    BerthType.SIDE_UPPER: gettext_lazy("Side upper"),
    BerthType.WINDOW: gettext_lazy("Window"),
    BerthType.MIDDLE_SEAT: gettext_lazy("Middle"),
    BerthType.AISLE: gettext_lazy("Aisle"),
}


@dataclass(frozen=True)
class SeatCell:
    """A seat as drawn: the checkbox's value ("S1-12"), whether the passenger may pick it,
    and why not."""

    number: str
    berth: str
    label: str
    value: str
    free: bool
    selectable: bool
    note: str
    checked: bool


@dataclass
class Bay:
    """A row of a coach: for berths, the two facing sides of a bay (three or two berths
    each, or a cabin's) and the side berths; for seats, the row with its aisle gaps."""

    number: int
    main: list[list[SeatCell]] = field(default_factory=list)
    side: list[SeatCell] = field(default_factory=list)
    seats: list[SeatCell | None] = field(default_factory=list)


@dataclass
class CoachMap:
    code: str
    berths: bool
    bays: list[Bay]
    free: int
    total: int


def _cell(seat: selectors.SeatView, quota: str, picked: set[str]) -> SeatCell:
    value = f"{seat.coach}-{seat.number}"
    if not seat.free:
        note = gettext("Taken")
    elif seat.is_rac:
        note = gettext("RAC berth: given to RAC passengers")
    elif seat.quota not in (Quota.GENERAL, quota):
        note = gettext("Kept for the {quota} quota").format(quota=Quota(seat.quota).label)
    else:
        note = ""
    label = str(BERTH_SHORT.get(seat.berth_type, seat.berth_type))
    return SeatCell(
        seat.number,
        seat.berth_type if seat.berth_type in BERTHS else label,
        label,
        value,
        seat.free,
        not note,
        note or gettext("Free"),
        value in picked,
    )


def coach_maps(seats: list[selectors.SeatView], *, quota: str, picked: set[str]) -> list[CoachMap]:
    """The seats of a class grouped as a passenger recognises them: sleeper coaches in bays
    (two facing sides and the side berths), chair cars and buses in rows with the aisle."""
    by_coach: dict[str, list[selectors.SeatView]] = {}
    for seat in seats:
        by_coach.setdefault(seat.coach, []).append(seat)
    maps = []
    for code, coach_seats in by_coach.items():
        berths = all(s.berth_type in BERTHS for s in coach_seats)
        rows: dict[int, list[selectors.SeatView]] = {}
        for seat in coach_seats:
            rows.setdefault(seat.row, []).append(seat)
        width = max(s.column for s in coach_seats) + 1
        bays = []
        for row, row_seats in sorted(rows.items()):
            row_seats.sort(key=lambda s: s.column)
            bay = Bay(row + 1)
            if berths:
                main = [_cell(s, quota, picked) for s in row_seats if s.berth_type not in SIDE]
                half = (len(main) + 1) // 2
                bay.main = [main[:half], main[half:]]
                bay.side = [_cell(s, quota, picked) for s in row_seats if s.berth_type in SIDE]
            else:
                at = {s.column: _cell(s, quota, picked) for s in row_seats}
                bay.seats = [at.get(column) for column in range(width)]
            bays.append(bay)
        maps.append(
            CoachMap(code, berths, bays, sum(s.free for s in coach_seats), len(coach_seats))
        )
    return maps


def _trip_or_404(pk: int) -> Trip:
    try:
        return selectors.trip_get_for_sale(pk)
    except Trip.DoesNotExist:
        raise Http404(gettext("No such trip.")) from None


def _journey_or_404(trip: Trip, params) -> selectors.Journey:
    try:
        return selectors.journey_get(
            trip=trip,
            origin_code=params.get("from", ""),
            destination_code=params.get("to", ""),
        )
    except InvalidBooking as exc:
        raise Http404(exc.message) from None


def _closed_page(request, journey: selectors.Journey):
    """Why the trip cannot be booked now from the passenger's stop (`selectors.
    trip_refusal`), with the way back to that day's search; None when it can be."""
    refusal = selectors.trip_refusal(
        trip=journey.trip,
        boarding=journey.origin.station,
        departure_at=journey.departure_at,
        now=timezone.now(),
    )
    if refusal is None:
        return None
    search_url = (
        reverse("booking:search")
        + "?"
        + urlencode(
            {
                "from": journey.origin.station.code,
                "to": journey.destination.station.code,
                "date": journey.travel_date.isoformat(),
            }
        )
    )
    return render(
        request,
        "booking/trip_closed.html",
        {
            **_journey_context(journey),
            "error": refusal,
            "search_url": search_url,
        },
        status=TripNotBookable.status_code,
    )


def _journey_context(journey: selectors.Journey) -> dict:
    trip = journey.trip
    return {
        "trip": trip,
        "route": trip.route,
        "journey": journey,
        "origin": journey.origin.station,
        "destination": journey.destination.station,
        "departure": _clock(journey.departure_at, journey.origin.station),
        "arrival": _clock(journey.arrival_at, journey.destination.station),
        "departure_text": local_time(journey.departure_at, journey.origin.station),
        "arrival_text": local_time(journey.arrival_at, journey.destination.station),
        "duration": _duration(journey.arrival_at - journey.departure_at),
    }


def _trip_classes(trip: Trip) -> list[str]:
    if not trip.vehicle_id:
        return []
    return classes_by_vehicle({trip.vehicle_id}).get(trip.vehicle_id, [])


@require_GET
def trip(request, pk: int):
    """One trip from the passenger's station to theirs: the classes, and the chosen class's
    seat map, each seat free or taken for exactly those legs. Picking seats (checkboxes)
    and pressing Book carries them to the booking form; no JavaScript needed."""
    trip = _trip_or_404(pk)
    journey = _journey_or_404(trip, request.GET)
    if closed := _closed_page(request, journey):
        return closed
    classes = _trip_classes(trip)
    if not classes:
        raise Http404(gettext("This trip has no vehicle yet."))
    class_code = (request.GET.get("class") or classes[0]).strip().upper()
    if class_code not in classes:
        raise Http404(
            gettext("Trip {number} has no {class_code} class.").format(
                number=trip.route.number, class_code=class_code
            )
        )
    quota = request.GET.get("quota", Quota.GENERAL)
    quota = quota if quota in BOOKABLE_QUOTAS else Quota.GENERAL
    seats = selectors.seat_map(trip=trip, class_code=class_code, mask=journey.mask)
    # Counted as the search results count them, not from the drawn seats.
    availability = selectors.journey_availability(journey, class_code=class_code, classes=classes)
    tariff = tariff_get(company_id=trip.route.company_id, class_code=class_code)
    base = {"from": journey.origin.station.code, "to": journey.destination.station.code}
    return render(
        request,
        "booking/trip.html",
        {
            **_journey_context(journey),
            "class_code": class_code,
            "quota": quota,
            "quota_label": Quota(quota).label,
            "class_links": [
                (
                    c,
                    reverse("booking:trip", args=[pk]) + "?" + urlencode({**base, "class": c}),
                    c == class_code,
                )
                for c in classes
            ],
            "coaches": coach_maps(seats, quota=quota, picked=set(request.GET.getlist("seat"))),
            "availability": availability,
            "quota_counts": _quota_counts(availability),
            "unit": "berth" if any(s.berth_type in BERTHS for s in seats) else "seat",
            "fare": tariff.fare(distance_km=journey.distance_km, quota=quota),
            "max_passengers": rules.max_passengers(quota),
            "hidden": {**base, "class": class_code, "quota": quota},
        },
    )


# --- Booking --------------------------------------------------------------------------------


def _book_url(pk: int, params: dict) -> str:
    return reverse("booking:book", args=[pk]) + "?" + urlencode(params, doseq=True)


def _posted_rows(data, total: int) -> list[dict]:
    """The passengers form's rows as sent, unchecked, to show them again."""
    return [
        {f: data.get(f"form-{i}-{f}", "") for f in PassengerForm.base_fields} for i in range(total)
    ]


def _form_page(request, journey, class_code, options, formset, *, status=200, error=""):
    tariff = tariff_get(company_id=journey.trip.route.company_id, class_code=class_code)
    texts = quota_rules(multipliers_bp=tariff.multipliers_bp)
    return render(
        request,
        "booking/book.html",
        {
            **_journey_context(journey),
            "options": options,
            "formset": formset,
            "class_code": class_code,
            "quota_rules": [(Quota(q).label, q, texts[q]) for q in BOOKABLE_QUOTAS],
            "passengers_limits": passengers_limits(),
            "max_passengers": rules.MAX_PASSENGERS,
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
            **_journey_context(journey),
            "draft": draft,
            "draft_key": key,
            "review": review,
            "passengers": shown.passengers,
            "quota_label": Quota(draft["quota"]).label,
            "booked_label": Quota(review.booked_quota).label if review else "",
            "topup_amount": (
                money.to_major_string(review.topup, money.default_currency()) if review else ""
            ),
            "back_url": _book_url(pk, {"draft": key}),
            "edit_url": _book_url(pk, {"draft": key, "edit": 1}),
            "error": error,
        },
        status=status,
    )


def _options_form(*, quota: str, only_if_all_confirmed: bool = False) -> BookingOptionsForm:
    quota = quota if quota in BOOKABLE_QUOTAS else Quota.GENERAL
    return BookingOptionsForm(
        initial={"quota": quota, "only_if_all_confirmed": only_if_all_confirmed}
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
    trip = _trip_or_404(pk)
    data = request.POST if request.method == "POST" else request.GET
    key = data.get("draft", "")
    draft = draft_get(session=request.session, key=key)
    if key and draft is None:
        messages.info(request, gettext("That booking form has expired; please fill it in again."))
        return redirect(reverse("booking:search"))
    if draft and draft.get("pnr"):
        return redirect("booking:pnr", pnr=draft["pnr"])
    journey = _journey_or_404(trip, draft or data)
    if closed := _closed_page(request, journey):
        return closed
    class_code = (draft["class"] if draft else data.get("class", "")).strip().upper()
    if class_code not in _trip_classes(trip):
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
            quota=draft["quota"], only_if_all_confirmed=draft["only_if_all_confirmed"]
        )
        formset = PassengerFormSet(initial=draft_rows(draft))
        return _form_page(request, journey, class_code, options, formset)
    if request.method == "GET":
        rows = [{"seat": seat} for seat in data.getlist("seat")[: rules.MAX_PASSENGERS]] or [{}]
        options = _options_form(quota=data.get("quota", ""))
        return _form_page(request, journey, class_code, options, PassengerFormSet(initial=rows))

    if action == "add" or action.startswith("remove-"):
        total = PassengerFormSet(request.POST).total_form_count()
        rows = passenger_rows_change(rows=_posted_rows(request.POST, total), action=action)
        options = _options_form(
            quota=request.POST.get("quota", ""),
            only_if_all_confirmed=bool(request.POST.get("only_if_all_confirmed")),
        )
        return _form_page(request, journey, class_code, options, PassengerFormSet(initial=rows))

    options, formset = BookingOptionsForm(request.POST), PassengerFormSet(request.POST)
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
