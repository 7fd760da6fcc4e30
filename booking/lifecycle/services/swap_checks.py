"""Why a trip's vehicle cannot be swapped: the checks made under the trip's lock before
anything moves (`swap_check`), and the refusal naming each class the new vehicle is too
small for or lacks (`swap_refusal`)."""

from django.utils.translation import gettext

from fleet.exceptions import TripLocked
from fleet.models import Trip, Vehicle
from fleet.services import trip_locked_message
from fleet.services.assignments import assignment_check

from ...exceptions import VehicleSwapRefused
from ...models import TripClass
from ..reseating import Shortfall


def swap_check(trip: Trip, trip_classes: list[TripClass], vehicle: Vehicle) -> None:
    """Raises TripLocked or VehicleSwapRefused when `vehicle` cannot replace the trip's:
    another company's, inactive, the chart prepared, or the same vehicle; and
    AssignmentConflict, naming the other trip, when it is on another trip at an
    overlapping time (fleet's `assignment_check`, which takes the vehicle's row lock after
    the trip's, and holds it until the swap commits)."""
    if trip.is_locked:
        raise TripLocked(trip_locked_message(trip))
    company = trip.route.company
    if vehicle.company_id != company.pk:
        raise VehicleSwapRefused(
            gettext("{vehicle} is not a vehicle of {company}.").format(
                vehicle=vehicle.code, company=company.name
            ),
            fields={"vehicle": [gettext("Choose a vehicle of this company.")]},
        )
    if not vehicle.is_active:
        raise VehicleSwapRefused(
            gettext("{vehicle} is not in service (inactive).").format(vehicle=vehicle.code),
            fields={"vehicle": [gettext("Choose an active vehicle.")]},
        )
    if any(tc.charted_at for tc in trip_classes):
        raise VehicleSwapRefused(
            gettext(
                "The chart of trip {number} of {date} is prepared: its berths are printed and "
                "cannot move to another vehicle."
            ).format(number=trip.route.number, date=f"{trip.service_date:%d %b %Y}")
        )
    if vehicle.pk == trip.vehicle_id:
        raise VehicleSwapRefused(
            gettext("Trip {number} of {date} already runs with {vehicle}.").format(
                number=trip.route.number,
                date=f"{trip.service_date:%d %b %Y}",
                vehicle=vehicle.code,
            ),
            fields={"vehicle": [gettext("Choose another vehicle.")]},
        )
    assignment_check(
        vehicle=vehicle,
        departure_at=trip.departure_at,
        arrival_at=trip.arrival_at,
        exclude_trip_id=trip.pk,
    )


def swap_refusal(trip: Trip, vehicle: Vehicle, problems: list[Shortfall]) -> str:
    """Why the trip cannot move to `vehicle`, a clause per class it is too small for."""
    stops = list(trip.route.stops.order_by("sequence").values_list("station__name", flat=True))

    def leg(index: int) -> str:
        return f"{stops[index]} → {stops[index + 1]}"

    parts = []
    for p in problems:
        if p.kind == "seats":
            parts.append(
                gettext(
                    "{class_code}: {need} seats are sold on the busiest leg ({leg}), "
                    "{vehicle} has {have}"
                ).format(
                    class_code=p.class_code,
                    need=p.need,
                    leg=leg(p.leg),
                    vehicle=vehicle.code,
                    have=p.have,
                )
            )
        elif p.kind == "rac":
            parts.append(
                gettext(
                    "{class_code}: {need} RAC passengers ride on the busiest leg ({leg}), "
                    "{vehicle} has {have} RAC half berths"
                ).format(
                    class_code=p.class_code,
                    need=p.need,
                    leg=leg(p.leg),
                    vehicle=vehicle.code,
                    have=p.have,
                )
            )
        elif p.kind == "upgrade":
            parts.append(
                gettext(
                    "{class_code}: {need} passengers hold or wait for seats, "
                    "{vehicle} has no {class_code} seats and no better class with room "
                    "for them"
                ).format(class_code=p.class_code, need=p.need, vehicle=vehicle.code)
            )
        else:
            parts.append(
                gettext(
                    "{class_code}: {need} passengers hold or wait for seats, "
                    "{vehicle} has no {class_code} seats"
                ).format(class_code=p.class_code, need=p.need, vehicle=vehicle.code)
            )
    return gettext(
        "Trip {number} of {date} cannot move to {vehicle}: {problems}. Nothing was changed."
    ).format(
        number=trip.route.number,
        date=f"{trip.service_date:%d %b %Y}",
        vehicle=vehicle.code,
        problems="; ".join(parts),
    )
