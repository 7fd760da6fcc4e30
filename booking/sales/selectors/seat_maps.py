"""Seat maps: the seats of one class of a trip, free or taken for a journey's legs."""

from dataclasses import dataclass

from fleet.models import Seat, Trip

from ... import rules
from ...models import Place, Quota
from ..inventory import class_quotas, vehicle_seats


@dataclass(frozen=True)
class SeatView:
    number: str
    coach: str
    berth_type: str
    quota: str
    row: int
    column: int
    is_rac: bool
    free: bool  # bookable on every leg of the journey (RAC berths: a half is free)


def seat_map(*, trip: Trip, class_code: str, mask: int) -> list[SeatView]:
    """The seats of one class of a trip, each marked free or taken for the legs of `mask`,
    in coach and seat order. Trips nobody has booked yet are shown from their vehicle."""
    legs_low, legs_high = rules.split_mask(mask)
    seats = {
        pk: (number, coach, row, column)
        for pk, number, coach, row, column in Seat.objects.filter(
            coach__vehicle_id=trip.vehicle_id, coach__travel_class__code=class_code
        ).values_list("pk", "number", "coach__code", "row", "column")
    }
    places = list(
        Place.objects.filter(trip_class__trip=trip, trip_class__class_code=class_code)
        .values_list("seat_id", "quota", "berth_type", "order", "legs_low", "legs_high")
        .order_by("order", "half")
    )
    view: dict[int, SeatView] = {}
    if places:
        for seat_id, quota, berth_type, _order, low, high in places:
            free = not (low & legs_low or high & legs_high)
            number, coach, row, column = seats[seat_id]
            known = view.get(seat_id)
            view[seat_id] = SeatView(
                number,
                coach,
                berth_type,
                quota,
                row,
                column,
                quota == Quota.RAC,
                free or bool(known and known.free),
            )
        return list(view.values())
    rows = vehicle_seats(trip.vehicle_id).get(class_code, []) if trip.vehicle_id else []
    if not rows:
        return []
    quotas = class_quotas(trip.route.company, class_code, rows)
    return [
        SeatView(
            seats[r.seat_id][0],
            seats[r.seat_id][1],
            r.berth_type,
            quotas[r.seat_id],
            seats[r.seat_id][2],
            seats[r.seat_id][3],
            r.is_rac,
            True,
        )
        for r in rows
    ]
