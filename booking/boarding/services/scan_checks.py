"""What a scan's request settles before any lock: the QR's text (readable, signed by a known
key, for this trip, inside its validity window when scanned) and the station named (a stop of
the trip's route). Reads only; the scan is recorded by `recording`."""

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext

from fleet.models import RouteStop, Station, Trip

from ...models import ScanResult
from .. import ticket_format


def local_time(moment: datetime, station: Station | None) -> str:
    """09:12 on 21 Nov 2026, in the station's time zone (UTC when there is none)."""
    tz = station.tzinfo if station else UTC
    local = timezone.localtime(moment, tz)
    return gettext("{time} on {date}").format(time=f"{local:%H:%M}", date=f"{local:%d %b %Y}")


def _wrong_trip(body: ticket_format.TicketBody, trip: Trip) -> str:
    """Why a ticket of another trip does not board on `trip`, naming both."""
    other = Trip.objects.select_related("route").filter(pk=body.trip).first()
    if other is None:
        return gettext("This ticket is for trip {other}, not trip {number} of {date}.").format(
            other=body.trip, number=trip.route.number, date=f"{trip.service_date:%d %b %Y}"
        )
    return gettext(
        "This ticket is for trip {other_number} of {other_date}, not trip {number} of {date}."
    ).format(
        other_number=other.route.number,
        other_date=f"{other.service_date:%d %b %Y}",
        number=trip.route.number,
        date=f"{trip.service_date:%d %b %Y}",
    )


def qr_verify(
    *,
    qr: str,
    trip: Trip,
    scanned_at: datetime,
    station: Station | None,
    ring: ticket_format.Keyring,
) -> tuple[str, str, ticket_format.TicketBody | None]:
    """The checks a QR's text alone settles: readable, signed by a known key, for `trip`,
    inside its validity window at `scanned_at`. (result, message for the driver, the
    ticket's body when it could be read); the message is "" when valid."""
    try:
        body = ticket_format.ticket_verify(qr, ring)
    except ticket_format.TicketRejected as rejected:
        return rejected.result, rejected.message, None
    if body.trip != trip.pk:
        return ScanResult.WRONG_TRIP, _wrong_trip(body, trip), body
    if body.valid_from <= scanned_at <= body.valid_until:
        return ScanResult.VALID, "", body
    # Shown in the boarding station's time, as printed on the ticket.
    origin = Station.objects.filter(code=body.origin).first() or station
    if scanned_at < body.valid_from:
        return (
            ScanResult.NOT_YET_VALID,
            gettext("Not valid yet: valid from {at}.").format(
                at=local_time(body.valid_from, origin)
            ),
            body,
        )
    return (
        ScanResult.EXPIRED,
        gettext("Expired: was valid until {at}.").format(at=local_time(body.valid_until, origin)),
        body,
    )


def stations_off_route(trip: Trip, stations: list[Station | None]) -> dict[int, str]:
    """By index in `stations`, why each station named that is not a stop of the trip's
    route cannot be where a scan was made; one query, none when no station is named."""
    named = {station.pk for station in stations if station is not None}
    if not named:
        return {}
    stops = set(
        RouteStop.objects.filter(route_id=trip.route_id, station_id__in=named).values_list(
            "station_id", flat=True
        )
    )
    return {
        index: gettext(
            "{name} ({code}) is not a stop of trip {number} of {date}: scan "
            "at a station the trip calls at."
        ).format(
            name=station.name,
            code=station.code,
            number=trip.route.number,
            date=f"{trip.service_date:%d %b %Y}",
        )
        for index, station in enumerate(stations)
        if station is not None and station.pk not in stops
    }
