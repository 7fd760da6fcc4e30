"""The vehicle swap tests' vehicles and readings: a bus of a given size or seat plan, the seat
each PNR's first passenger holds, and everything a refused swap must leave unchanged."""

from fleet.models import SeatLayout, Trip, TripEvent
from fleet.services import (
    standard_layout,
    travel_class_standard,
    vehicle_create,
)
from ttms.notifications.models import OutboxMessage

from ..models import Passenger, Place, TripClass


def bus(
    company,
    code: str,
    rows: int,
    *,
    coach: str = "B1",
    grid: str = "",
    class_code: str = "STANDARD",
    more: tuple = (),
):
    """A bus of one coach of `class_code` (2+2 seats in `rows` rows, or the seats of
    `grid`), and the coaches of `more`, each (code, class code, rows of 2+1 seats)."""
    if grid:
        layout = SeatLayout.objects.create(
            company=company, name=f"{code} plan", kind="GRID", grid=grid
        )
    else:
        layout = standard_layout(kind="BUS22", rows=rows)
    coaches = [(coach, travel_class_standard(code=class_code), layout)]
    coaches += [
        (extra, travel_class_standard(code=extra_class), standard_layout(kind="BUS21", rows=n))
        for extra, extra_class, n in more
    ]
    return vehicle_create(company=company, code=code, kind="bus", coaches=coaches)


def seats(pnrs) -> list[tuple]:
    """(status, coach, seat number) of each PNR's first passenger."""
    out = []
    for pnr in pnrs:
        p = Passenger.objects.select_related("seat__coach").get(pnr=pnr, index=1)
        out.append(
            (
                p.status,
                p.seat.coach.code if p.seat_id else None,
                p.seat.number if p.seat_id else None,
            )
        )
    return out


def snapshot(trip) -> dict:
    return {
        "passengers": list(
            Passenger.objects.order_by("pk").values_list("status", "seat_id", "half", "quota")
        ),
        "places": list(Place.objects.order_by("pk").values_list("pk", "seat_id", "legs_low")),
        "classes": list(
            TripClass.objects.order_by("pk").values_list(
                "class_code", "seats", "promotion_due", "closed"
            )
        ),
        "trip_classes": list(
            Passenger.objects.order_by("pk").values_list("trip_class_id", "pnr__class_code", "fare")
        ),
        "vehicle": Trip.objects.get(pk=trip.pk).vehicle_id,
        "events": TripEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
    }
