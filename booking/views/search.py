"""Search, a trip's seat map, and the booking form: what a passenger sees before paying."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from fleet.models import BerthType, Schedule
from fleet.selectors import TripOption, classes_by_vehicle, station_lookup
from fleet.selectors import trip_search as trips_find
from payments import money
from payments import selectors as wallet_selectors
from payments.exceptions import IdempotencyRequestInFlight
from payments.idempotency import submit_once
from ttms.exceptions import DomainError

from .. import rules, selectors, services
from ..exceptions import InvalidBooking, TripNotBookable
from ..fares import booking_fare, tariff_get
from ..forms import (
    QUOTA_RULES,
    BookingOptionsForm,
    PassengerForm,
    PassengerFormSet,
    SearchForm,
    seat_parse,
    station_label,
)
from ..models import BOOKABLE_QUOTAS, BerthPreference, Gender, Quota
from .common import local_time

SUGGESTIONS = 8
DRAFTS_KEPT = 5


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


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
            reverse("booking:trip", args=[option.schedule.pk])
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
    availability = selectors.trips_availability(
        [o for o in options if o.schedule.pk not in refusals]
    )
    rows = []
    for option in options:
        params = {"from": option.origin.code, "to": option.destination.code}
        rows.append(
            TripRow(
                option,
                _clock(option.departure_at, option.origin),
                _clock(option.arrival_at, option.destination),
                _duration(option.duration),
                _offers(option, availability.get(option.schedule.pk, []), params),
                refusals.get(option.schedule.pk, ""),
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
    BerthType.LOWER: "Lower",
    BerthType.MIDDLE: "Middle",
    BerthType.UPPER: "Upper",
    BerthType.SIDE_LOWER: "Side lower",
    BerthType.SIDE_UPPER: "Side upper",
    BerthType.WINDOW: "Window",
    BerthType.MIDDLE_SEAT: "Middle",
    BerthType.AISLE: "Aisle",
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
        note = "Taken"
    elif seat.is_rac:
        note = "RAC berth: given to RAC passengers"
    elif seat.quota not in (Quota.GENERAL, quota):
        note = f"Kept for the {Quota(seat.quota).label} quota"
    else:
        note = ""
    label = BERTH_SHORT.get(seat.berth_type, seat.berth_type)
    return SeatCell(
        seat.number,
        seat.berth_type if seat.berth_type in BERTHS else label,
        label,
        value,
        seat.free,
        not note,
        note or "Free",
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


def _trip_or_404(pk: int) -> Schedule:
    try:
        return selectors.trip_get_for_sale(pk)
    except Schedule.DoesNotExist:
        raise Http404("No such trip.") from None


def _journey_or_404(schedule: Schedule, params) -> selectors.Journey:
    try:
        return selectors.journey_get(
            schedule=schedule,
            origin_code=params.get("from", ""),
            destination_code=params.get("to", ""),
        )
    except InvalidBooking as exc:
        raise Http404(exc.message) from None


def _closed_page(request, journey: selectors.Journey):
    """Why the trip cannot be booked now from the passenger's stop (`selectors.
    trip_refusal`), with the way back to that day's search; None when it can be."""
    refusal = selectors.trip_refusal(
        schedule=journey.schedule,
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
    schedule = journey.schedule
    return {
        "trip": schedule,
        "route": schedule.route,
        "journey": journey,
        "origin": journey.origin.station,
        "destination": journey.destination.station,
        "departure": _clock(journey.departure_at, journey.origin.station),
        "arrival": _clock(journey.arrival_at, journey.destination.station),
        "departure_text": local_time(journey.departure_at, journey.origin.station),
        "arrival_text": local_time(journey.arrival_at, journey.destination.station),
        "duration": _duration(journey.arrival_at - journey.departure_at),
    }


def _trip_classes(schedule: Schedule) -> list[str]:
    if not schedule.vehicle_id:
        return []
    return classes_by_vehicle({schedule.vehicle_id}).get(schedule.vehicle_id, [])


@require_GET
def trip(request, pk: int):
    """One trip from the passenger's station to theirs: the classes, and the chosen class's
    seat map, each seat free or taken for exactly those legs. Picking seats (checkboxes)
    and pressing Book carries them to the booking form; no JavaScript needed."""
    schedule = _trip_or_404(pk)
    journey = _journey_or_404(schedule, request.GET)
    if closed := _closed_page(request, journey):
        return closed
    classes = _trip_classes(schedule)
    if not classes:
        raise Http404("This trip has no vehicle yet.")
    class_code = (request.GET.get("class") or classes[0]).strip().upper()
    if class_code not in classes:
        raise Http404(f"Trip {schedule.route.number} has no {class_code} class.")
    quota = request.GET.get("quota", Quota.GENERAL)
    quota = quota if quota in BOOKABLE_QUOTAS else Quota.GENERAL
    seats = selectors.seat_map(schedule=schedule, class_code=class_code, mask=journey.mask)
    # Counted as the search results count them, not from the drawn seats.
    availability = selectors.journey_availability(journey, class_code=class_code, classes=classes)
    tariff = tariff_get(company_id=schedule.route.company_id, class_code=class_code)
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
            "max_passengers": rules.MAX_TATKAL_PASSENGERS
            if quota == Quota.TATKAL
            else rules.MAX_PASSENGERS,
            "hidden": {**base, "class": class_code, "quota": quota},
        },
    )


# --- Booking --------------------------------------------------------------------------------


def _book_url(pk: int, params: dict) -> str:
    return reverse("booking:book", args=[pk]) + "?" + urlencode(params, doseq=True)


def _drafts(request) -> dict:
    return request.session.setdefault("booking_drafts", {})


def _draft_save(request, draft: dict) -> str:
    drafts = _drafts(request)
    key = uuid.uuid4().hex
    drafts[key] = draft
    for old in list(drafts)[:-DRAFTS_KEPT]:
        del drafts[old]
    request.session.modified = True
    return key


def _initial_rows(data, total: int) -> list[dict]:
    return [
        {f: data.get(f"form-{i}-{f}", "") for f in PassengerForm.base_fields} for i in range(total)
    ]


@dataclass
class Review:
    """The fare breakdown of a draft booking, and the wallet against it."""

    quota: str
    booked_quota: str
    eligible: bool
    fare: int
    base_fare: int
    count: int
    total: int
    balance: int
    short: int
    topup: int


def _passengers(draft: dict) -> list[services.PassengerIn]:
    return [services.PassengerIn(**p) for p in draft["passengers"]]


def _plan(pk: int, draft: dict) -> services.BookingPlan:
    """The draft as `booking_create` would take it now: the same checks, before its lock
    (`services.booking_precheck`). Raises what it raises."""
    return services.booking_precheck(
        schedule_id=pk,
        origin_code=draft["from"],
        destination_code=draft["to"],
        class_code=draft["class"],
        quota=draft["quota"],
        passengers=_passengers(draft),
        now=timezone.now(),
    )


def _review(plan: services.BookingPlan, draft: dict, user) -> Review:
    journey = plan.journey
    base = (
        plan.fare
        if plan.quota == Quota.GENERAL
        else booking_fare(
            company_id=journey.schedule.route.company_id,
            class_code=plan.class_code,
            distance_km=journey.distance_km,
            quota=Quota.GENERAL,
            travellers=plan.travellers,
        )[1]
    )
    count = len(plan.travellers)
    total = plan.fare * count
    wallet = wallet_selectors.wallet_for_user(user=user)
    balance = wallet.balance if wallet else 0
    short = max(0, total - balance)
    return Review(
        draft["quota"],
        plan.quota,
        plan.quota == draft["quota"],
        plan.fare,
        base,
        count,
        total,
        balance,
        short,
        max(short, settings.TTMS_TOPUP_MIN_AMOUNT) if short else 0,
    )


def _form_page(request, journey, class_code, options, formset, *, status=200, error=""):
    return render(
        request,
        "booking/book.html",
        {
            **_journey_context(journey),
            "options": options,
            "formset": formset,
            "class_code": class_code,
            "quota_rules": [(Quota(q).label, q, QUOTA_RULES[q]) for q in BOOKABLE_QUOTAS],
            "max_passengers": rules.MAX_PASSENGERS,
            "error": error,
        },
        status=status,
    )


def _berth_label(preference: str, seat_berth: str) -> str:
    """What the review says of a passenger's berth: that of the seat picked ("Middle
    berth"), else the preference ("Upper (preferred)"), else "No preference"."""
    if seat_berth:
        return BerthType(seat_berth).label
    if preference:
        return gettext("{berth} (preferred)").format(
            berth=dict(BerthPreference.choices).get(preference, preference)
        )
    return gettext("No preference")


def _review_page(request, pk, journey, key, draft, *, status=200, error=""):
    """The review of a draft: its passengers, and the fare against the wallet with Pay or
    a top-up, when `booking_create` would take the draft now; else why not, and neither."""
    try:
        plan = _plan(pk, draft)
        review, seat_berths = _review(plan, draft, request.user), plan.berths
    except DomainError as exc:
        review, error = None, error or exc.message
        status = status if status != 200 else exc.status_code
        seat_berths = [""] * len(draft["passengers"])
    genders = dict(Gender.choices)
    passengers = [
        {
            **p,
            "gender_label": genders.get(p["gender"], p["gender"]),
            "berth_label": _berth_label(p["berth_preference"], berth),
        }
        for p, berth in zip(draft["passengers"], seat_berths, strict=True)
    ]
    return render(
        request,
        "booking/review.html",
        {
            **_journey_context(journey),
            "draft": draft,
            "draft_key": key,
            "review": review,
            "passengers": passengers,
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


def _book_draft(request, pk: int, key: str, draft: dict):
    """Pay for a reviewed draft, once: the draft's key is the booking's idempotency key, so
    a second press of Pay shows the PNR the first one made."""

    def run(record) -> dict:
        pnr = services.booking_create(
            user=request.user,
            schedule_id=pk,
            origin_code=draft["from"],
            destination_code=draft["to"],
            class_code=draft["class"],
            quota=draft["quota"],
            passengers=_passengers(draft),
            only_if_all_confirmed=draft["only_if_all_confirmed"],
            idempotency_record=record,
        )
        return {"pnr": pnr.number}

    answer, _replayed = submit_once(user_id=request.user.pk, scope="booking.page", key=key, run=run)
    draft["pnr"] = answer["pnr"]  # the form is spent: sending it again shows this PNR
    request.session.modified = True
    return answer["pnr"]


@login_required
@require_http_methods(["GET", "POST"])
def book(request, pk: int):
    """The booking form, in three steps that work without JavaScript: passengers and quota
    (rows added by a button), then the fare breakdown against the wallet (with a sandbox
    top-up when it is short, which comes back here), then Pay. The reviewed booking is kept
    in the session under a one-time key."""
    schedule = _trip_or_404(pk)
    data = request.POST if request.method == "POST" else request.GET
    key = data.get("draft", "")
    draft = _drafts(request).get(key) if key else None
    if key and draft is None:
        messages.info(request, "That booking form has expired; please fill it in again.")
        return redirect(reverse("booking:search"))
    if draft and draft.get("pnr"):
        return redirect("booking:pnr", pnr=draft["pnr"])
    journey = _journey_or_404(schedule, draft or data)
    if closed := _closed_page(request, journey):
        return closed
    class_code = (draft["class"] if draft else data.get("class", "")).strip().upper()
    if class_code not in _trip_classes(schedule):
        raise Http404(f"Trip {schedule.route.number} has no {class_code or 'such'} class.")
    action = request.POST.get("action", "")

    if draft and request.method == "POST" and action == "pay":
        try:
            number = _book_draft(request, pk, key, draft)
        except IdempotencyRequestInFlight:
            return _review_page(
                request,
                pk,
                journey,
                key,
                draft,
                status=409,
                error=(
                    "This booking is already being paid for in another window. Reload this "
                    "page in a moment to see its PNR."
                ),
            )
        except DomainError as exc:
            return _review_page(
                request, pk, journey, key, draft, status=exc.status_code, error=exc.message
            )
        messages.success(request, f"Booked: PNR {number}.")
        return redirect("booking:pnr", pnr=number)
    if draft and request.method == "GET" and not request.GET.get("edit"):
        return _review_page(request, pk, journey, key, draft)

    if draft:  # back from the review to change something
        rows = [
            {
                **p,
                "passport": p["passport_number"],
                "seat": f"{p['coach']}-{p['seat']}" if p["coach"] else "",
            }
            for p in draft["passengers"]
        ]
        options = BookingOptionsForm(
            initial={
                "quota": draft["quota"],
                "only_if_all_confirmed": draft["only_if_all_confirmed"],
            }
        )
        return _form_page(request, journey, class_code, options, PassengerFormSet(initial=rows))
    if request.method == "GET":
        seats = data.getlist("seat")[: rules.MAX_PASSENGERS]
        rows = [{"seat": seat} for seat in seats] or [{}]
        quota = data.get("quota") if data.get("quota") in BOOKABLE_QUOTAS else Quota.GENERAL
        options = BookingOptionsForm(initial={"quota": quota})
        return _form_page(request, journey, class_code, options, PassengerFormSet(initial=rows))

    options = BookingOptionsForm(request.POST)
    total = PassengerFormSet(request.POST).total_form_count()
    if action == "add" or action.startswith("remove-"):
        rows = _initial_rows(request.POST, total)
        if action == "add" and total < rules.MAX_PASSENGERS:
            rows.append({})
        elif action.startswith("remove-") and total > 1:
            index = action.removeprefix("remove-")
            if index.isdigit() and int(index) < total:
                del rows[int(index)]
        options = BookingOptionsForm(
            initial={
                "quota": request.POST.get("quota", Quota.GENERAL),
                "only_if_all_confirmed": bool(request.POST.get("only_if_all_confirmed")),
            }
        )
        return _form_page(request, journey, class_code, options, PassengerFormSet(initial=rows))

    formset = PassengerFormSet(request.POST)
    if not (options.is_valid() and formset.is_valid()):
        return _form_page(request, journey, class_code, options, formset, status=400)
    quota = options.cleaned_data["quota"]
    passengers = []
    for form in formset.forms:
        row = form.cleaned_data
        coach, seat = seat_parse(row["seat"]) or ("", "")
        passengers.append(
            {
                "name": row["name"],
                "age": row["age"],
                "gender": row["gender"],
                "berth_preference": row["berth_preference"],
                "passport_number": row["passport"],
                "nationality": row["nationality"],
                "coach": coach,
                "seat": seat,
            }
        )
    draft = {
        "from": journey.origin.station.code,
        "to": journey.destination.station.code,
        "class": class_code,
        "quota": quota,
        "only_if_all_confirmed": options.cleaned_data["only_if_all_confirmed"],
        "passengers": passengers,
    }
    try:
        _plan(pk, draft)
    except InvalidBooking as exc:
        by_passenger = exc.fields.get("passengers")
        if not isinstance(by_passenger, dict):
            return _form_page(
                request, journey, class_code, options, formset, status=400, error=exc.message
            )
        field = "passport" if quota == Quota.FOREIGN_TOURIST else None
        for index, problems in by_passenger.items():
            for problem in problems:
                formset.forms[int(index)].add_error(field, problem)
        return _form_page(request, journey, class_code, options, formset, status=400)
    except DomainError as exc:  # the trip or the quota's window: as Pay would refuse
        return _form_page(
            request,
            journey,
            class_code,
            options,
            formset,
            status=exc.status_code,
            error=exc.message,
        )
    key = _draft_save(request, draft)
    return redirect(_book_url(pk, {"draft": key}))
