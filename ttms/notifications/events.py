"""The events people are told of: each topic, who it is for, whether it may be turned off,
and on which channels it goes by default. `EVENTS` is the one list; the preferences page,
the rendering and the services that write messages all read it.

A message's payload holds what the change decided (amounts, the seat given, the reason);
what the rendering can look up when it sends (the PNR's trip, stations and times) it looks
up then. `payload` below names each topic's keys.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

EMAIL, SMS, IN_APP = "email", "sms", "in_app"
CHANNELS = (EMAIL, SMS, IN_APP)
CHANNEL_LABELS = {EMAIL: _("Email"), SMS: _("SMS"), IN_APP: _("In the app")}

PASSENGER, OPERATOR = "passenger", "operator"


@dataclass(frozen=True)
class Event:
    topic: str
    label: str
    audience: str
    # Optional events may be turned off on every channel and carry an unsubscribe link;
    # the others (what was bought, refunded, changed on the account) always go in-app and
    # by email at least.
    optional: bool
    default_channels: frozenset
    payload: tuple = ()


def _event(topic, label, audience, optional, channels, payload=()) -> Event:
    return Event(topic, label, audience, optional, frozenset(channels), tuple(payload))


EVENTS: dict[str, Event] = {
    e.topic: e
    for e in (
        # Passengers.
        _event(
            "booking.confirmed",
            _("Booking confirmed"),
            PASSENGER,
            False,
            (EMAIL, SMS, IN_APP),
            (
                "pnr",
                "passengers: [{index, name, status, coach, seat, berth, position}]",
                "fare",
                "currency",
            ),
        ),
        _event(
            "passenger.promoted",
            _("Waiting list or RAC promoted"),
            PASSENGER,
            False,
            (EMAIL, SMS, IN_APP),
            ("pnr", "passenger", "name", "from", "to", "coach", "seat", "berth"),
        ),
        _event(
            "chart.prepared",
            _("Chart prepared"),
            PASSENGER,
            False,
            (EMAIL, SMS, IN_APP),
            (
                "pnr",
                "passengers: [{index, name, status, coach, seat, berth}]",
                "refund",
                "currency",
            ),
        ),
        _event(
            "pnr.cancelled",
            _("Cancelled and refunded"),
            PASSENGER,
            False,
            (EMAIL, SMS, IN_APP),
            ("pnr", "cause", "refund", "currency", "passengers", "policy"),
        ),
        _event(
            "trip.cancelled",
            _("Trip cancelled by the operator"),
            PASSENGER,
            False,
            (EMAIL, SMS, IN_APP),
            ("pnr", "trip", "number", "service_date", "reason", "refund", "currency", "passengers"),
        ),
        _event(
            "passenger.reseated",
            _("Vehicle swapped, seat changed"),
            PASSENGER,
            False,
            (EMAIL, SMS, IN_APP),
            ("pnr", "passenger", "name", "class", "vehicle", "from", "to"),
        ),
        _event(
            "passenger.upgraded",
            _("Vehicle swapped, class upgraded"),
            PASSENGER,
            False,
            (EMAIL, SMS, IN_APP),
            ("pnr", "passenger", "name", "vehicle", "from", "to", "fare_unchanged"),
        ),
        _event(
            "vehicle.swapped",
            _("Vehicle swapped"),
            PASSENGER,
            True,
            (EMAIL, SMS, IN_APP),
            ("pnr", "trip", "vehicle", "plate"),
        ),
        _event(
            "trip.reminder",
            _("Departure reminder"),
            PASSENGER,
            True,
            (EMAIL, IN_APP),
            ("pnr", "trip", "hours"),
        ),
        _event(
            "vehicle.approaching",
            _("Vehicle approaching your stop"),
            PASSENGER,
            True,
            (SMS, IN_APP),
            ("pnr", "trip", "station", "eta"),
        ),
        _event(
            "trip.delayed",
            _("Trip running late"),
            PASSENGER,
            True,
            (SMS, IN_APP),
            ("pnr", "trip", "delay_minutes"),
        ),
        _event(
            "topup.credited",
            _("Wallet top-up credited"),
            PASSENGER,
            False,
            (EMAIL, IN_APP),
            ("amount", "currency", "reference"),
        ),
        _event(
            "topup.failed",
            _("Wallet top-up failed"),
            PASSENGER,
            False,
            (EMAIL, IN_APP),
            ("amount", "currency", "reference", "reason", "code"),
        ),
        _event(
            "passenger.boarded",
            _("Boarding recorded"),
            PASSENGER,
            True,
            (IN_APP,),
            ("pnr", "passenger", "name", "station", "at"),
        ),
        _event(
            "account.password_changed",
            _("Password changed"),
            PASSENGER,
            False,
            (EMAIL, IN_APP),
            ("at",),
        ),
        # Operators' staff.
        _event(
            "operator.trip_unassigned",
            _("Trip without a vehicle or driver"),
            OPERATOR,
            False,
            (EMAIL, IN_APP),
            ("trip", "number", "departure_at", "missing"),
        ),
        _event(
            "operator.charting_failed",
            _("Charting failed"),
            OPERATOR,
            False,
            (EMAIL, IN_APP),
            ("trip", "number", "error"),
        ),
        _event(
            "operator.webhook_failing",
            _("Webhook failing"),
            OPERATOR,
            False,
            (EMAIL, IN_APP),
            ("url", "failures", "last_error"),
        ),
        _event(
            "boarding.conflict",
            _("Ticket scanned twice"),
            OPERATOR,
            False,
            (IN_APP,),
            ("trip", "pnr", "passenger", "winner_scan", "loser_scan"),
        ),
    )
}


def event_get(topic: str) -> Event:
    """The topic's event; an unknown topic is a programming error (KeyError)."""
    return EVENTS[topic]
