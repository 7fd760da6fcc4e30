"""The overlap rule of assignments: a vehicle or a driver is never on two trips at once.

`assignment_check` is the one check every path that puts a vehicle or a driver on a trip
makes (the admin and the operator API through `trip_update`, the vehicle swap through
`trip_vehicle_set`, the demo rota); trip generation, which writes trips in bulk, applies the
same rule (`fleet.conflicts`) to the route's default vehicle itself.
"""

from collections.abc import Iterable
from datetime import datetime

from ..conflicts import VEHICLE, assignment_conflicts
from ..exceptions import AssignmentConflict
from ..locks import lock_assignees


def assignment_check(
    *,
    vehicle=None,
    drivers: Iterable = (),
    departure_at: datetime,
    arrival_at: datetime,
    exclude_trip_id: int | None = None,
) -> None:
    """Refuse to put `vehicle` and `drivers` on a trip leaving at `departure_at` and arriving
    at `arrival_at` (the trip `exclude_trip_id` itself left out) when any of them is on
    another trip, not cancelled, whose times overlap once TTMS_TURNAROUND_MINUTES is added
    to each arrival.

    Must run inside the caller's transaction, after the trip's row lock: locks the
    vehicle's row, then the drivers' in pk order (`lock_assignees`), and reads under them,
    so of two assignments racing for the same vehicle or driver the second sees the first.
    Raises AssignmentConflict naming every other trip (route number, local departure and
    arrival with the zone, the vehicle or driver), its `fields` the vehicle's or drivers'
    messages; Busy when a lock is not granted in time.
    """
    drivers = list(drivers)
    if vehicle is None and not drivers:
        return
    lock_assignees(
        vehicle_ids=[vehicle.pk] if vehicle is not None else [],
        driver_ids=[d.pk for d in drivers],
    )
    conflicts = assignment_conflicts(
        vehicle=vehicle,
        drivers=drivers,
        departure_at=departure_at,
        arrival_at=arrival_at,
        exclude_trip_id=exclude_trip_id,
    )
    if not conflicts:
        return
    fields: dict[str, list[str]] = {}
    for conflict in conflicts:
        field = "vehicle" if conflict.kind == VEHICLE else "drivers"
        fields.setdefault(field, []).append(conflict.message)
    raise AssignmentConflict(" ".join(c.message for c in conflicts), fields=fields)
