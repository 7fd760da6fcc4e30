"""The point-of-sale page of station agents (a tablet at the counter): the next departures
from the agent's station, a trip's seat map, the passengers and the buyer, the cash taken
and the change due, and the receipt with the tickets. Without JavaScript every step is a
plain form; htmx only updates the change due as the cash given is typed."""

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from fleet.models import CompanyMembership, RouteStop, Station, Trip, TripStatus
from fleet.selectors import classes_by_vehicle
from payments.exceptions import IdempotencyRequestInFlight
from payments.idempotency import submit_once
from ttms import money
from ttms.accounts.models import Role
from ttms.accounts.phones import phone_normalize
from ttms.exceptions import DomainError

from ..boarding.selectors import pnr_get_for_ticket
from ..exceptions import InvalidBooking
from ..lifecycle.selectors import refund_quote
from ..lifecycle.services.cancellation import booking_cancel
from ..models import Gender, Pnr, Quota
from ..pos.services import sales
from ..sales.fares import tariff_get
from ..sales.selectors.pnrs import passengers_with_positions, pnr_status
from ..sales.selectors.seat_maps import coach_plans, seat_map
from ..sales.services.precheck import PassengerIn
from .common import PNR_STATUS_LABELS, local_time, pnr_terms
from .journey import journey_context, journey_or_404, trip_classes, trip_or_404
from .ticket_print import ticket_blocks
from .trip import coach_maps

SALE_SCOPE = "pos.sale.page"
DEFAULT_HOURS = 6
MAX_HOURS = 24
MAX_SEATS = 6


def agent_required(view):
    """Station agents only: the signed-out go to sign in, anyone else gets 403. The view
    receives the agent's memberships (company and home station), first by company."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        memberships = []
        if request.user.role == Role.AGENT:
            memberships = list(
                CompanyMembership.objects.filter(user=request.user, role=Role.AGENT)
                .select_related("company", "home_station")
                .order_by("company_id")
            )
        if not memberships:
            raise PermissionDenied(gettext("The counter page is for station agents."))
        return view(request, memberships, *args, **kwargs)

    return wrapper


def _bad_request(request, message: str):
    return render(request, "pos/error.html", {"message": message}, status=400)


@dataclass(frozen=True)
class Departure:
    trip: Trip
    departs: str
    stops: list[Station]
    classes: list[str]


def _departures(
    *, station: Station, company_ids: list[int], now: datetime, hours: int
) -> list[Departure]:
    """Trips of the agent's companies leaving `station` between `now` and `hours` later,
    earliest first, with the later stops one can buy a ticket to. Four queries."""
    calls = list(
        RouteStop.objects.filter(
            station=station,
            departure_offset__isnull=False,
            route__company_id__in=company_ids,
            route__is_active=True,
        )
        .order_by()
        .values_list("route_id", "sequence", "departure_offset")
    )
    if not calls:
        return []
    offsets = [offset for _r, _s, offset in calls]
    until = now + timedelta(hours=hours)
    trips = list(
        Trip.objects.filter(
            route_id__in={route_id for route_id, _s, _o in calls},
            departure_at__gte=now - timedelta(minutes=max(offsets)),
            departure_at__lte=until - timedelta(minutes=min(offsets)),
        )
        .exclude(status=TripStatus.CANCELLED)
        .select_related("route", "route__company")
    )
    later: dict[int, list[tuple[int, Station]]] = {}
    for stop in RouteStop.objects.filter(
        route_id__in={t.route_id for t in trips}, arrival_offset__isnull=False
    ).select_related("station"):
        later.setdefault(stop.route_id, []).append((stop.sequence, stop.station))
    classes = classes_by_vehicle({t.vehicle_id for t in trips if t.vehicle_id})
    found = []
    for trip in trips:
        for route_id, sequence, offset in calls:
            if route_id != trip.route_id:
                continue
            leaves = trip.departure_at + timedelta(minutes=offset)
            stops = [
                s
                for seq, s in sorted(later.get(route_id, []), key=lambda x: x[0])
                if seq > sequence
            ]
            if now <= leaves <= until and stops:
                found.append((leaves, trip, stops))
    found.sort(key=lambda row: (row[0], row[1].route.number))
    return [
        Departure(trip, local_time(leaves, station), stops, classes.get(trip.vehicle_id, []))
        for leaves, trip, stops in found
    ]


@never_cache
@require_GET
@agent_required
def pos_home(request, memberships):
    """The counter: the next departures from the agent's home station (or the station
    asked for), within the next hours, of the agent's companies."""
    home = next((m.home_station for m in memberships if m.home_station_id), None)
    code = request.GET.get("station", "").strip().upper()
    station = home
    error = ""
    if code:
        station = Station.objects.filter(code=code).first()
        if station is None:
            error = gettext("No station has the code {code}.").format(code=code)
            station = home
    try:
        hours = min(max(int(request.GET.get("hours", DEFAULT_HOURS)), 1), MAX_HOURS)
    except ValueError:
        hours = DEFAULT_HOURS
    departures = (
        _departures(
            station=station,
            company_ids=[m.company_id for m in memberships],
            now=timezone.now(),
            hours=hours,
        )
        if station
        else []
    )
    return render(
        request,
        "pos/home.html",
        {
            "station": station,
            "home": home,
            "hours": hours,
            "hour_choices": [2, 4, 6, 12, 24],
            "departures": departures,
            "error": error,
        },
        status=400 if error else 200,
    )


class BuyerForm(forms.Form):
    buyer_name = forms.CharField(label=gettext_lazy("Buyer's name"), max_length=120)
    buyer_phone = forms.CharField(
        label=gettext_lazy("Buyer's phone (for the SMS ticket)"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    given = forms.CharField(
        label=gettext_lazy("Cash given"),
        max_length=16,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_buyer_phone(self) -> str:
        # A ValidationError with the phone rules' message for the agent.
        return phone_normalize(self.cleaned_data["buyer_phone"], required=True)

    def clean_given(self) -> int:
        try:
            return money.from_major_string(self.cleaned_data["given"], self.currency)
        except ValueError:
            raise forms.ValidationError(gettext("Enter the cash given as an amount.")) from None


class PassengerRow(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    age = forms.IntegerField(label=gettext_lazy("Age"), min_value=0, max_value=125)
    gender = forms.ChoiceField(label=gettext_lazy("Gender"))
    seat = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gender"].choices = [("", gettext("Choose…")), *Gender.choices]


def _seats(data) -> list[str]:
    return [s for s in data.getlist("seat") if s][:MAX_SEATS]


def _change_text(*, given: int | None, total: int, currency: str) -> tuple[str, bool]:
    """The change due as shown, and whether the cash covers the total."""
    if given is None:
        return "", False
    if given < total:
        return (
            gettext("{short} short").format(short=money.format_money(total - given, currency)),
            False,
        )
    return money.format_money(given - total, currency), True


@never_cache
@require_http_methods(["GET", "POST"])
@agent_required
def pos_trip(request, memberships, pk: int):
    """One departure: the class's seat map (pick seats, then Use these seats), one row per
    seat for the passengers, the buyer, the cash given with the change due, and Sell. The
    form carries a one-time token: a second press of Sell shows the first sale's receipt."""
    trip = trip_or_404(pk)
    if trip.route.company_id not in {m.company_id for m in memberships}:
        raise PermissionDenied(
            gettext("Only the operator's station agents sell its trips for cash.")
        )
    data = request.POST if request.method == "POST" else request.GET
    journey = journey_or_404(trip, data)
    classes = trip_classes(trip)
    if not classes:
        raise Http404(gettext("This trip has no vehicle yet."))
    class_code = (data.get("class") or classes[0]).strip().upper()
    if class_code not in classes:
        raise Http404(gettext("No such class on this trip."))
    context = journey_context(journey, class_code=class_code)
    currency = context["currency"]
    seats = _seats(data)
    base = {"from": journey.origin.station.code, "to": journey.destination.station.code}
    tariff = tariff_get(
        company_id=trip.route.company_id,
        class_code=class_code,
        route_id=trip.route_id,
        origin_id=journey.origin.station_id,
        destination_id=journey.destination.station_id,
    )
    fare = tariff.fare(distance_km=journey.distance_km, quota=Quota.GENERAL)
    error = ""
    status = 200
    if request.method == "POST":
        rows = [
            PassengerRow(data, prefix=f"p{i}")
            for i in range(min(_int(data.get("rows"), 1), MAX_SEATS))
        ]
        buyer = BuyerForm(data, currency=currency)
        token = data.get("token", "")
        if not _is_token(token):
            return _bad_request(request, gettext("This sale form is not valid; open it again."))
        if buyer.is_valid() and all(row.is_valid() for row in rows):
            try:
                pnr_number, given = _sell(
                    agent=request.user,
                    token=token,
                    trip=trip,
                    base=base,
                    class_code=class_code,
                    rows=rows,
                    buyer=buyer.cleaned_data,
                )
            except IdempotencyRequestInFlight as exc:
                error, status = exc.message, exc.status_code
            except DomainError as exc:
                error, status = exc.message, exc.status_code
            else:
                url = reverse("booking:pos-sale", args=[pnr_number])
                return redirect(url + "?" + urlencode({"given": given}))
        else:
            status = 400
    else:
        rows = [
            PassengerRow(prefix=f"p{i}", initial={"seat": seat})
            for i, seat in enumerate(seats or [""])
        ]
        buyer = BuyerForm(currency=currency)
        token = uuid.uuid4().hex
    for row in rows:
        row.seat_number = str(row["seat"].value() or "").rpartition("-")[2]
    total = fare * len(rows)
    seats_view = seat_map(trip=trip, class_code=class_code, mask=journey.mask)
    return render(
        request,
        "pos/trip.html",
        {
            **context,
            "class_code": class_code,
            "class_links": [
                (
                    c,
                    reverse("booking:pos-trip", args=[pk]) + "?" + urlencode({**base, "class": c}),
                    c == class_code,
                )
                for c in classes
            ],
            "coaches": coach_maps(
                seats_view,
                quota=Quota.GENERAL,
                picked=set(seats),
                plans=coach_plans(trip=trip, class_code=class_code),
            ),
            "hidden": {**base, "class": class_code},
            "rows": rows,
            "buyer": buyer,
            "token": token,
            "fare": money.format_money(fare, currency),
            "total": total,
            "total_text": money.format_money(total, currency),
            "error": error,
            "max_seats": MAX_SEATS,
        },
        status=status,
    )


def _int(value, default: int) -> int:
    try:
        return max(int(value), 1)
    except (TypeError, ValueError):
        return default


def _is_token(token: str) -> bool:
    try:
        uuid.UUID(hex=token)
    except (TypeError, ValueError):
        return False
    return True


def _sell(*, agent, token, trip, base, class_code, rows, buyer) -> tuple[str, int]:
    """Sell once per form token: `pos_sale_create`, refused whole (nothing written) when
    the cash given does not cover the fare. Returns the PNR and the cash given."""
    passengers = []
    for row in rows:
        coach, _sep, number = row.cleaned_data["seat"].rpartition("-")
        passengers.append(
            PassengerIn(
                name=row.cleaned_data["name"],
                age=row.cleaned_data["age"],
                gender=row.cleaned_data["gender"],
                coach=coach,
                seat=number,
            )
        )

    def run(record) -> dict:
        pnr = sales.pos_sale_create(
            agent=agent,
            trip_id=trip.pk,
            origin_code=base["from"],
            destination_code=base["to"],
            class_code=class_code,
            quota=Quota.GENERAL,
            passengers=passengers,
            buyer_name=buyer["buyer_name"],
            buyer_phone=buyer["buyer_phone"],
            idempotency_record=record,
        )
        if buyer["given"] < pnr.total_fare:
            raise InvalidBooking(
                gettext("The cash given ({given}) does not cover the fare ({total}).").format(
                    given=money.format_money(buyer["given"], pnr.currency),
                    total=money.format_money(pnr.total_fare, pnr.currency),
                )
            )
        return {"pnr": pnr.number, "given": buyer["given"]}

    answer, _replayed = submit_once(user_id=agent.pk, scope=SALE_SCOPE, key=token, run=run)
    return answer["pnr"], answer["given"]


@require_GET
@agent_required
def pos_change(request, memberships):
    """The change due for the cash given (htmx, as it is typed)."""
    currency = request.GET.get("currency", "")
    if not money.is_known_currency(currency):
        return _bad_request(request, gettext("Unknown currency."))
    try:
        total = max(int(request.GET.get("total", "")), 0)
    except ValueError:
        total = 0
    try:
        given = money.from_major_string(request.GET.get("given", ""), currency)
    except ValueError:
        given = None
    text, enough = _change_text(given=given, total=total, currency=currency)
    return render(request, "pos/_change.html", {"change": text, "enough": enough})


def _pnr_for_agent(user, memberships, number: str) -> Pnr:
    try:
        pnr = pnr_get_for_ticket(user, number)
    except Pnr.DoesNotExist:
        raise Http404(gettext("You have no PNR with this number.")) from None
    if pnr.trip.route.company_id not in {m.company_id for m in memberships}:
        raise Http404(gettext("You have no PNR with this number."))
    return pnr


def _refunds(pnr: Pnr, passengers) -> dict[int, str]:
    """What cancelling each active passenger of a cash sale now hands back, formatted, by
    passenger id; none for a PNR paid from a wallet or a passenger that cannot be
    cancelled now (departed, charted, already cancelled)."""
    if not sales.pnr_sold_in_cash(pnr):
        return {}
    refunds = {}
    for passenger in passengers:
        try:
            quote = refund_quote(pnr=pnr, passenger_ids=[passenger.pk])
        except DomainError:
            continue
        refunds[passenger.pk] = money.format_money(quote.refund, pnr.currency)
    return refunds


@never_cache  # the QRs are bearer credentials
@require_GET
@agent_required
def pos_sale(request, memberships, pnr: str):
    """The receipt: the PNR, the fare, the cash given and the change, each passenger's
    seat and QR ticket, Print, the SMS sent to the buyer, and Cancel per passenger."""
    found = _pnr_for_agent(request.user, memberships, pnr)
    passengers = list(passengers_with_positions().filter(pnr=found).select_related("cancellation"))
    try:
        given = int(request.GET.get("given", ""))
    except ValueError:
        given = None
    change, _enough = _change_text(given=given, total=found.total_fare, currency=found.currency)
    return render(
        request,
        "pos/receipt.html",
        {
            **pnr_terms(found),
            "pnr": found,
            "route": found.trip.route,
            "departure": local_time(found.departure_at, found.origin),
            "arrival": local_time(found.arrival_at, found.destination),
            "total_fare": money.format_money(found.total_fare, found.currency),
            "given": money.format_money(given, found.currency) if given is not None else "",
            "change": change,
            "blocks": ticket_blocks(found, passengers),
            "pnr_status": PNR_STATUS_LABELS[pnr_status(passengers)],
            "refunds": _refunds(found, passengers),
        },
    )


@require_http_methods(["POST"])
@agent_required
def pos_sale_cancel(request, memberships, pnr: str):
    """Cancel one passenger of a cash sale (`sales.pos_cancel_check`, then `booking_cancel`
    with the refund paid in cash from this agent's drawer); back to the receipt with the
    cash to hand back. A form sent twice finds the passenger cancelled and pays nothing
    more."""
    found = _pnr_for_agent(request.user, memberships, pnr)
    try:
        passenger_id = int(request.POST.get("passenger", ""))
    except ValueError:
        return _bad_request(request, gettext("Choose a passenger to cancel."))
    try:
        sales.pos_cancel_check(agent=request.user, pnr=found)
        cancellation = booking_cancel(
            pnr=found, by=request.user, passenger_ids=[passenger_id], cash_agent=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            gettext("Cancelled. Give back {refund} in cash.").format(
                refund=money.format_money(cancellation.refund, found.currency)
            ),
        )
    return redirect("booking:pos-sale", pnr=found.number)
