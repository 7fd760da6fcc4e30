"""The charting tests' clock and readings: the factory trips' departure, the railway rule's chart
time for it, the moment their bookings are made, and a PNR's passengers and a wallet as
charting leaves them."""

from datetime import datetime, timedelta

from payments.models import Account

from ..models import Passenger
from .factories import IST

DEPARTURE = datetime(2030, 1, 7, 8, 0, tzinfo=IST)  # the factory trips' departure
CHART_TIME = datetime(2030, 1, 6, 21, 0, tzinfo=IST)  # the railway rule's, for 08:00
BOOKED = DEPARTURE - timedelta(days=5)


def status(pnr) -> list[tuple]:
    return [
        (p.name, p.status, p.seat.number if p.seat_id else None, p.half, p.quota)
        for p in Passenger.objects.filter(pnr=pnr).select_related("seat").order_by("index")
    ]


def balance(user) -> int:
    return Account.objects.get(user=user, kind=Account.Kind.WALLET).balance
