"""A trip's status machine and its edits (vehicle, drivers, deletion), each under the trip's
row lock, recorded as TripEvents and in the audit trail."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ttms.accounts.models import Role
from ttms.audit.services import audit_record
from ttms.localtime import local_datetime

from ..exceptions import InvalidStatusTransition, TripLocked
from ..locks import lock_trip
from ..models import CompanyMembership, Trip, TripEvent, TripStatus, Vehicle
from ..sales import seats_on_sale, seats_sold
from .assignments import assignment_check

Status = TripStatus

# The status machine: SCHEDULED -> BOARDING -> DEPARTED -> ARRIVED, CANCELLED before leaving.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.SCHEDULED: frozenset({Status.BOARDING, Status.CANCELLED}),
    Status.BOARDING: frozenset({Status.DEPARTED, Status.CANCELLED}),
    Status.DEPARTED: frozenset({Status.ARRIVED}),
    Status.ARRIVED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# Trips "on the way": their route and vehicle must not change under them.
IN_SERVICE = (Status.BOARDING, Status.DEPARTED)

_UNSET = object()

# Once the booking app sells a trip's seats, fleet alone can neither cancel the trip (its
# passengers would keep their money in limbo) nor move it to another vehicle (the seats
# sold are the vehicle's): these point to the booking app's operations that do both.
TRIP_CANCEL_NEEDED = gettext_lazy(
    "Seats of this trip are on sale; cancel it with the trip cancellation "
    '("Cancel" in the admin, POST operator/trips/<id>/status/ in the API), '
    "which also cancels and refunds its bookings."
)
VEHICLE_SWAP_NEEDED = gettext_lazy(
    "Seats of this trip are already sold on its vehicle; change it with a "
    'vehicle swap ("Swap vehicle" in the admin, POST '
    "operator/trips/<id>/vehicle/ in the API), which moves the passengers "
    "to the new vehicle's seats."
)


def trip_locked_message(trip: Trip) -> str:
    """What a user is told when they try to change a departed, arrived or cancelled trip."""
    names = {
        "number": trip.route.number,
        "date": f"{trip.service_date:%d %b %Y}",
        "when": local_datetime(
            trip.status_changed_at or trip.departure_at, trip.route.company.time_zone
        ),
    }
    if trip.status == Status.CANCELLED:
        message = _(
            "Trip {number} of {date} was cancelled on {when}; "
            "a cancelled trip can no longer be changed."
        )
    elif trip.status == Status.ARRIVED:
        message = _(
            "Trip {number} of {date} arrived on {when}; a completed trip can no longer be changed."
        )
    else:
        message = _(
            "Trip {number} of {date} departed on {when}; a departed trip can no longer be changed."
        )
    return message.format(**names)


def _event(
    trip: Trip,
    *,
    action: str,
    by,
    reason: str = "",
    from_status: str = "",
    to_status: str = "",
    details: dict | None = None,
) -> None:
    TripEvent.objects.create(
        trip=trip,
        action=action,
        by=by if getattr(by, "pk", None) else None,
        reason=reason[:300],
        from_status=from_status,
        to_status=to_status,
        details=details or {},
    )


def trip_transition(*, trip: Trip, to_status: str, by=None, reason: str = "") -> Trip:
    """Move a trip along SCHEDULED -> BOARDING -> DEPARTED -> ARRIVED, or cancel it before it
    departs. Cancelling needs a reason (passengers are told).

    Locks the trip row, re-checks its status inside the lock and records a
    TripEvent. Raises TripLocked once the trip has departed (except to mark it arrived),
    arrived or been cancelled; InvalidStatusTransition for any other move the machine does
    not allow, and for cancelling a trip whose seats are on sale (the booking app's
    `trip_cancel` closes them and refunds every booking, then calls this); ValidationError
    for an unknown status or a missing reason.
    """
    if to_status not in Status.values:
        raise ValidationError(
            {"status": _("{status!r} is not a trip status.").format(status=to_status)}
        )
    reason = (reason or "").strip()
    if to_status == Status.CANCELLED and not reason:
        raise ValidationError({"reason": _("Say why the trip is cancelled; passengers are told.")})
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        current = locked.status
        if to_status not in TRANSITIONS[current]:
            if locked.is_locked:
                raise TripLocked(trip_locked_message(locked))
            allowed = ", ".join(Status(s).label.lower() for s in sorted(TRANSITIONS[current]))
            raise InvalidStatusTransition(
                _("A {current} trip cannot become {status}; it can become: {allowed}.").format(
                    current=Status(current).label.lower(),
                    status=Status(to_status).label.lower(),
                    allowed=allowed,
                )
            )
        # Seats on sale mean passengers who would be left unrefunded.
        if to_status == Status.CANCELLED and seats_on_sale(trip_id=locked.pk):
            raise InvalidStatusTransition(TRIP_CANCEL_NEEDED)
        locked.status = to_status
        locked.status_changed_at = timezone.now()
        locked.save(update_fields=["status", "status_changed_at"])
        _event(
            locked, action="status", by=by, reason=reason, from_status=current, to_status=to_status
        )
        audit_record(
            actor=by,
            action="trip.cancelled" if to_status == Status.CANCELLED else "trip.status_changed",
            target=locked,
            data={"from": current, "to": to_status, "reason": reason},
        )
    return locked


def trip_start_boarding(*, trip: Trip, by=None) -> Trip:
    return trip_transition(trip=trip, to_status=Status.BOARDING, by=by)


def trip_depart(*, trip: Trip, by=None) -> Trip:
    return trip_transition(trip=trip, to_status=Status.DEPARTED, by=by)


def trip_arrive(*, trip: Trip, by=None) -> Trip:
    return trip_transition(trip=trip, to_status=Status.ARRIVED, by=by)


def trip_mark_cancelled(*, trip: Trip, by=None, reason: str) -> Trip:
    return trip_transition(trip=trip, to_status=Status.CANCELLED, by=by, reason=reason)


# The way a trip runs, in order (cancelling leaves it).
WAY = [Status.SCHEDULED, Status.BOARDING, Status.DEPARTED, Status.ARRIVED]


def trip_advance(*, trip: Trip, to_status: str, via: tuple[str, ...] = (), by=None) -> Trip:
    """Move a trip forward to `to_status`, through the statuses `via` first, skipping any
    step the trip has reached or passed: asked again (a retry over a flaky network, two
    taps), it changes nothing. Decided under the trip's row lock; anything else the status
    machine refuses as `trip_transition` does (TripLocked, InvalidStatusTransition)."""
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        for status in (*via, to_status):
            if locked.status in WAY and WAY.index(locked.status) >= WAY.index(status):
                continue
            locked = trip_transition(trip=locked, to_status=status, by=by)
    return locked


def _check_drivers(company_id: int, drivers: list) -> None:
    driver_ids = {d.pk for d in drivers}
    members = set(
        CompanyMembership.objects.filter(
            company_id=company_id,
            role=Role.DRIVER,
            user_id__in=driver_ids,
        ).values_list("user_id", flat=True)
    )
    # One message whatever the ids are: naming them would tell staff who else has an account.
    if driver_ids - members:
        raise ValidationError({"drivers": _("Not a driver of this company.")})


def trip_update(*, trip: Trip, by=None, vehicle=_UNSET, drivers=_UNSET, reason: str = "") -> Trip:
    """Change the vehicle and/or drivers of a trip that has not departed.

    Locks the trip row; refuses with TripLocked once it has departed, arrived or been
    cancelled. The vehicle must be an active one of the route's company, the drivers its
    drivers (ValidationError otherwise). A vehicle or driver it adds must be on no other
    trip at an overlapping time, turnaround included (`assignment_check`, under their row
    locks: AssignmentConflict naming the other trip). Records what changed as a TripEvent.

    The vehicle of a trip that has sold seats (its seat inventory exists) is not changed
    here (ValidationError on vehicle): the booking app's vehicle swap moves the passengers
    to the new vehicle's seats and then calls `trip_vehicle_set`.
    """
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        if locked.is_locked:
            raise TripLocked(trip_locked_message(locked))
        company_id = locked.route.company_id
        details = {}
        if (
            vehicle is not _UNSET
            and vehicle is not None
            and (vehicle.company_id != company_id or not vehicle.is_active)
        ):
            raise ValidationError({"vehicle": _("Choose an active vehicle of this company.")})
        if drivers is not _UNSET:
            drivers = list(drivers)
            _check_drivers(company_id, drivers)
        new_vehicle = (
            vehicle is not _UNSET and (vehicle.pk if vehicle else None) != locked.vehicle_id
        )
        # Seats sold belong to the current vehicle.
        if new_vehicle and seats_sold(trip_id=locked.pk):
            raise ValidationError({"vehicle": VEHICLE_SWAP_NEEDED})
        # Only what this change adds is checked: a conflict already there (the report
        # lists it) blocks neither an unrelated edit nor the one that resolves it.
        current = (
            set(locked.drivers.values_list("pk", flat=True)) if drivers is not _UNSET else set()
        )
        assignment_check(
            vehicle=vehicle if new_vehicle else None,
            drivers=[d for d in drivers if d.pk not in current] if drivers is not _UNSET else (),
            departure_at=locked.departure_at,
            arrival_at=locked.arrival_at,
            exclude_trip_id=locked.pk,
        )
        if new_vehicle:
            details["vehicle"] = [locked.vehicle_id, vehicle.pk if vehicle else None]
            locked.vehicle = vehicle
            locked.save(update_fields=["vehicle"])
        if drivers is not _UNSET:
            before = current
            after = {d.pk for d in drivers}
            if before != after:
                details["drivers"] = [sorted(before), sorted(after)]
                locked.drivers.set(drivers)
        if details:
            _event(locked, action="update", by=by, reason=reason, details=details)
            audit_record(
                actor=by, action="trip.updated", target=locked, data={**details, "reason": reason}
            )
    return locked


def trip_vehicle_set(
    *, trip: Trip, vehicle: Vehicle, by=None, reason: str = "", details: dict | None = None
) -> Trip:
    """Put `vehicle` on a trip that has not departed and record it (a TripEvent
    "vehicle_swap" whose details hold the vehicles before and after, plus `details`).

    For the booking app's vehicle swap, which moves the trip's seat inventory in the same
    transaction, holding the trip's row lock; everything else changes vehicles through
    `trip_update`, which refuses once seats are sold. Locks the trip row (again:
    re-entrant in one transaction); raises TripLocked once the trip has departed, arrived
    or been cancelled, ValidationError when `vehicle` is not an active one of the route's
    company, AssignmentConflict when it is on another trip at an overlapping time
    (`assignment_check`, under the vehicle's row lock).
    """
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        if locked.is_locked:
            raise TripLocked(trip_locked_message(locked))
        if vehicle.company_id != locked.route.company_id or not vehicle.is_active:
            raise ValidationError({"vehicle": _("Choose an active vehicle of this company.")})
        if vehicle.pk != locked.vehicle_id:
            assignment_check(
                vehicle=vehicle,
                departure_at=locked.departure_at,
                arrival_at=locked.arrival_at,
                exclude_trip_id=locked.pk,
            )
        before = locked.vehicle_id
        locked.vehicle = vehicle
        locked.save(update_fields=["vehicle"])
        _event(
            locked,
            action="vehicle_swap",
            by=by,
            reason=reason,
            details={"vehicle": [before, vehicle.pk], **(details or {})},
        )
        audit_record(
            actor=by,
            action="trip.vehicle_swapped",
            target=locked,
            data={"vehicle": [before, vehicle.pk], "reason": reason, **(details or {})},
        )
    return locked


def trip_delete(*, trip: Trip, by=None) -> None:
    """Delete a trip that has not departed (a mistake of planning; cancel it instead once
    passengers may hold tickets). Raises TripLocked once it has departed or ended."""
    with transaction.atomic():
        locked = lock_trip(trip.pk)
        if locked.is_locked:
            raise TripLocked(trip_locked_message(locked))
        audit_record(
            actor=by,
            action="trip.deleted",
            target=locked,
            data={
                "route": locked.route.number,
                "service_date": locked.service_date.isoformat(),
                "departure_at": locked.departure_at.isoformat(),
            },
        )
        locked.delete()
