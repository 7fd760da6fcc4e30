"""Swapping a trip's vehicle: its seated passengers carried to the new vehicle's seats
(`lifecycle.reseating`), each one moved told.

Locks: as a trip's cancellation (`booking.locks.trip_lock`): the trip's row, then its
classes by primary key.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from fleet.models import Company, TravelClass, Trip, TripEvent, Vehicle
from fleet.services import (
    trip_vehicle_set,
)
from ttms.accounts.models import User
from ttms.notifications.services import Message, outbox_add

from ... import rules
from ...exceptions import VehicleSwapRefused
from ...locks import bound_lock_waits, lock_timeouts_as_busy, trip_lock
from ...models import (
    ACTIVE_STATUSES,
    SEATED_STATUSES,
    Passenger,
    PassengerStatus,
    Place,
    Pnr,
    Promotion,
    TripClass,
)
from ...sales.inventory import class_places, class_quotas, vehicle_seats
from ..reseating import Rider, Shortfall, reseat, shortfalls
from .promotion import promotion_enqueue
from .swap_checks import swap_check, swap_refusal


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
    upgraded_from: str = ""  # the class they held, when moved up to `class_code`


@dataclass
class SwapResult:
    """What `vehicle_swap` did: the trip (now on `vehicle`), the seats of each class on
    the new vehicle, how many seated passengers kept their coach and seat number, who moved
    (each told), and the classes reseated from scratch because keeping numbers would have
    left someone out."""

    trip: Trip
    previous_vehicle_id: int | None
    vehicle: Vehicle
    seats: dict[str, int] = field(default_factory=dict)
    kept: int = 0
    reseated: list[Reseat] = field(default_factory=list)
    renumbered_classes: list[str] = field(default_factory=list)
    upgrades: dict[str, str] = field(default_factory=dict)  # class lacking -> class given


@dataclass
class _ClassPlan:
    trip_class: TripClass | None  # None: a class only the new vehicle has, not created yet
    seats: list[rules.SeatRow]
    riders: list[Rider]
    owners: dict[int, tuple]  # passenger id -> (status, quota, index, name, number, user id)
    before: dict[int, tuple[rules.Placement, int]]
    old_place_ids: list[int]
    upgraded: dict[int, str] = field(default_factory=dict)  # passenger id -> class held

    def take(self, other: "_ClassPlan") -> None:
        """Seat the riders of `other` (a class the new vehicle lacks) in this class."""
        self.riders = self.riders + other.riders
        self.owners = {**self.owners, **other.owners}
        self.before = {**self.before, **other.before}
        self.upgraded.update(dict.fromkeys(other.owners, other.trip_class.class_code))


def vehicle_swap(
    *,
    trip: Trip,
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
    leg. A class the vehicle lacks while passengers hold or wait for it is refused
    (`swap_class_missing`) unless the operator allows upgrades (`rules.swap_upgrades`) and
    the vehicle has a better class (a lower `TravelClass.rank`) with room for them too: the
    nearest such class takes them, their PNRs move to it, their fares stay as paid, and
    each is told ("passenger.upgraded"). The message names the class and the numbers.
    TripLocked once the trip has departed, arrived or been cancelled.

    Accepted: the new vehicle's places are created (earmarked by `class_quotas`), the
    passengers reseated (`reseat`: numbers kept where the new layout has them, the rest
    deterministically), the places' legs set from their passengers, the old places deleted,
    `TripClass.seats` updated, classes only the new vehicle has created, classes it lacks
    (nobody on them) removed or, if cancelled PNRs still point at them, emptied and
    closed; the vehicle set through fleet's `trip_vehicle_set` (its TripEvent);
    each moved passenger told ("passenger.reseated"); and each class marked
    `promotion_due`, with its promotion enqueued on commit, so those waiting move into the
    extra seats. A trip with no inventory yet just changes vehicle. Raises Busy when a
    lock is not granted in time.
    """
    now = now or timezone.now()
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        locked, trip_classes = trip_lock(trip.pk)
        swap_check(locked, trip_classes, vehicle)
        result = SwapResult(trip=locked, previous_vehicle_id=locked.vehicle_id, vehicle=vehicle)
        new_seats = vehicle_seats(vehicle.pk)
        result.seats = {code: len(seats) for code, seats in new_seats.items()}
        if not trip_classes:
            result.trip = trip_vehicle_set(
                trip=locked,
                vehicle=vehicle,
                by=by,
                reason=reason,
                details={"seats": result.seats},
            )
            return result
        company = locked.route.company
        # Which swap of the trip this is: a trip may go back to a vehicle it had, and each
        # swap is told anew.
        swap_no = TripEvent.objects.filter(trip=locked, action="vehicle_swap").count() + 1
        told = _swapped_messages(locked, vehicle, swap_no)
        plans, active = _load(trip_classes, new_seats)
        problems = [
            s
            for plan in plans
            if plan.trip_class.class_code in new_seats
            for s in shortfalls(plan.trip_class.class_code, plan.riders, plan.seats)
        ]
        if problems:
            raise VehicleSwapRefused(
                swap_refusal(locked, vehicle, problems),
                fields={"vehicle": [gettext("Too small for the seats sold.")]},
            )
        lacking = [
            plan
            for plan in plans
            if plan.trip_class.class_code not in new_seats and active.get(plan.trip_class.pk)
        ]
        kept_plans = {
            p.trip_class.class_code: p for p in plans if p.trip_class.class_code in new_seats
        }
        for class_code, seats in new_seats.items():
            if class_code not in kept_plans:
                kept_plans[class_code] = _ClassPlan(None, seats, [], {}, {}, [])
        result.upgrades = _upgrades(company, lacking, kept_plans, active, locked, vehicle)
        for class_code, plan in kept_plans.items():
            if plan.trip_class is None:
                plan.trip_class = TripClass.objects.create(
                    trip=locked, class_code=class_code, seats=len(plan.seats), created_at=now
                )
        messages = told
        for plan in kept_plans.values():
            moved = _apply(plan, company, result)
            messages += [
                _reseated_message(r, plan.owners[r.passenger_id][5], vehicle, swap_no)
                for r in moved
            ]
        for source in lacking:
            target = kept_plans[result.upgrades[source.trip_class.class_code]].trip_class
            messages += _move_class(source.trip_class, target, vehicle, swap_no)
        for trip_class in trip_classes:
            if trip_class.class_code not in new_seats:
                _remove_class(trip_class)
        outbox_add(messages=messages, now=now)
        result.trip = trip_vehicle_set(
            trip=locked,
            vehicle=vehicle,
            by=by,
            reason=reason,
            details={
                "seats": result.seats,
                "kept": result.kept,
                "reseated": len(result.reseated),
                "renumbered": result.renumbered_classes,
                **({"upgraded": result.upgrades} if result.upgrades else {}),
            },
        )
    return result


def _load(
    trip_classes: list[TripClass], new_seats: dict[str, list[rules.SeatRow]]
) -> tuple[list[_ClassPlan], dict[int, int]]:
    """Every class of the trip, with its seated passengers, old places and the new
    vehicle's seats of the class (none when it lacks it): two queries; and the number of
    active passengers per class."""
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
            new_seats.get(tc.class_code, []),
            riders.get(tc.pk, []),
            owners.get(tc.pk, {}),
            before.get(tc.pk, {}),
            place_ids.get(tc.pk, []),
        )
        for tc in trip_classes
    ]
    return plans, dict(active)


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
        upgraded_from = plan.upgraded.get(passenger_id, "")
        if not upgraded_from and (placement.coach, placement.seat, half) == (
            after.coach,
            after.seat,
            seat.half,
        ):
            result.kept += 1
            continue
        moved.append(
            Reseat(
                passenger_id,
                number,
                index,
                name,
                class_code,
                placement,
                after,
                half,
                seat.half,
                upgraded_from,
            )
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
    """A class the new vehicle lacks (nobody holds or waits for it any more): gone, or, if
    cancelled PNRs or promotions still point at it, left empty and closed to bookings."""
    Place.objects.filter(trip_class=trip_class).delete()
    if (
        Pnr.objects.filter(trip_class=trip_class).exists()
        or Promotion.objects.filter(trip_class=trip_class).exists()
    ):
        TripClass.objects.filter(pk=trip_class.pk).update(seats=0, closed=True, promotion_due=False)
    else:
        trip_class.delete()


def _where(placement: rules.Placement, half: int) -> dict:
    return {
        "coach": placement.coach,
        "seat": placement.seat,
        "berth": placement.berth_type,
        "half": half,
    }


def _swapped_messages(trip: Trip, vehicle: Vehicle, swap_no: int) -> list[Message]:
    """ "vehicle.swapped" to the holder of each PNR of the trip with someone still
    travelling (read before the swap moves them)."""
    pnrs = (
        Pnr.objects.filter(trip=trip, passengers__status__in=ACTIVE_STATUSES)
        .order_by("pk")
        .values_list("number", "user_id")
        .distinct()
    )
    return [
        Message(
            topic="vehicle.swapped",
            user_id=user_id,
            payload={
                "pnr": number,
                "trip": trip.pk,
                "vehicle": vehicle.name,
                "plate": vehicle.code,
            },
            dedupe_key=f"vehicle.swapped:{trip.pk}:{swap_no}:{number}",
        )
        for number, user_id in pnrs
    ]


def _reseated_message(move: Reseat, user_id: int, vehicle: Vehicle, swap_no: int) -> Message:
    """The message telling a passenger of their move: "passenger.reseated" within the
    class; "passenger.upgraded" (the class held and the class given, the fare unchanged)
    for a move up to a better class."""
    if move.upgraded_from:
        return Message(
            topic="passenger.upgraded",
            user_id=user_id,
            payload={
                "pnr": move.pnr,
                "passenger": move.index,
                "name": move.name,
                "vehicle": vehicle.code,
                "from": {"class": move.upgraded_from, **_where(move.before, move.half_before)},
                "to": {"class": move.class_code, **_where(move.after, move.half_after)},
                "fare_unchanged": True,
            },
            dedupe_key=f"passenger.upgraded:{move.passenger_id}:{swap_no}",
        )
    return Message(
        topic="passenger.reseated",
        user_id=user_id,
        payload={
            "pnr": move.pnr,
            "passenger": move.index,
            "name": move.name,
            "class": move.class_code,
            "vehicle": vehicle.code,
            "from": _where(move.before, move.half_before),
            "to": _where(move.after, move.half_after),
        },
        dedupe_key=f"passenger.reseated:{move.passenger_id}:{swap_no}",
    )


def _class_ranks(company: Company, codes: set[str]) -> dict[str, int]:
    """Rank of each class code (a lower rank is a better class): the company's own class of
    that code, else the shared one; one query."""
    ranks: dict[str, int] = {}
    for code, rank, own in (
        TravelClass.objects.filter(Q(company=company) | Q(company=None), code__in=codes)
        .order_by("company_id")
        .values_list("code", "rank", "company_id")
    ):
        if own is not None or code not in ranks:
            ranks[code] = rank
    return ranks


def _upgrades(
    company: Company,
    lacking: list[_ClassPlan],
    plans: dict[str, _ClassPlan],
    active: dict[int, int],
    trip: Trip,
    vehicle: Vehicle,
) -> dict[str, str]:
    """For each class the new vehicle lacks while passengers hold or wait for it, the class
    they move up to: only when the operator allows upgrades (`rules.swap_upgrades`), the
    nearest better class of the new vehicle whose seats also fit them on every leg. Their
    riders join that class's plan. Raises VehicleSwapRefused (`swap_class_missing`) naming
    each class left without one."""
    if not lacking:
        return {}
    allowed = company.rules.swap_upgrades
    ranks = _class_ranks(company, {p.trip_class.class_code for p in lacking} | set(plans))
    chosen: dict[str, str] = {}
    problems = []
    for source in sorted(
        lacking, key=lambda p: (ranks.get(p.trip_class.class_code, 999), p.trip_class.class_code)
    ):
        code = source.trip_class.class_code
        rank = ranks.get(code)
        better = sorted(
            (c for c in plans if rank is not None and ranks.get(c, 999) < rank),
            key=lambda c: (-ranks[c], c),
        )
        target = next(
            (
                c
                for c in better
                if not shortfalls(c, plans[c].riders + source.riders, plans[c].seats)
            ),
            None,
        )
        if allowed and target is not None:
            plans[target].take(source)
            chosen[code] = target
        else:
            kind = "upgrade" if allowed else "class"
            problems.append(Shortfall(code, kind, active[source.trip_class.pk], 0))
    if problems:
        raise VehicleSwapRefused(
            swap_refusal(trip, vehicle, problems),
            code="swap_class_missing",
            fields={
                "vehicle": [
                    gettext("Has no {class_code} seats.").format(class_code=p.class_code)
                    for p in problems
                ]
            },
        )
    return chosen


def _move_class(
    source: TripClass, target: TripClass, vehicle: Vehicle, swap_no: int
) -> list[Message]:
    """The PNRs of `source` with anyone still travelling, all their passengers with them,
    now of `target`; those waiting (their seated fellow passengers are told by `_apply`)
    are told of the upgrade too. Fares are left as paid."""
    pnr_ids = list(
        Pnr.objects.filter(trip_class=source, passengers__status__in=ACTIVE_STATUSES)
        .values_list("pk", flat=True)
        .distinct()
    )
    waiting = list(
        Passenger.objects.filter(pnr_id__in=pnr_ids, status=PassengerStatus.WAITLISTED)
        .order_by("pk")
        .values_list("pk", "pnr__number", "index", "name", "pnr__user_id")
    )
    Passenger.objects.filter(pnr_id__in=pnr_ids).update(trip_class=target)
    Pnr.objects.filter(pk__in=pnr_ids).update(trip_class=target, class_code=target.class_code)
    return [
        Message(
            topic="passenger.upgraded",
            user_id=user_id,
            payload={
                "pnr": number,
                "passenger": index,
                "name": name,
                "vehicle": vehicle.code,
                "from": {"class": source.class_code},
                "to": {"class": target.class_code},
                "fare_unchanged": True,
            },
            dedupe_key=f"passenger.upgraded:{pk}:{swap_no}",
        )
        for pk, number, index, name, user_id in waiting
    ]
