"""The trip being sold and the journey on it: the stops, legs and times a PNR rides, whether the
trip can be booked now, and what fleet asks of its seats (`fleet.sales`)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext

from fleet.models import RouteStop, Station, Trip, TripStatus

from ... import rules
from ...exceptions import InvalidBooking
from ...models import TripClass


@dataclass(frozen=True)
class Journey:
    """The part of a trip a PNR rides: its stops, legs, times and distance."""

    trip: Trip
    origin: RouteStop
    destination: RouteStop
    departure_at: datetime
    arrival_at: datetime
    mask: int

    @property
    def distance_km(self):
        return self.destination.distance_km - self.origin.distance_km

    @property
    def travel_date(self):
        return self.departure_at.astimezone(self.origin.station.tzinfo).date()


def journey_get(*, trip: Trip, origin_code: str, destination_code: str) -> Journey:
    """The journey on `trip` from the stop with `origin_code` to a later stop with
    `destination_code` (the shortest such ride when the route calls twice). One query.
    Raises InvalidBooking naming the field that is wrong."""
    origin_code = (origin_code or "").strip().upper()
    destination_code = (destination_code or "").strip().upper()
    stops = list(
        RouteStop.objects.filter(route_id=trip.route_id)
        .select_related("station")
        .order_by("sequence")
    )
    first = stops[0].sequence if stops else 1
    boardings = [
        s for s in stops if s.station.code == origin_code and s.departure_offset is not None
    ]
    if not boardings:
        message = (
            gettext("This trip does not call at {station} to pick passengers up.")
            if origin_code
            else gettext("This trip does not call at that station to pick passengers up.")
        )
        raise InvalidBooking(
            message.format(station=origin_code),
            fields={"from": [gettext("Not a stop of this trip.")]},
        )
    best = None
    for boarding in boardings:
        for stop in stops:
            if (
                stop.sequence > boarding.sequence
                and stop.station.code == destination_code
                and stop.arrival_offset is not None
            ):
                if best is None or (
                    stop.sequence - boarding.sequence < best[1].sequence - best[0].sequence
                ):
                    best = (boarding, stop)
                break
    if best is None:
        message = (
            gettext("This trip does not reach {station} after {origin}.")
            if destination_code
            else gettext("This trip does not reach that station after {origin}.")
        )
        raise InvalidBooking(
            message.format(station=destination_code, origin=origin_code),
            fields={"to": [gettext("Not a later stop of this trip.")]},
        )
    origin, destination = best
    if destination.sequence - first > rules.MAX_LEGS:
        raise InvalidBooking(
            gettext("Journeys past stop {stop} of a route cannot be booked.").format(
                stop=rules.MAX_LEGS + 1
            ),
            fields={"to": [gettext("Too far along the route.")]},
        )
    return Journey(
        trip=trip,
        origin=origin,
        destination=destination,
        departure_at=trip.departure_at + timedelta(minutes=origin.departure_offset),
        arrival_at=trip.departure_at + timedelta(minutes=destination.arrival_offset),
        mask=rules.legs_mask(origin.sequence, destination.sequence, first),
    )


# Trips open for booking: those still to leave, or boarding.
BOOKABLE_STATUSES = (TripStatus.SCHEDULED, TripStatus.BOARDING)


def trip_refusal(
    *, trip: Trip, boarding: Station, departure_at: datetime, now: datetime
) -> str | None:
    """Why `trip` cannot be booked now from `boarding`, which it leaves at
    `departure_at`, or None when it can: its status is not SCHEDULED or BOARDING (it
    departed, arrived or was cancelled), it has no vehicle, or it has left `boarding`.
    Reads nothing. `booking_create` refuses these first; search, the seat map and the
    booking form ask the same, so that none offers what Pay would refuse."""
    if trip.status not in BOOKABLE_STATUSES:
        return gettext("Trip {number} of {date} is {status}; it cannot be booked.").format(
            number=trip.route.number,
            date=trip.service_date,
            status=trip.get_status_display().lower(),
        )
    if trip.vehicle_id is None:
        return gettext("Trip {number} of {date} has no vehicle yet; it cannot be booked.").format(
            number=trip.route.number, date=trip.service_date
        )
    if departure_at <= now:
        left = departure_at.astimezone(boarding.tzinfo)
        return gettext("This trip left {station} at {time}.").format(
            station=boarding.name,
            time=gettext("{time} on {date}").format(
                time=f"{left:%H:%M %Z}", date=f"{left:%d %b %Y}"
            ),
        )
    return None


def trip_get_for_sale(pk: int) -> Trip:
    """A trip with its route, company and vehicle, whatever its status: what a seat map and
    the booking form are drawn for. Whether it can be booked now is `trip_refusal`'s to say
    (a cancelled trip is refused with that reason, not as unknown). Trip.DoesNotExist
    otherwise."""
    return Trip.objects.select_related("route__company", "vehicle").get(pk=pk)


def trip_seats_on_sale(trip_id: int) -> bool:
    """Whether a class of the trip is still open for sale (fleet asks, `fleet.sales`)."""
    return TripClass.objects.filter(trip_id=trip_id, closed=False).exists()


def trip_seats_sold(trip_id: int) -> bool:
    """Whether the trip's seat inventory exists, its seats belonging to the current vehicle
    (fleet asks, `fleet.sales`)."""
    return TripClass.objects.filter(trip_id=trip_id).exists()
