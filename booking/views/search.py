"""Trip search: station suggestions as one types, and the trips between two stations on a
date with their classes' availability and fares."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from fleet.selectors import TripOption, station_lookup
from fleet.selectors import trip_search as trips_find

from ..forms import (
    SearchForm,
    station_label,
)
from ..models import Quota
from ..sales.selectors.availability import trips_availability, trips_refusals
from ..sales.selectors.seat_maps import class_names
from .common import availability_text, class_label, operator_terms
from .journey import clock, duration_text, quota_counts


def bus_class_names(options, availability) -> dict[int, dict[str, str]]:
    """The class names of the bus operators among the results, by company (trains show
    class codes): one query per bus operator found, none for trains."""
    codes: dict[int, set[str]] = {}
    for option in options:
        company = option.trip.route.company
        if not operator_terms(company).coaches:
            codes.setdefault(company.pk, set()).update(
                item.class_code for item in availability.get(option.trip.pk, [])
            )
    return {pk: class_names(company_id=pk, codes=sorted(found)) for pk, found in codes.items()}


SUGGESTIONS = 8


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
    fare: int | None  # None: the operator has priced the class nowhere, so it is not on sale
    tatkal_fare: int  # 0 when the operator sells no Tatkal
    seats_url: str
    label: str = ""  # as the operator's passengers know it: "SL", or "Standard" on a bus
    currency: str = ""


@dataclass
class TripRow:
    option: TripOption
    departure: dict
    arrival: dict
    duration: str
    classes: list[ClassOffer] = field(default_factory=list)
    refusal: str = ""  # why the trip cannot be booked now; then no classes are offered


def _offers(option: TripOption, classes, params: dict, names: dict) -> list[ClassOffer]:
    terms = operator_terms(option.trip.route.company)
    offers = []
    for item in classes:
        status = availability_text(item.status, free=item.free_total, terms=terms)
        kind = (
            "available"
            if item.status.startswith("AVAILABLE")
            else "rac"
            if status.startswith("RAC")
            else "wl"
        )
        quotas = quota_counts(item, quotas=terms.quotas)
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
                item.fares.get(Quota.GENERAL),
                item.fares.get(Quota.TATKAL, 0) if terms.tatkal else 0,
                url,
                class_label(
                    item.class_code, names=names.get(option.trip.route.company_id, {}), terms=terms
                ),
                terms.currency,
            )
        )
    return offers


@require_GET
def trip_search(request):
    """Trips between two stations on a date, each with its classes' availability by quota
    and fares; the times are local to each station. A fixed number of queries however
    many trips are found (`fleet.selectors.trip_search`, `trips_availability`)."""
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
    refusals = trips_refusals(options, now=timezone.now())
    availability = trips_availability([o for o in options if o.trip.pk not in refusals])
    names = bus_class_names(options, availability)
    rows = []
    for option in options:
        params = {"from": option.origin.code, "to": option.destination.code}
        rows.append(
            TripRow(
                option,
                clock(option.departure_at, option.origin),
                clock(option.arrival_at, option.destination),
                duration_text(option.duration),
                _offers(option, availability.get(option.trip.pk, []), params, names),
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
