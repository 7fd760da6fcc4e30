"""A trip's seat inventory, created lazily: on its first booking, not when it is scheduled,
so that months of a whole railway's timetable cost no inventory rows until someone books.
"""

from dataclasses import replace

from django.db import IntegrityError, transaction

from fleet.locks import lock_trip
from fleet.models import Company, Seat, Trip, TripStatus

from .. import rules
from ..exceptions import TripNotBookable
from ..models import Place, TripClass


def vehicle_seats(vehicle_id: int) -> dict[str, list[rules.SeatRow]]:
    """The seats of a vehicle by class code, in allocation order (coach position, then the
    seat's place on the coach's plan)."""
    rows = (
        Seat.objects.filter(coach__vehicle_id=vehicle_id)
        .order_by("coach__position", "coach__code", "row", "column", "pk")
        .values_list(
            "pk",
            "coach_id",
            "coach__travel_class__code",
            "berth_type",
            "is_rac",
            "number",
            "coach__code",
        )
    )
    seats: dict[str, list[rules.SeatRow]] = {}
    for order, (pk, coach_id, class_code, berth_type, is_rac, number, coach) in enumerate(rows):
        seats.setdefault(class_code, []).append(
            rules.SeatRow(pk, coach_id, order, berth_type, is_rac, number, coach)
        )
    return seats


def class_distribution(
    company: Company, class_code: str, *, coaches: int, plain: int
) -> dict[str, int]:
    """Seats per quota for one class of a trip (of `coaches` coaches and `plain` seats that
    are not RAC berths): the company's setting, or the railway defaults for a rail company;
    a bus company without a setting earmarks nothing. Only quotas the company sells get
    seats (`company.rules.quotas`): a setting naming another is ignored."""
    configured = (company.quota_distribution or {}).get(class_code)
    if configured is not None:
        distribution = {quota: int(count) for quota, count in configured.items()}
    elif company.kind == Company.Kind.RAIL:
        distribution = rules.default_distribution(class_code, coaches=coaches, plain=plain)
    else:
        distribution = {}
    sold = company.rules.quotas
    return {quota: count for quota, count in distribution.items() if quota in sold}


def operator_seats(company: Company, seats: list[rules.SeatRow]) -> list[rules.SeatRow]:
    """`seats` as the company sells them: for a company without RAC (`company.rules.rac`),
    a berth the layout flags as RAC is a plain seat, earmarked like the others."""
    if company.rules.rac:
        return seats
    return [replace(s, is_rac=False) if s.is_rac else s for s in seats]


def class_quotas(company: Company, class_code: str, seats: list[rules.SeatRow]) -> dict[int, str]:
    """Seat id -> quota for one class of a trip (what `inventory_ensure` writes); RAC
    berths only for a company that sells RAC (`operator_seats`)."""
    seats = operator_seats(company, seats)
    distribution = class_distribution(
        company,
        class_code,
        coaches=len({s.coach_id for s in seats}),
        plain=sum(1 for s in seats if not s.is_rac),
    )
    return rules.earmark(seats, distribution)


def class_places(
    trip_class: TripClass, seats: list[rules.SeatRow], quotas: dict[int, str]
) -> list[Place]:
    """The inventory rows of one class (unsaved): a place per seat, two per RAC berth
    (a berth `quotas` earmarks for RAC: see `class_quotas`)."""
    places = []
    for seat in seats:
        halves = (1, 2) if seat.is_rac and quotas[seat.seat_id] == rules.RAC else (0,)
        places.extend(
            Place(
                trip_class=trip_class,
                seat_id=seat.seat_id,
                half=half,
                quota=quotas[seat.seat_id],
                coach_id=seat.coach_id,
                order=seat.order,
                berth_type=seat.berth_type,
                coach_code=seat.coach_code,
                seat_number=seat.number,
            )
            for half in halves
        )
    return places


def inventory_ensure(*, trip_id: int) -> bool:
    """Create the trip's classes and places if it has none yet; True when it created them.

    Takes the trip's row lock (fleet.locks) so that two first bookings create it once; the
    unique constraints are the backstop. Under that lock a trip cancelled meanwhile gets
    none: raises TripNotBookable (the trip cancellation locks the row too, and closes only
    the classes that exist). Runs in its own short transaction.
    """
    if TripClass.objects.filter(trip_id=trip_id).exists():
        return False
    try:
        with transaction.atomic():
            trip = lock_trip(trip_id)
            if TripClass.objects.filter(trip_id=trip_id).exists():
                return False
            if trip.status == TripStatus.CANCELLED:
                raise TripNotBookable.for_trip(trip)
            _create(trip)
    except IntegrityError:
        return False
    return True


def _create(trip: Trip) -> None:
    if trip.vehicle_id is None:
        return
    company = trip.route.company
    places = []
    for class_code, seats in vehicle_seats(trip.vehicle_id).items():
        trip_class = TripClass.objects.create(trip=trip, class_code=class_code, seats=len(seats))
        places.extend(class_places(trip_class, seats, class_quotas(company, class_code, seats)))
    Place.objects.bulk_create(places, batch_size=2_000)
