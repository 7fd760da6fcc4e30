"""The booking tests' fares, earmarked berths and readings: a PNR's seats, a place's quota, a
wallet's balance, and everything a refused booking must leave as it was."""

from payments.models import Account, Transaction

from ...models import Passenger, Place, Pnr
from ..factories import adult

SL_FARE = 13_500
LADIES_SEATS = {"2", "3", "5", "6", "8", "10"}
SENIOR_SEATS = {"1", "4", "9", "12", "17", "20"}


def woman(name="Asha", age=30, **kwargs):
    return adult(name, age, "F", **kwargs)


def seats(pnr) -> list[tuple[str, str, str | None, int]]:
    """(status, quota, seat number, half) of each passenger, in order."""
    return [
        (p.status, p.quota, p.seat.number if p.seat else None, p.half)
        for p in Passenger.objects.filter(pnr=pnr).select_related("seat")
    ]


def place_quota(trip, number: str) -> str:
    return Place.objects.get(trip_class__trip=trip, seat__number=number, half=0).quota


def balance(user) -> int:
    return Account.objects.get(kind="wallet", user=user).balance


def snapshot(trip, user) -> dict:
    """What a refused booking must leave as it was."""
    return {
        "pnrs": Pnr.objects.filter(trip=trip).count(),
        "passengers": Passenger.objects.filter(pnr__trip=trip).count(),
        "balance": balance(user),
        "charges": Transaction.objects.filter(kind="booking_charge").count(),
        "masks": list(
            Place.objects.filter(trip_class__trip=trip)
            .order_by("pk")
            .values_list("pk", "legs_low", "legs_high")
        ),
    }
