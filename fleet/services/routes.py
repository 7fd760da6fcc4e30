"""Routes and their stops: creation, and the checks the admin's route form shares."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..exceptions import RouteInService
from ..models import ALL_DAYS, Company, Route, RouteStop, Station, Trip, Vehicle
from .trips import IN_SERVICE


def route_create(
    *,
    company: Company,
    code: str,
    number: str,
    name: str,
    departure_times: str,
    stops: list[tuple[Station, float, int | None, int | None]],
    running_days: int = ALL_DAYS,
    valid_from: date | None = None,
    valid_to: date | None = None,
    default_vehicle: Vehicle | None = None,
) -> Route:
    """A route with its stops, given as (station, km from the first stop, arrival offset,
    departure offset) in order; offsets in minutes after the first departure.

    Validates the route's fields and its stops (route_stops_validate): ValidationError.
    """
    stop_rows = [
        {
            "sequence": i,
            "station": station,
            "distance_km": Decimal(str(km)),
            "arrival_offset": arrival,
            "departure_offset": departure,
        }
        for i, (station, km, arrival, departure) in enumerate(stops, start=1)
    ]
    route_stops_validate(stop_rows)
    if default_vehicle is not None and default_vehicle.company_id != company.pk:
        raise ValidationError({"default_vehicle": _("Choose a vehicle of this company.")})
    route = Route(
        company=company,
        code=code,
        number=number,
        name=name,
        departure_times=departure_times,
        running_days=running_days,
        valid_from=valid_from,
        valid_to=valid_to,
        default_vehicle=default_vehicle,
    )
    route.full_clean()
    with transaction.atomic():
        route.save()
        RouteStop.objects.bulk_create(RouteStop(route=route, **row) for row in stop_rows)
    return route


def route_check_editable(*, route: Route) -> None:
    """Raise RouteInService while a trip of `route` is boarding or on its way: its times come
    from the route's stops, so they must not move under it."""
    if route.pk and Trip.objects.filter(route=route, status__in=IN_SERVICE).exists():
        raise RouteInService()


def route_stops_validate(stops: list[dict]) -> None:
    """Check one route's stops, given in sequence order as dicts of RouteStop fields.

    The first stop needs a departure, the last an arrival, the others both; times and
    distances never go backwards. Raises ValidationError naming the stop at fault.
    """
    if len(stops) < 2:
        raise ValidationError(_("A route needs at least two stops."))
    previous_time, previous_distance = -1, -1
    for index, stop in enumerate(stops):
        number = stop.get("sequence", index + 1)
        arrival, departure = stop.get("arrival_offset"), stop.get("departure_offset")
        if index == 0 and departure is None:
            raise ValidationError(
                _("Stop {number}: the first stop needs a departure time.").format(number=number)
            )
        if index == len(stops) - 1 and arrival is None:
            raise ValidationError(
                _("Stop {number}: the last stop needs an arrival time.").format(number=number)
            )
        if 0 < index < len(stops) - 1 and (arrival is None or departure is None):
            raise ValidationError(
                _("Stop {number}: an intermediate stop needs both times.").format(number=number)
            )
        if index == 0 and departure != 0:
            raise ValidationError(
                _(
                    "Stop {number}: times count from the first stop's departure, "
                    "so its departure offset is 0."
                ).format(number=number)
            )
        for value in (arrival, departure):
            if value is None:
                continue
            if value < previous_time:
                raise ValidationError(
                    _(
                        "Stop {number}: times must not go backwards "
                        "({value} min after {previous} min)."
                    ).format(number=number, value=value, previous=previous_time)
                )
            previous_time = value
        distance = stop.get("distance_km") or 0
        if distance < previous_distance:
            raise ValidationError(
                _("Stop {number}: the distance must not decrease.").format(number=number)
            )
        previous_distance = distance
