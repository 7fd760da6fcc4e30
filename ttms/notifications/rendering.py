"""A message as each channel sends it, in the recipient's language.

Templates, per topic (the topic's dots as slashes: `passenger.promoted` is
`notifications/passenger/promoted/`): `subject.txt`, `body.txt`, `body.html` for email,
`sms.txt` for SMS, `inapp.txt` for the app's list; a topic without its own uses
`notifications/default/`. The emails extend `notifications/email.html` and
`notifications/email.txt`, which lay out the operator's name, the journey's facts, the
passengers and a button to the PNR.

The context (`context_for`) is the payload and what it names, looked up now: the PNR, its
trip, stations and passengers, times in the station's zone with the zone named, amounts in
the operator's currency, absolute links (TTMS_SITE_URL). The notifications sit below the
apps that write their messages (the dependency contract), so those apps' models are
reached through the app registry, read only. Whatever is missing or gone (an old payload,
a deleted PNR) is left out: a message always renders.
"""

import logging
import re
from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.template import Context, TemplateDoesNotExist
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from ttms.localtime import local_time
from ttms.money import format_money, is_known_currency

from .channels import Rendered
from .events import EMAIL, OPERATOR, SMS, event_get
from .models import OutboxMessage

logger = logging.getLogger(__name__)


# What each topic's own wording needs; a message lacking any of it (an old payload, a PNR
# gone) says what it can through the default templates: the event's name, and the PNR.
NEEDS = {
    "booking.confirmed": ("pnr_number",),
    "passenger.promoted": ("pnr_number", "name", "status"),
    "chart.prepared": ("pnr_number",),
    "pnr.cancelled": ("pnr_number",),
    "trip.cancelled": ("pnr_number",),
    "passenger.reseated": ("pnr_number", "name", "plate"),
    "passenger.upgraded": ("pnr_number", "name", "plate", "from_class", "to_class"),
    "vehicle.swapped": ("pnr_number", "plate"),
    "trip.reminder": ("pnr_number", "origin", "destination", "departure"),
    "vehicle.approaching": ("pnr_number", "plate", "station"),
    "trip.delayed": ("pnr_number", "origin", "destination", "delay_minutes"),
    "topup.credited": ("amount_text",),
    "topup.failed": ("amount_text",),
    "passenger.boarded": ("pnr_number", "name"),
    "operator.trip_unassigned": ("number", "missing", "departure"),
    "operator.charting_failed": ("number",),
    "operator.webhook_failing": ("url", "failures"),
    "boarding.conflict": ("pnr_number", "name", "route"),
}


def _wording(topic: str, context: dict) -> str:
    """The topic whose templates say it: its own, or "default" when something is missing."""
    if all(context.get(key) for key in NEEDS.get(topic, ())):
        return topic
    return "default"


def _templates(topic: str, name: str) -> list[str]:
    return [f"notifications/{topic.replace('.', '/')}/{name}", f"notifications/default/{name}"]


def _render(topic: str, name: str, context: dict) -> str:
    try:
        template = select_template(_templates(topic, name))
    except TemplateDoesNotExist:
        return ""
    if name.endswith(".txt"):
        # Plain text: a name with an apostrophe stays one, not &#x27;.
        return template.template.render(Context(context, autoescape=False)).strip()
    return template.render(context).strip()


def _money(amount, currency: str) -> str:
    if isinstance(amount, bool) or not isinstance(amount, int) or not is_known_currency(currency):
        return ""
    return format_money(amount, currency)


def _url(name: str, *args) -> str:
    try:
        return settings.TTMS_SITE_URL + reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _unsubscribe_url(message: OutboxMessage, event) -> str:
    if not event.optional or message.user_id is None:
        return ""
    try:
        from .tokens import unsubscribe_token
    except ImportError:
        return ""
    try:
        token = unsubscribe_token(message.user_id, message.topic)
    except Exception:
        logger.exception("notifications: no unsubscribe token for message %s", message.pk)
        return ""
    return _url("notifications:unsubscribe", token)


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _get(label: str, *related: str, **lookup):
    """The first `label` model row matching `lookup`, with `related` joined; None if none."""
    model = _model(label)
    if model is None:
        return None
    rows = model._default_manager.filter(**lookup)
    if related:
        rows = rows.select_related(*related)
    return rows.first()


def _choice_labels(model, field: str) -> dict:
    if model is None:
        return {}
    return {str(k): v for k, v in model._meta.get_field(field).choices or ()}


class _Places:
    """How a passenger's place reads: "Coach S1, Lower berth 23" on a train, "Seat 14" on a
    bus (one cabin, no coach named), with the RAC or waiting list position for those who
    wait."""

    def __init__(self, *, coaches: bool):
        self.coaches = coaches
        self.berths = _choice_labels(_model("fleet.Seat"), "berth_type")

    def place(self, coach: str = "", seat: str = "", berth: str = "") -> str:
        if not seat:
            return ""
        berth_label = self.berths.get(str(berth or ""), "")
        if self.coaches and coach:
            if berth_label:
                return _("Coach %(coach)s, %(berth)s %(seat)s") % {
                    "coach": coach,
                    "berth": berth_label,
                    "seat": seat,
                }
            return _("Coach %(coach)s, seat %(seat)s") % {"coach": coach, "seat": seat}
        return _("Seat %(seat)s") % {"seat": seat}

    def status(self, status: str, position=None) -> str:
        if status in ("RAC", "WL") and position:
            return f"{status} {position}"
        return {
            "CNF": _("Confirmed"),
            "RAC": _("RAC"),
            "WL": _("Waitlisted"),
            "CAN": _("Cancelled"),
        }.get(status, status or "")


def _passenger_rows(rows, places: _Places) -> list[dict]:
    shown = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        shown.append(
            {
                "index": row.get("index", ""),
                "name": row.get("name", ""),
                "status": places.status(row.get("status", ""), row.get("position")),
                "place": places.place(row.get("coach", ""), row.get("seat", ""), row.get("berth")),
            }
        )
    return shown


def _passengers_of(pnr, indexes=None) -> list[dict]:
    passengers = pnr.passengers.select_related("seat__coach").order_by("index")
    if indexes is not None:
        passengers = passengers.filter(index__in=indexes)
    return [
        {
            "index": p.index,
            "name": p.name,
            "status": p.status,
            "coach": p.seat.coach.code if p.seat_id else "",
            "seat": p.seat.number if p.seat_id else "",
            "berth": p.seat.berth_type if p.seat_id else "",
        }
        for p in passengers
    ]


def _moment(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            return None
    return None


def _station(value):
    if isinstance(value, int) and not isinstance(value, bool):
        return _get("fleet.Station", pk=value)
    if isinstance(value, str) and value:
        return _get("fleet.Station", code=value)
    if isinstance(value, dict):
        return _station(value.get("id") or value.get("code"))
    return None


def _journey(context: dict, payload: dict) -> None:
    """The PNR (by number) or the trip (by id) the payload names, and what they carry."""
    pnr = None
    if isinstance(payload.get("pnr"), str) and payload["pnr"]:
        context["pnr_number"] = payload["pnr"]
        pnr = _get(
            "booking.Pnr",
            "trip__route__company",
            "trip__vehicle",
            "origin",
            "destination",
            number=payload["pnr"],
        )
    trip = pnr.trip if pnr else None
    trip_id = payload.get("trip")
    if trip is None and isinstance(trip_id, int) and not isinstance(trip_id, bool):
        trip = _get("fleet.Trip", "route__company", "vehicle", pk=trip_id)
    context["pnr"] = pnr
    context["trip"] = trip
    if trip is None:
        return
    company = trip.route.company
    vehicle = trip.vehicle
    context["operator"] = company.name
    context["currency"] = company.currency
    context["rail"] = company.kind == "rail"
    context["route"] = " ".join(x for x in (trip.route.number, trip.route.name) if x)
    context["plate"] = vehicle.code if vehicle else ""
    context["company"] = company
    if pnr:
        context["currency"] = pnr.currency
        context["origin"] = pnr.origin.name
        context["destination"] = pnr.destination.name
        context["departure"] = local_time(pnr.departure_at, pnr.origin.time_zone)
        context["departure_short"] = local_time(pnr.departure_at, pnr.origin.time_zone, short=True)
        context["zone"] = pnr.origin.time_zone
        context["arrival"] = local_time(pnr.arrival_at, pnr.destination.time_zone)
        context["class_code"] = _class_name(company, pnr.class_code)
        context["total_fare"] = _money(pnr.total_fare, pnr.currency)
    else:
        stops = list(trip.route.stops.select_related("station").order_by("sequence"))
        if stops:
            first, last = stops[0].station, stops[-1].station
            context["origin"], context["destination"] = first.name, last.name
            context["departure"] = local_time(trip.departure_at, first.time_zone)
            context["departure_short"] = local_time(trip.departure_at, first.time_zone, short=True)
            context["zone"] = first.time_zone
            context["arrival"] = local_time(trip.arrival_at, last.time_zone)


def _topic_facts(context: dict, topic: str, payload: dict, places: _Places) -> None:
    """What each topic's templates show beyond the journey, as text ready to print."""
    currency = payload.get("currency") if is_known_currency(payload.get("currency")) else None
    currency = currency or context.get("currency") or settings.TTMS_CURRENCY
    for key in ("fare", "refund", "amount", "charge"):
        if key in payload:
            context[f"{key}_text"] = _money(payload[key], currency)
    pnr = context.get("pnr")
    passengers = payload.get("passengers")
    if isinstance(passengers, list) and passengers and isinstance(passengers[0], dict):
        context["passengers"] = _passenger_rows(passengers, places)
    elif pnr is not None:
        indexes = passengers if isinstance(passengers, list) and passengers else None
        context["passengers"] = _passenger_rows(_passengers_of(pnr, indexes), places)
    if "name" in payload:
        context["name"] = payload.get("name") or ""
    if topic == "passenger.promoted":
        context["status"] = places.status(payload.get("to", ""))
        context["place"] = places.place(
            payload.get("coach", ""), payload.get("seat", ""), payload.get("berth", "")
        )
    if topic in ("passenger.reseated", "passenger.upgraded"):
        for side in ("from", "to"):
            where = payload.get(side) if isinstance(payload.get(side), dict) else {}
            context[f"{side}_class"] = _class_name(
                context.get("company"), where.get("class") or payload.get("class", "")
            )
            context[f"{side}_place"] = places.place(
                where.get("coach", ""), where.get("seat", ""), where.get("berth", "")
            )
    if topic in ("vehicle.swapped", "passenger.reseated", "passenger.upgraded"):
        plate = payload.get("plate") or payload.get("vehicle")
        if isinstance(plate, str) and plate:
            context["plate"] = plate
    if topic == "pnr.cancelled":
        causes = _choice_labels(_model("booking.Cancellation"), "cause")
        context["cause"] = causes.get(str(payload.get("cause", "")), "")
    if topic in ("pnr.cancelled", "trip.cancelled"):
        context["policy"] = _policy(pnr, payload)
    if "reason" in payload:
        context["reason"] = str(payload.get("reason") or "")
    if topic in ("vehicle.approaching", "passenger.boarded"):
        value = payload.get("station")
        station = _station(value)
        if station is not None:
            context["station"] = station.name
        elif isinstance(value, str):
            context["station"] = value  # a name, as the boarding recorded it
        zone = station.time_zone if station else context.get("zone")
        moment = _moment(payload.get("eta") or payload.get("at"))
        context["when"] = local_time(moment, zone)
    if topic == "trip.delayed":
        context["delay_minutes"] = payload.get("delay_minutes") or 0
    if topic == "trip.reminder":
        context["hours"] = payload.get("hours") or 0
    if topic == "account.password_changed":
        context["when"] = local_time(_moment(payload.get("at")), None)
    if topic == "operator.trip_unassigned":
        missing = payload.get("missing")
        labels = {"vehicle": _("a vehicle"), "driver": _("a driver")}
        missing = missing if isinstance(missing, list) else [missing] if missing else []
        named = [str(labels.get(m, m)) for m in missing]
        context["missing"] = (
            _("%(first)s and %(second)s") % {"first": named[0], "second": named[1]}
            if len(named) == 2
            else ", ".join(named)
        )
        if not context.get("departure"):
            moment = _moment(payload.get("departure_at"))
            context["departure"] = local_time(moment, None)
            context["departure_short"] = local_time(moment, None, short=True)
    if topic == "boarding.conflict":
        passenger = _get("booking.Passenger", pk=payload.get("passenger") or 0)
        context["name"] = passenger.name if passenger else ""
    for key in ("number", "error", "url", "failures", "last_error", "reference"):
        if key in payload:
            context[key] = payload[key]


def _facts(context: dict) -> list[tuple[str, str]]:
    """The rows of the email's table: (label, value), those with a value, in reading order."""
    delay = context.get("delay_minutes")
    rows = [
        (_("PNR"), context.get("pnr_number")),
        (_("Passenger"), context.get("name")),
        (_("Status"), context.get("status")),
        (_("Place"), context.get("place")),
        (_("Was"), _joined(context.get("from_class"), context.get("from_place"))),
        (_("Now"), _joined(context.get("to_class"), context.get("to_place"))),
        (_("Refund"), context.get("refund_text")),
        (_("Refund rule"), context.get("policy")),
        (_("Cause"), context.get("cause")),
        (_("Reason"), context.get("reason")),
        (_("Amount"), context.get("amount_text")),
        (_("Reference"), context.get("reference")),
        (_("Stop"), context.get("station")),
        (_("When"), context.get("when")),
        (_("Delay"), _("%(minutes)s min") % {"minutes": delay} if delay else ""),
        (_("Missing"), context.get("missing")),
        (_("Error"), context.get("error") or context.get("last_error")),
        (_("Webhook"), context.get("url")),
        (_("Failures"), context.get("failures")),
        (_("Trip"), context.get("route") or context.get("number")),
        (_("From"), context.get("origin")),
        (_("To"), context.get("destination")),
        (_("Departure"), context.get("departure")),
        (_("Arrival"), context.get("arrival")),
        (_("Vehicle"), context.get("plate")),
        (_("Class"), context.get("class_code")),
        (_("Fare"), context.get("fare_text")),
    ]
    return [(label, str(value)) for label, value in rows if value not in (None, "", [])]


def _button(context: dict, event) -> tuple[str, str]:
    """Where the email's one button leads: the PNR, its live page while the vehicle moves,
    the wallet, the password, or for staff the trip in the admin."""
    topic = event.topic
    trip = context.get("trip")
    if event.audience == OPERATOR:
        if trip is None:
            return "", ""
        return _url("admin:fleet_trip_change", trip.pk), _("Open the trip in the admin")
    if topic in ("vehicle.approaching", "trip.delayed") and context.get("live_url"):
        return context["live_url"], _("Follow your trip live")
    if topic.startswith("topup."):
        return _url("payments:wallet"), _("Open your wallet")
    if topic == "account.password_changed":
        return _url("accounts:password-reset"), _("Reset your password")
    if context.get("pnr_url"):
        return context["pnr_url"], _("View your booking")
    return "", ""


def _class_name(company, code) -> str:
    """A class as the operator's passengers know it: by code on trains ("SL"), by name on
    buses ("Standard"), the operator's own class of that code before the shared one."""
    if not isinstance(code, str) or not code:
        return ""
    if company is None or company.kind == "rail":
        return code
    found = _get("fleet.TravelClass", code=code, company=company) or _get(
        "fleet.TravelClass", code=code, company__isnull=True
    )
    return found.name if found else code


def _joined(*parts) -> str:
    return ", ".join(str(p) for p in parts if p)


def _policy(pnr, payload: dict) -> str:
    """The refund rule applied: the policy's name, and how much was kept of how much."""
    policy = payload.get("policy")
    cancellation = None
    if pnr is not None:
        cancellation = pnr.cancellations.order_by("-pk").first()
        policy = policy or (cancellation.policy if cancellation else None)
    labels = _choice_labels(_model("fleet.Company"), "refund_policy")
    text = str(labels.get(str(policy), policy or ""))
    if cancellation is not None and cancellation.fare:
        kept = _("%(charge)s kept of %(fare)s") % {
            "charge": format_money(cancellation.charge, pnr.currency),
            "fare": format_money(cancellation.fare, pnr.currency),
        }
        text = f"{text}: {kept}" if text else kept
    return text


def context_for(message: OutboxMessage) -> dict:
    """What the templates of `message` see: the payload, and what it names looked up now
    (in the active language). Never raises for a payload's missing keys or a PNR gone."""
    event = event_get(message.topic)
    payload = message.payload if isinstance(message.payload, dict) else {}
    context = {
        "message": message,
        "event": event,
        "payload": payload,
        "user": message.user,
        "site_url": settings.TTMS_SITE_URL,
        "operator": "TTMS",
        "passengers": [],
        "facts": [],
        "button_url": "",
        "button_label": "",
        "unsubscribe_url": _unsubscribe_url(message, event),
    }
    try:
        _journey(context, payload)
        places = _Places(coaches=context.get("rail", False))
        _topic_facts(context, message.topic, payload, places)
        context["facts"] = _facts(context)
        context["waiting"] = any(
            isinstance(p, dict) and p.get("status") in ("RAC", "WL")
            for p in payload.get("passengers") or ()
        )
        number = context.get("pnr_number")
        if number:
            context["pnr_url"] = _url("booking:pnr", number)
            context["live_url"] = _url("tracking:pnr-live", number)
        context["button_url"], context["button_label"] = _button(context, event)
    except Exception:
        # A message still goes with what could be found: a lookup gone wrong must not
        # hold back what it announces.
        logger.exception("notifications: context of message %s is partial", message.pk)
    return context


def _line(text: str) -> str:
    """`text` on one line; the no-break spaces of amounts ("RWF 2,500") kept."""
    return _SPACES.sub(" ", text).strip()


_SPACES = re.compile(r"[ \t\r\n]+")


def render(message: OutboxMessage, channel: str) -> Rendered:
    """`message` for `channel` (EMAIL, SMS, or IN_APP), in its language."""
    with translation.override(message.language or None):
        context = context_for(message)
        topic = _wording(message.topic, context)
        if channel == EMAIL:
            return Rendered(
                subject=_line(_render(topic, "subject.txt", context)),
                text=_render(topic, "body.txt", context),
                html=_render(topic, "body.html", context),
                unsubscribe_url=context["unsubscribe_url"],
            )
        if channel == SMS:
            return Rendered(text=_line(_render(topic, "sms.txt", context)))
        return Rendered(
            subject=_line(_render(topic, "subject.txt", context)),
            text=_line(_render(topic, "inapp.txt", context)),
        )
