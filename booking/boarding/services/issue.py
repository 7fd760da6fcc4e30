"""Issuing signed tickets: a seated passenger's (what it says, its QR text) and a trip's
manifest for offline scanners, signed by the current key. The first key is generated on first
use (`ticket_keys.keyring`), so issuing may write one: these are not selectors."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

from fleet.models import Trip

from ...exceptions import NoTicket
from ...models import SEATED_STATUSES, Boarding, Passenger, PassengerStatus, Pnr
from .. import ticket_format, ticket_keys


@dataclass(frozen=True)
class Ticket:
    """A seated passenger's signed ticket: what it says, and the QR text."""

    passenger: Passenger
    body: ticket_format.TicketBody
    token: str
    kid: str  # of the key that signed it


def ticket_body(pnr: Pnr, passenger: Passenger) -> ticket_format.TicketBody:
    """What a seated passenger's ticket says; `passenger.seat.coach` is read. Valid from
    `TTMS_TICKET_VALID_BEFORE_MINUTES` before the departure from the boarding stop until
    `TTMS_TICKET_VALID_AFTER_MINUTES` after the arrival at the alighting stop."""
    return ticket_format.TicketBody(
        pnr=pnr.number,
        passenger=passenger.pk,
        index=passenger.index,
        name=passenger.name,
        trip=pnr.trip_id,
        class_code=pnr.class_code,
        coach=passenger.seat.coach.code,
        seat=passenger.seat.number,
        status=passenger.status,
        origin=pnr.origin.code,
        destination=pnr.destination.code,
        origin_sequence=pnr.origin_sequence,
        destination_sequence=pnr.destination_sequence,
        valid_from=pnr.departure_at - timedelta(minutes=settings.TTMS_TICKET_VALID_BEFORE_MINUTES),
        valid_until=pnr.arrival_at + timedelta(minutes=settings.TTMS_TICKET_VALID_AFTER_MINUTES),
    )


def tickets_issue(pnr: Pnr, passengers, ring: ticket_format.Keyring | None = None) -> list[Ticket]:
    """The tickets of the seated ones among `passengers` of `pnr` (CNF and RAC), signed
    by the current key. Signing is deterministic: the same passenger, seat and key give the
    same QR every time."""
    ring = ring or ticket_keys.keyring()
    return [
        Ticket(p, body, ticket_format.ticket_sign(body, ring.signing), ring.signing.kid)
        for p in passengers
        if p.status in SEATED_STATUSES
        for body in [ticket_body(pnr, p)]
    ]


def ticket_get(pnr: Pnr, passenger_id: int) -> Ticket:
    """The ticket of one passenger of `pnr`; Passenger.DoesNotExist for a passenger of
    another PNR, NoTicket for one who holds no seat (waitlisted, cancelled)."""
    passenger = pnr.passengers.select_related("seat__coach").get(pk=passenger_id)
    if passenger.status not in SEATED_STATUSES:
        raise NoTicket(
            gettext(
                "Passenger {index} of PNR {pnr} is {status}: only confirmed and RAC "
                "passengers have a ticket."
            ).format(
                index=passenger.index,
                pnr=pnr.number,
                status=passenger.get_status_display().lower(),
            )
        )
    return tickets_issue(pnr, [passenger])[0]


@dataclass(frozen=True)
class ManifestEntry:
    ticket: Ticket
    pnr: Pnr
    boarding: Boarding | None


@dataclass(frozen=True)
class Manifest:
    """What a scanner needs to check a trip's tickets offline."""

    trip: Trip
    generated_at: datetime
    entries: list[ManifestEntry]
    public_keys: list[dict]
    revocations: str


def trip_manifest(trip: Trip, *, now: datetime | None = None) -> Manifest:
    """A trip's tickets (seated passengers, each with its QR text and whether they have
    boarded), the public keys that verify them, and the revocation list: the passengers
    of the trip who are cancelled, signed (`TR1`, Ed25519) with the trip and the moment.
    A fixed number of queries, however many passengers."""
    now = now or timezone.now()
    ring = ticket_keys.keyring()
    passengers = list(
        Passenger.objects.filter(pnr__trip=trip)
        .select_related(
            "pnr__origin",
            "pnr__destination",
            "seat__coach",
            "boarding__boarded_by",
            "boarding__station",
        )
        .order_by("pnr__origin_sequence", "trip_class_id", "pk")
    )
    entries = []
    for passenger in passengers:
        if passenger.status not in SEATED_STATUSES:
            continue
        pnr = passenger.pnr
        [ticket] = tickets_issue(pnr, [passenger], ring)
        entries.append(ManifestEntry(ticket, pnr, getattr(passenger, "boarding", None)))
    revoked = sorted(p.pk for p in passengers if p.status == PassengerStatus.CANCELLED)
    revocations = ticket_format.seal(
        ticket_format.REVOCATIONS,
        {"t": trip.pk, "at": int(now.timestamp()), "r": revoked},
        ring.signing,
        with_hmac=False,
    )
    return Manifest(trip, now, entries, ticket_keys.public_keys(ring), revocations)
