"""Operator changes to a whole trip that carry its bookings along: cancelling the trip (every
PNR refunded in full) and swapping its vehicle (passengers moved to the new seats).

Locks (`_lock_trip`): the trip's row (`fleet.locks.lock_schedule`, FOR NO KEY UPDATE, which
a booking inserting a PNR of the trip does not wait for), then its classes by primary key; a
first booking creates the classes under the row's lock (`inventory_ensure`), so none appears
meanwhile. A PNR's cancellation (PNR, wallet, trip class) runs in its own transaction, never
while a trip class lock is held here.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from fleet.exceptions import TripLocked
from fleet.locks import lock_schedule
from fleet.models import Schedule, ScheduleStatus, Vehicle
from fleet.services import (
    schedule_cancel,
    schedule_transition,
    schedule_vehicle_set,
    trip_locked_message,
)
from ttms.accounts.models import User
from ttms.notifications.services import Message, outbox_add

from .. import rules
from ..exceptions import AlreadyCancelled, Busy, VehicleSwapRefused
from ..inventory import class_places, class_quotas, vehicle_seats
from ..locks import bound_lock_waits, lock_timeouts_as_busy
from ..models import (
    ACTIVE_STATUSES,
    SEATED_STATUSES,
    Cancellation,
    Passenger,
    PassengerStatus,
    Place,
    Pnr,
    Promotion,
    TripClass,
)
from ..selectors import trip_cancellation_reason
from .cancellation import booking_cancel
from .promotion import promotion_enqueue


def _lock_trip(schedule_id: int) -> tuple[Schedule, list[TripClass]]:
    """Lock the trip's row, then every class of it (by pk); return both, fresh. Must run
    inside a transaction."""
    schedule = lock_schedule(schedule_id)
    trip_classes = list(
        TripClass.objects.select_for_update(of=("self",))
        .filter(schedule_id=schedule_id)
        .order_by("pk")
    )
    return schedule, trip_classes


# --- Trip cancellation ------------------------------------------------------------------------


@dataclass
class TripCancelResult:
    """What `trip_cancel` did: the trip, whether it was already cancelled (this call only
    finished cancelling its bookings), the PNR cancellations it made, and the PNRs it could
    not cancel yet (busy: call it again)."""

    schedule: Schedule
    resumed: bool
    reason: str
    cancellations: list[Cancellation] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    @property
    def refunded(self) -> int:
        return sum(c.refund for c in self.cancellations)


def trip_cancel(
    *, schedule: Schedule, by: User | None, reason: str, now: datetime | None = None
) -> TripCancelResult:
    """Cancel a trip before it departs, and every booking on it with a full refund.

    1. One transaction: every class of the trip locked (by pk), then the trip's row
       (`_lock_trip`); every class `closed`, so a booking not yet committed is refused
       under its class lock and every committed one is visible to step 2; fleet's
       `schedule_cancel` (status CANCELLED and its ScheduleEvent; refused once the trip
       has departed). A trip nobody has booked has no classes: its first booking creates
       them under the row's lock, and is refused there once the trip is cancelled.
    2. Each PNR of the trip with active passengers is cancelled by `booking_cancel` (cause
       trip_cancelled: the whole fare back to where it came from), in its own transaction,
       together with one "trip.cancelled" outbox message to the PNR's holder carrying the
       reason (booking_cancel also writes its "pnr.cancelled" with the refund).

    Idempotent and resumable: on a trip already cancelled, step 1 only makes sure its
    classes are closed and step 2 cancels whatever is still active (a crash, or a PNR that
    was busy, between the two), telling passengers the reason recorded with the
    cancellation. A second call pays nothing twice: cancelled passengers are skipped.

    Raises TripLocked (departed or arrived), ValidationError (no reason), Busy (the trip or
    a class is locked too long: nothing written). A PNR that stays busy in step 2 is left
    active and listed in `pending`.
    """
    now = now or timezone.now()
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        locked, trip_classes = _lock_trip(schedule.pk)
        resumed = locked.status == ScheduleStatus.CANCELLED
        # Closed first: fleet refuses to cancel a trip whose seats are still on sale.
        _close_classes(trip_classes)
        if resumed:
            reason = trip_cancellation_reason(locked) or (reason or "").strip()
        else:
            locked = schedule_cancel(schedule=locked, by=by, reason=reason)
            reason = reason.strip()
    result = TripCancelResult(schedule=locked, resumed=resumed, reason=reason)
    pnrs = (
        Pnr.objects.filter(schedule_id=locked.pk, passengers__status__in=ACTIVE_STATUSES)
        .select_related("schedule__route__company", "origin")
        .distinct()
        .order_by("pk")
    )
    for pnr in pnrs:
        try:
            with transaction.atomic():
                cancellation = booking_cancel(
                    pnr=pnr, by=by, cause=Cancellation.Cause.TRIP_CANCELLED, now=now
                )
                outbox_add(
                    messages=[_trip_cancelled_message(locked, pnr, cancellation, reason)], now=now
                )
        except AlreadyCancelled:
            continue  # cancelled meanwhile (by its holder, or a concurrent sweep)
        except Busy:
            result.pending.append(pnr.number)
            continue
        result.cancellations.append(cancellation)
    return result


@dataclass
class TripStatusChange:
    """What `trip_status_change` did: the trip as it is now, and, when the change cancelled
    it, what the cancellation did to its bookings (None otherwise)."""

    schedule: Schedule
    cancel: TripCancelResult | None = None


def trip_status_change(
    *, schedule: Schedule, to_status: str, by: User | None, reason: str = ""
) -> TripStatusChange:
    """An operator's change of a trip's status, from the admin or the operator API: the one
    place that decides how. Cancelling is `trip_cancel` (every booking cancelled and refunded
    in full, passengers told `reason`; resumable on a trip already cancelled); any other
    status is fleet's `schedule_transition` (the status machine, under the trip's row lock).

    Raises what those raise: TripLocked, InvalidStatusTransition, ValidationError (unknown
    status, no reason to cancel), Busy. A PNR left busy by a cancellation is listed in
    `cancel.pending`.
    """
    if to_status == ScheduleStatus.CANCELLED:
        result = trip_cancel(schedule=schedule, by=by, reason=reason)
        return TripStatusChange(schedule=result.schedule, cancel=result)
    changed = schedule_transition(schedule=schedule, to_status=to_status, by=by, reason=reason)
    return TripStatusChange(schedule=changed)


def _close_classes(trip_classes: list[TripClass]) -> None:
    """Close every class of the trip (and clear a promotion still due: a closed class
    promotes nobody). Called with the classes locked. A trip without classes needs none:
    its first booking would create them under the row's lock, and refuses a cancelled
    trip there (`inventory_ensure`)."""
    TripClass.objects.filter(pk__in=[tc.pk for tc in trip_classes]).update(
        closed=True, promotion_due=False
    )


def _trip_cancelled_message(
    schedule: Schedule, pnr: Pnr, cancellation: Cancellation, reason: str
) -> Message:
    return Message(
        topic="trip.cancelled",
        user_id=pnr.user_id,
        payload={
            "pnr": pnr.number,
            "trip": schedule.pk,
            "number": schedule.route.number,
            "service_date": schedule.service_date.isoformat(),
            "reason": reason,
            "refund": cancellation.refund,
            "passengers": [line["index"] for line in cancellation.lines],
        },
    )


# --- Vehicle swap -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rider:
    """A seated (CNF or RAC) passenger, as reseating sees them: the legs they ride and the
    place they hold. `half` 0 needs a whole seat; 1 or 2 a half of an RAC berth."""

    passenger_id: int
    mask: int
    half: int
    coach_code: str
    seat_number: str
    on_rac_berth: bool  # a whole (half 0) passenger holding both halves of an RAC berth

    @property
    def first_leg(self) -> int:
        return (self.mask & -self.mask).bit_length() - 1


@dataclass(frozen=True)
class Seating:
    """Where reseating put one rider: a seat of the new vehicle and the half held."""

    seat: rules.SeatRow
    half: int

    @property
    def keys(self) -> tuple[tuple[int, int], ...]:
        """The places held: a whole RAC berth holds both its halves."""
        if self.seat.is_rac and self.half == 0:
            return ((self.seat.seat_id, 1), (self.seat.seat_id, 2))
        return ((self.seat.seat_id, self.half),)


@dataclass(frozen=True)
class Shortfall:
    """A class the new vehicle cannot carry: `need` places on its busiest leg (`leg`), it
    has `have`. `kind` is "seats" (whole seats) or "rac" (RAC half berths), or "class"
    when the vehicle lacks the class altogether (`need`: passengers holding or waiting)."""

    class_code: str
    kind: str
    need: int
    have: int
    leg: int | None = None


def peak(riders: Iterable[Rider]) -> tuple[int, int | None]:
    """The most riders on one leg, and the first leg where it is reached."""
    per_leg: Counter[int] = Counter()
    for rider in riders:
        mask, leg = rider.mask, 0
        while mask:
            if mask & 1:
                per_leg[leg] += 1
            mask >>= 1
            leg += 1
    if not per_leg:
        return 0, None
    most = max(per_leg.values())
    return most, min(leg for leg, count in per_leg.items() if count == most)


def shortfalls(
    class_code: str, riders: Sequence[Rider], seats: Sequence[rules.SeatRow]
) -> list[Shortfall]:
    """Whether one class's seated passengers fit the new vehicle's seats of the class: the
    whole-seat passengers at their busiest leg within its seats that are not RAC berths,
    the RAC passengers at theirs within its RAC half berths, counted separately."""
    problems = []
    whole, whole_leg = peak(r for r in riders if r.half == 0)
    plain = sum(1 for s in seats if not s.is_rac)
    if whole > plain:
        problems.append(Shortfall(class_code, "seats", whole, plain, whole_leg))
    rac, rac_leg = peak(r for r in riders if r.half)
    halves = 2 * sum(1 for s in seats if s.is_rac)
    if rac > halves:
        problems.append(Shortfall(class_code, "rac", rac, halves, rac_leg))
    return problems


def reseat(
    riders: Sequence[Rider], seats: Sequence[rules.SeatRow]
) -> tuple[dict[int, Seating], bool]:
    """Seat one class's riders on the new vehicle's seats of that class, deterministically.

    First every rider whose coach code and seat number exist in the new layout keeps them,
    on a seat of the right kind (an RAC half on the same half of an RAC berth; a whole
    passenger on a plain seat, or on an RAC berth if they held a whole one). Then the
    others, in booking order (passenger pk), each on the lowest-order place free on all
    their legs: a plain seat, or an RAC half (lowest order, then half). If that leaves
    someone without a place, everyone is seated again from scratch, by boarding leg then
    pk, the same way: placing intervals by their start always succeeds when the busiest
    leg fits (`shortfalls` is empty). Returns (passenger id -> seating, whether everyone
    was seated from scratch); raises VehicleSwapRefused if even that fails.
    """
    seats = sorted(seats, key=lambda s: s.order)
    by_number = {(s.coach_code, s.number): s for s in seats}
    plain = [Seating(s, 0) for s in seats if not s.is_rac]
    halves = [Seating(s, half) for s in seats if s.is_rac for half in (1, 2)]
    ordered = sorted(riders, key=lambda r: r.passenger_id)

    def place(
        seating: dict[int, Seating], occupied: Counter, rider: Rider, candidates: Iterable[Seating]
    ) -> bool:
        for candidate in candidates:
            if all(not occupied[key] & rider.mask for key in candidate.keys):
                for key in candidate.keys:
                    occupied[key] |= rider.mask
                seating[rider.passenger_id] = candidate
                return True
        return False

    seating: dict[int, Seating] = {}
    occupied: Counter = Counter()
    for rider in ordered:
        target = by_number.get((rider.coach_code, rider.seat_number))
        if target is None:
            continue
        if rider.half and target.is_rac:
            kept = Seating(target, rider.half)
        elif not rider.half and (not target.is_rac or rider.on_rac_berth):
            kept = Seating(target, 0)
        else:
            continue
        place(seating, occupied, rider, [kept])
    if all(
        place(seating, occupied, rider, halves if rider.half else plain)
        for rider in ordered
        if rider.passenger_id not in seating
    ):
        return seating, False
    seating, occupied = {}, Counter()
    for rider in sorted(riders, key=lambda r: (r.first_leg, r.passenger_id)):
        if not place(seating, occupied, rider, halves if rider.half else plain):
            raise VehicleSwapRefused(
                "The passengers could not all be seated on the new vehicle; nothing was changed."
            )
    return seating, True


@dataclass(frozen=True)
class Reseat:
    """A passenger who changed place: where they sat, where they sit now."""

    passenger_id: int
    pnr: str
    index: int
    name: str
    class_code: str
    before: rules.Placement
    after: rules.Placement
    half_before: int
    half_after: int


@dataclass
class SwapResult:
    """What `vehicle_swap` did: the trip (now on `vehicle`), the seats of each class on
    the new vehicle, how many seated passengers kept their coach and seat number, who moved
    (each told), and the classes reseated from scratch because keeping numbers would have
    left someone out."""

    schedule: Schedule
    previous_vehicle_id: int | None
    vehicle: Vehicle
    seats: dict[str, int] = field(default_factory=dict)
    kept: int = 0
    reseated: list[Reseat] = field(default_factory=list)
    renumbered_classes: list[str] = field(default_factory=list)


@dataclass
class _ClassPlan:
    trip_class: TripClass
    seats: list[rules.SeatRow]
    riders: list[Rider]
    owners: dict[int, tuple]  # passenger id -> (status, quota, index, name, number, user id)
    before: dict[int, tuple[rules.Placement, int]]
    old_place_ids: list[int]


def vehicle_swap(
    *,
    schedule: Schedule,
    vehicle: Vehicle,
    by: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> SwapResult:
    """Move a trip that has not departed to another vehicle of its company, with its
    passengers (DESIGN.md 5, Bus swap).

    One transaction: every class of the trip locked (by pk), then its row. Refused
    (VehicleSwapRefused, nothing written) unless the vehicle is another active one of the
    trip's company and, class by class, it has whole seats for the most whole-seat
    passengers riding any one leg and RAC half berths for the most RAC passengers on any
    leg, and every class holding or waiting passengers; the message names the class and
    the numbers. TripLocked once the trip has departed, arrived or been cancelled.

    Accepted: the new vehicle's places are created (earmarked by `class_quotas`), the
    passengers reseated (`reseat`: numbers kept where the new layout has them, the rest
    deterministically), the places' legs set from their passengers, the old places deleted,
    `TripClass.seats` updated, classes only the new vehicle has created, classes it lacks
    (nobody on them) removed or, if cancelled PNRs still point at them, emptied and
    closed; the vehicle set through fleet's `schedule_vehicle_set` (its ScheduleEvent);
    each moved passenger told ("passenger.reseated"); and each class marked
    `promotion_due`, with its promotion enqueued on commit, so those waiting move into the
    extra seats. A trip with no inventory yet just changes vehicle. Raises Busy when a
    lock is not granted in time.
    """
    now = now or timezone.now()
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        locked, trip_classes = _lock_trip(schedule.pk)
        _check_swap(locked, trip_classes, vehicle)
        result = SwapResult(schedule=locked, previous_vehicle_id=locked.vehicle_id, vehicle=vehicle)
        new_seats = vehicle_seats(vehicle.pk)
        result.seats = {code: len(seats) for code, seats in new_seats.items()}
        if not trip_classes:
            result.schedule = schedule_vehicle_set(
                schedule=locked,
                vehicle=vehicle,
                by=by,
                reason=reason,
                details={"seats": result.seats},
            )
            return result
        plans, active = _load(trip_classes, new_seats)
        problems = [
            s
            for plan in plans
            for s in shortfalls(plan.trip_class.class_code, plan.riders, plan.seats)
        ]
        problems += [
            Shortfall(tc.class_code, "class", count, 0)
            for tc in trip_classes
            if tc.class_code not in new_seats
            for count in [active.get(tc.pk, 0)]
            if count
        ]
        if problems:
            raise VehicleSwapRefused(
                _refusal(locked, vehicle, problems),
                fields={"vehicle": ["Too small for the seats sold."]},
            )
        company = locked.route.company
        messages = []
        for plan in plans:
            moved = _apply(plan, company, result)
            messages += [
                _reseated_message(r, plan.owners[r.passenger_id][5], vehicle) for r in moved
            ]
        existing = {tc.class_code: tc for tc in trip_classes}
        for class_code, seats in new_seats.items():
            if class_code not in existing:
                trip_class = TripClass.objects.create(
                    schedule=locked, class_code=class_code, seats=len(seats), created_at=now
                )
                Place.objects.bulk_create(
                    class_places(trip_class, seats, class_quotas(company, class_code, seats))
                )
        for trip_class in trip_classes:
            if trip_class.class_code not in new_seats:
                _remove_class(trip_class)
        outbox_add(messages=messages, now=now)
        result.schedule = schedule_vehicle_set(
            schedule=locked,
            vehicle=vehicle,
            by=by,
            reason=reason,
            details={
                "seats": result.seats,
                "kept": result.kept,
                "reseated": len(result.reseated),
                "renumbered": result.renumbered_classes,
            },
        )
    return result


def _check_swap(schedule: Schedule, trip_classes: list[TripClass], vehicle: Vehicle) -> None:
    if schedule.is_locked:
        raise TripLocked(trip_locked_message(schedule))
    company = schedule.route.company
    if vehicle.company_id != company.pk:
        raise VehicleSwapRefused(
            f"{vehicle.code} is not a vehicle of {company.name}.",
            fields={"vehicle": ["Choose a vehicle of this company."]},
        )
    if not vehicle.is_active:
        raise VehicleSwapRefused(
            f"{vehicle.code} is not in service (inactive).",
            fields={"vehicle": ["Choose an active vehicle."]},
        )
    if any(tc.charted_at for tc in trip_classes):
        raise VehicleSwapRefused(
            f"The chart of trip {schedule.route.number} of "
            f"{schedule.service_date:%d %b %Y} is prepared: its berths are printed and "
            "cannot move to another vehicle."
        )
    if vehicle.pk == schedule.vehicle_id:
        raise VehicleSwapRefused(
            f"Trip {schedule.route.number} of "
            f"{schedule.service_date:%d %b %Y} already runs with "
            f"{vehicle.code}.",
            fields={"vehicle": ["Choose another vehicle."]},
        )


def _load(
    trip_classes: list[TripClass], new_seats: dict[str, list[rules.SeatRow]]
) -> tuple[list[_ClassPlan], dict[int, int]]:
    """The classes the new vehicle has, with their seated passengers and old places (two
    queries), and the number of active passengers per class."""
    ids = [tc.pk for tc in trip_classes]
    old: dict[int, dict[int, tuple]] = {}  # class -> seat id -> (coach, number, berth, rac)
    place_ids: dict[int, list[int]] = {}
    for pk, trip_class_id, seat_id, half, coach, number, berth in (
        Place.objects.filter(trip_class_id__in=ids)
        .order_by("pk")
        .values_list(
            "pk", "trip_class_id", "seat_id", "half", "coach_code", "seat_number", "berth_type"
        )
    ):
        old.setdefault(trip_class_id, {})[seat_id] = (coach, number, berth, half != 0)
        place_ids.setdefault(trip_class_id, []).append(pk)
    riders: dict[int, list[Rider]] = {}
    owners: dict[int, dict[int, tuple]] = {}
    before: dict[int, dict[int, tuple]] = {}
    active: Counter[int] = Counter()
    for (
        pk,
        trip_class_id,
        status,
        quota,
        seat_id,
        half,
        index,
        name,
        number,
        user_id,
        low,
        high,
    ) in (
        Passenger.objects.filter(trip_class_id__in=ids, status__in=ACTIVE_STATUSES)
        .order_by("pk")
        .values_list(
            "pk",
            "trip_class_id",
            "status",
            "quota",
            "seat_id",
            "half",
            "index",
            "name",
            "pnr__number",
            "pnr__user_id",
            "pnr__legs_low",
            "pnr__legs_high",
        )
    ):
        active[trip_class_id] += 1
        if status not in SEATED_STATUSES:
            continue
        coach, seat_number, berth, is_rac = old[trip_class_id][seat_id]
        riders.setdefault(trip_class_id, []).append(
            Rider(pk, rules.join_mask(low, high), half, coach, seat_number, is_rac and half == 0)
        )
        owners.setdefault(trip_class_id, {})[pk] = (status, quota, index, name, number, user_id)
        before.setdefault(trip_class_id, {})[pk] = (
            rules.Placement(coach, seat_number, berth),
            half,
        )
    plans = [
        _ClassPlan(
            tc,
            new_seats[tc.class_code],
            riders.get(tc.pk, []),
            owners.get(tc.pk, {}),
            before.get(tc.pk, {}),
            place_ids.get(tc.pk, []),
        )
        for tc in trip_classes
        if tc.class_code in new_seats
    ]
    return plans, dict(active)


def _refusal(schedule: Schedule, vehicle: Vehicle, problems: list[Shortfall]) -> str:
    stops = list(schedule.route.stops.order_by("sequence").values_list("station__name", flat=True))

    def leg(index: int) -> str:
        return f"{stops[index]} → {stops[index + 1]}"

    parts = []
    for p in problems:
        if p.kind == "seats":
            parts.append(
                f"{p.class_code}: {p.need} seats are sold on the busiest leg "
                f"({leg(p.leg)}), {vehicle.code} has {p.have}"
            )
        elif p.kind == "rac":
            parts.append(
                f"{p.class_code}: {p.need} RAC passengers ride on the busiest leg "
                f"({leg(p.leg)}), {vehicle.code} has {p.have} RAC half berths"
            )
        else:
            parts.append(
                f"{p.class_code}: {p.need} passengers hold or wait for seats, "
                f"{vehicle.code} has no {p.class_code} seats"
            )
    return (
        f"Trip {schedule.route.number} of {schedule.service_date:%d %b %Y} cannot move "
        f"to {vehicle.code}: {'; '.join(parts)}. Nothing was changed."
    )


def _apply(plan: _ClassPlan, company, result: SwapResult) -> list[Reseat]:
    """Write one class's move: new places with their legs, passengers on them, old places
    gone, the class's seat count, and its promotion due. Returns who moved."""
    trip_class = plan.trip_class
    class_code = trip_class.class_code
    seating, from_scratch = reseat(plan.riders, plan.seats)
    if from_scratch:
        result.renumbered_classes.append(class_code)
    places = class_places(trip_class, plan.seats, class_quotas(company, class_code, plan.seats))
    by_key = {(p.seat_id, p.half): p for p in places}
    masks = {r.passenger_id: r.mask for r in plan.riders}
    passengers, moved = [], []
    for passenger_id, seat in seating.items():
        for key in seat.keys:
            place = by_key[key]
            low, high = rules.split_mask(
                rules.join_mask(place.legs_low, place.legs_high) | masks[passenger_id]
            )
            place.legs_low, place.legs_high = low, high
        status, quota, index, name, number, _ = plan.owners[passenger_id]
        if status == PassengerStatus.CONFIRMED and seat.half == 0 and not seat.seat.is_rac:
            quota = by_key[seat.keys[0]].quota  # a confirmed passenger's pool is their seat's
        passengers.append(
            Passenger(pk=passenger_id, seat_id=seat.seat.seat_id, half=seat.half, quota=quota)
        )
        placement, half = plan.before[passenger_id]
        after = rules.Placement(seat.seat.coach_code, seat.seat.number, seat.seat.berth_type)
        if (placement.coach, placement.seat, half) == (after.coach, after.seat, seat.half):
            result.kept += 1
            continue
        moved.append(
            Reseat(passenger_id, number, index, name, class_code, placement, after, half, seat.half)
        )
    Place.objects.filter(pk__in=plan.old_place_ids).delete()
    Place.objects.bulk_create(places, batch_size=2_000)
    Passenger.objects.bulk_update(passengers, ["seat", "half", "quota"], batch_size=2_000)
    TripClass.objects.filter(pk=trip_class.pk).update(
        seats=len(plan.seats), promotion_due=True, closed=False
    )
    promotion_enqueue(trip_class.pk, Promotion.Cause.VEHICLE_SWAP)
    moved.sort(key=lambda r: r.passenger_id)
    result.reseated += moved
    return moved


def _remove_class(trip_class: TripClass) -> None:
    """A class the new vehicle lacks (nobody holds or waits for it): gone, or, if cancelled
    PNRs still point at it, left empty and closed to bookings."""
    Place.objects.filter(trip_class=trip_class).delete()
    if Pnr.objects.filter(trip_class=trip_class).exists():
        TripClass.objects.filter(pk=trip_class.pk).update(seats=0, closed=True, promotion_due=False)
    else:
        trip_class.delete()


def _reseated_message(move: Reseat, user_id: int, vehicle: Vehicle) -> Message:
    def where(placement: rules.Placement, half: int) -> dict:
        return {
            "coach": placement.coach,
            "seat": placement.seat,
            "berth": placement.berth_type,
            "half": half,
        }

    return Message(
        topic="passenger.reseated",
        user_id=user_id,
        payload={
            "pnr": move.pnr,
            "passenger": move.index,
            "name": move.name,
            "class": move.class_code,
            "vehicle": vehicle.code,
            "from": where(move.before, move.half_before),
            "to": where(move.after, move.half_after),
        },
    )
