"""What the trip and booking pages share: the trip and journey the address names (404
otherwise), the page saying why it cannot be booked now, times in each station's zone, and
the seats free by quota as the search results count them."""

from datetime import timedelta

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext

from fleet.models import Trip
from fleet.selectors import classes_by_vehicle

from ..exceptions import InvalidBooking, TripNotBookable
from ..models import BOOKABLE_QUOTAS, Quota
from ..sales.selectors.availability import ClassAvailability
from ..sales.selectors.journeys import Journey, journey_get, trip_get_for_sale, trip_refusal
from ..sales.selectors.seat_maps import class_names
from .common import class_label, local_time, operator_terms


def duration_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return gettext("{hours} h {minutes:02d} min").format(hours=minutes // 60, minutes=minutes % 60)


def clock(moment, station) -> dict:
    local = moment.astimezone(station.tzinfo)
    return {
        "time": f"{local:%H:%M}",
        "day": f"{local:%a %d %b}",
        "zone": local.tzname(),
        "iso": local.isoformat(),
    }


def quota_counts(item: ClassAvailability, *, quotas=None) -> list[tuple[str, int]]:
    """[("General", 45), ("Ladies", 6), ...]: the seats free for the journey by quota, in
    the order quotas are offered, those with none left out; none at all for an operator
    that sells only General (`quotas`: those it sells)."""
    if quotas is not None and len(quotas) <= 1:
        return []
    return [
        (Quota(q).label, n)
        for q, n in sorted(
            item.free.items(),
            key=lambda kv: BOOKABLE_QUOTAS.index(kv[0]) if kv[0] in BOOKABLE_QUOTAS else 99,
        )
        if n
    ]


def trip_or_404(pk: int) -> Trip:
    try:
        return trip_get_for_sale(pk)
    except Trip.DoesNotExist:
        raise Http404(gettext("No such trip.")) from None


def journey_or_404(trip: Trip, params) -> Journey:
    try:
        return journey_get(
            trip=trip,
            origin_code=params.get("from", ""),
            destination_code=params.get("to", ""),
        )
    except InvalidBooking as exc:
        raise Http404(exc.message) from None


def closed_page(request, journey: Journey):
    """Why the trip cannot be booked now from the passenger's stop (`selectors.
    trip_refusal`), with the way back to that day's search; None when it can be."""
    refusal = trip_refusal(
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
            **journey_context(journey),
            "error": refusal,
            "search_url": search_url,
        },
        status=TripNotBookable.status_code,
    )


def journey_context(journey: Journey, *, class_code: str = "") -> dict:
    """What every page of a journey shows: the trip, its stations and times, and the
    operator's terms (`common.operator_terms`); with `class_code`, the class as shown."""
    trip = journey.trip
    terms = operator_terms(
        trip.route.company, vehicle_kind=trip.vehicle.kind if trip.vehicle_id else ""
    )
    context = {}
    if class_code:
        names = (
            {}
            if terms.coaches
            else class_names(company_id=trip.route.company_id, codes=[class_code])
        )
        context["class_label"] = class_label(class_code, names=names, terms=terms)
    return {
        **context,
        "terms": terms,
        "currency": terms.currency,
        "trip": trip,
        "route": trip.route,
        "journey": journey,
        "origin": journey.origin.station,
        "destination": journey.destination.station,
        "departure": clock(journey.departure_at, journey.origin.station),
        "arrival": clock(journey.arrival_at, journey.destination.station),
        "departure_text": local_time(journey.departure_at, journey.origin.station),
        "arrival_text": local_time(journey.arrival_at, journey.destination.station),
        "duration": duration_text(journey.arrival_at - journey.departure_at),
    }


def trip_classes(trip: Trip) -> list[str]:
    if not trip.vehicle_id:
        return []
    return classes_by_vehicle({trip.vehicle_id}).get(trip.vehicle_id, [])
