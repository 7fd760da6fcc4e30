"""Seat maps: the seats of one class of a trip, free or taken for a journey's legs."""

from dataclasses import dataclass

from django.db.models import F, Max, Q

from fleet.layouts import Fixture, bus_fixtures
from fleet.models import Coach, Seat, TravelClass, Trip, Vehicle

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


@dataclass(frozen=True)
class CoachPlan:
    """How a coach of a trip is drawn: a bus's cabin (`is_bus`) with its driver and doors
    (`fixtures`, rows and columns as its seats'), or a railway coach."""

    code: str
    is_bus: bool
    fixtures: tuple[Fixture, ...]


def coach_plans(*, trip: Trip, class_code: str) -> dict[str, CoachPlan]:
    """The plan of each coach of a class of the trip's vehicle, by coach code. One query."""
    if not trip.vehicle_id:
        return {}
    plans = {}
    for code, vehicle_kind, kind, rows, width in (
        Coach.objects.filter(vehicle_id=trip.vehicle_id, travel_class__code=class_code)
        .annotate(width=Max("seats__column"))
        .values_list("code", "vehicle__kind", "layout__kind", "layout__rows", "width")
    ):
        is_bus = vehicle_kind == Vehicle.Kind.BUS
        fixtures = bus_fixtures(kind or "", rows=rows, width=(width or 0) + 1) if is_bus else []
        plans[code] = CoachPlan(code, is_bus, tuple(fixtures))
    return plans


def class_names(*, company_id: int, codes: list[str]) -> dict[str, str]:
    """The display name of each class code ("STANDARD" -> "Standard"), the operator's own
    classes before the shared ones. One query."""
    names: dict[str, str] = {}
    for code, name, company in TravelClass.objects.filter(
        Q(company_id=company_id) | Q(company__isnull=True), code__in=codes
    ).values_list("code", "name", "company_id"):
        if company or code not in names:
            names[code] = name
    return names


def class_is_sleeper(*, company_id: int, code: str) -> bool:
    """Whether the class `code` has berths (TravelClass.is_sleeper), the operator's own
    class before the shared one; False for an unknown class. One query."""
    found = (
        TravelClass.objects.filter(Q(company_id=company_id) | Q(company__isnull=True), code=code)
        .order_by(F("company_id").asc(nulls_last=True))
        .values_list("is_sleeper", flat=True)
        .first()
    )
    return bool(found)
