"""Boarding scans as a driver's scanner sends them: a passenger's ticket, a scan posted to the
driver API, a ticket's Base32 parts edited (a bit flipped, a part replaced), and the refusal of a
station off the trip's route."""

from fleet.tests.factories import StationFactory

from ..boarding import ticket_format
from ..boarding.services.issue import tickets_issue

SCAN = "/api/v1/driver/scan/"


def token(ticketed, index: int = 0) -> str:
    pnr = ticketed.pnr
    passenger = pnr.passengers.select_related("seat__coach").get(pk=ticketed.passengers[index].pk)
    return tickets_issue(pnr, [passenger])[0].token


def scan(client, ticketed, qr, **extra) -> dict:
    client.force_authenticate(ticketed.driver)
    response = client.post(SCAN, {"trip": ticketed.trip.pk, "qr": qr, **extra}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def flip(text: str, index: int, bit: int = 0) -> str:
    """`text` (a Base32 part) with one bit of its decoded bytes flipped."""
    data = bytearray(ticket_format.b32decode(text))
    data[index % len(data)] ^= 1 << bit
    return ticket_format.b32encode(bytes(data))


def with_part(qr: str, part: int, value: str) -> str:
    parts = qr.split(".")
    parts[part] = value
    return ".".join(parts)


def not_a_stop(ticketed) -> str:
    StationFactory(code="NDLS", name="New Delhi")
    trip = ticketed.trip
    return (
        f"New Delhi (NDLS) is not a stop of trip {trip.route.number} of "
        f"{trip.service_date:%d %b %Y}: scan at a station the trip calls at."
    )
