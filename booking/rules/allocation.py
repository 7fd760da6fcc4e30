"""Allocation: where each passenger of a new PNR goes, CNF (a seat), RAC (a half berth) or WL,
on the places free for their legs. Promotion seats waiting passengers by the same helpers."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .passengers import LOWER_BERTHS, Traveller, needs_lower_berth
from .quotas import GENERAL, RAC


@dataclass(frozen=True)
class FreePlace:
    """A place free on every leg of the journey."""

    place_id: int
    seat_id: int
    coach_id: int
    order: int
    berth_type: str
    quota: str
    half: int
    seat_number: str = ""
    coach_code: str = ""


@dataclass(frozen=True)
class Placement:
    """Where a passenger sits, as a ticket shows it."""

    coach: str
    seat: str
    berth_type: str


@dataclass
class Allocation:
    """Where one passenger goes: CNF (a seat), RAC (a half berth) or WL (nowhere yet)."""

    status: str
    quota: str
    place: FreePlace | None = None


@dataclass
class AllocationResult:
    passengers: list[Allocation] = field(default_factory=list)

    @property
    def all_confirmed(self) -> bool:
        return all(a.status == "CNF" for a in self.passengers)

    @property
    def coaches(self) -> set[int]:
        return {a.place.coach_id for a in self.passengers if a.place is not None}


def berth_rank(place: FreePlace, traveller: Traveller) -> int:
    """0: the berth the passenger wants (their preference; a lower berth for those who need
    one); 1: any other."""
    if traveller.berth_preference:
        return 0 if place.berth_type == traveller.berth_preference else 1
    if needs_lower_berth(traveller):
        return 0 if place.berth_type in LOWER_BERTHS else 1
    return 0


def _seat_wanted(
    travellers: Sequence[Traveller],
    pending: list[int],
    pools: dict[str, list[FreePlace]],
    result: list[Allocation | None],
) -> None:
    """Give each `pending` passenger who asked for a seat exactly that seat, when it is a
    free whole place of one of `pools` (quota -> places; the place leaves its pool). A
    seat of another quota, an RAC berth or a seat taken is not given: the passenger stays
    pending, for the other rules."""
    for index in list(pending):
        wanted = travellers[index].seat_id
        if wanted is None:
            continue
        for pool_quota, pool in pools.items():
            place = next((p for p in pool if p.seat_id == wanted), None)
            if place is not None:
                pool.remove(place)
                result[index] = Allocation("CNF", pool_quota, place)
                pending.remove(index)
                break


def seat_from_pool(
    travellers: Sequence[Traveller],
    pending: list[int],
    pool: list[FreePlace],
    result: list[Allocation],
    quota: str,
) -> None:
    """Seat the `pending` passengers (indexes, in order) on `pool`'s places, together.

    Coaches are tried in this order: those already holding passengers of the PNR, then the
    coach with the most free places (up to what is needed), then the front. Each passenger
    takes, in the first coach with room, the place of the best berth rank, then the lowest
    order.
    """
    if not pool or not pending:
        return
    used = {a.place.coach_id for a in result if a is not None and a.place is not None}
    free_by_coach: dict[int, list[FreePlace]] = {}
    for place in pool:
        free_by_coach.setdefault(place.coach_id, []).append(place)
    front = {coach: min(p.order for p in places) for coach, places in free_by_coach.items()}
    need = len(pending)
    coach_order = sorted(
        free_by_coach, key=lambda c: (c not in used, -min(len(free_by_coach[c]), need), front[c])
    )
    for index in list(pending):
        for coach in coach_order:
            places = free_by_coach[coach]
            if not places:
                continue
            best = min(places, key=lambda p: (berth_rank(p, travellers[index]), p.order))
            places.remove(best)
            result[index] = Allocation("CNF", quota, best)
            pending.remove(index)
            break


def rac_from_halves(
    pending: list[int], halves: list[FreePlace], result: list[Allocation | None], quota: str
) -> None:
    """Put the `pending` passengers (indexes, in order) on RAC, one half berth each, by berth
    order then half, while halves last; RAC passengers queue in `quota`."""
    halves = sorted(halves, key=lambda p: (p.order, p.half))
    for index in list(pending):
        if not halves:
            return
        result[index] = Allocation("RAC", quota, halves.pop(0))
        pending.remove(index)


def allocate(
    travellers: Sequence[Traveller], places: Iterable[FreePlace], *, quota: str, rac: bool = True
) -> AllocationResult:
    """Allocate a PNR's passengers, in order, on the places free for their legs.

    `quota` is the booking quota once eligibility is settled (an ineligible LADIES or
    SENIOR request arrives as GENERAL). First, each passenger who asked for a seat
    (`Traveller.seat_id`) gets exactly that seat if it is free and of `quota` or GENERAL,
    unless the free seats run out before their turn (a later passenger's pick never leaves
    an earlier one waiting); the others of the PNR then join their coaches where possible.
    Every other passenger gets a seat of `quota`, else of GENERAL, else an RAC half berth
    while any is free (never when `rac` is False: the operator sells no RAC), else waits
    (WL). RAC and WL passengers queue in the booking quota.
    """
    places = list(places)
    result: list[Allocation | None] = [None] * len(travellers)
    pending = list(range(len(travellers)))
    pools = {
        pool_quota: [p for p in places if p.half == 0 and p.quota == pool_quota]
        for pool_quota in ([quota, GENERAL] if quota != GENERAL else [GENERAL])
    }
    # Passengers are seated in order: the first `seated` of them get a seat whatever they
    # ask, the rest none. A pick is honoured only among those, so that it never seats a
    # later passenger of the PNR in a place an earlier one then waits for.
    seated = sum(len(pool) for pool in pools.values())
    _seat_wanted(travellers, [i for i in pending if i < seated], pools, result)
    pending = [i for i in pending if result[i] is None]
    for pool_quota, pool in pools.items():
        seat_from_pool(travellers, pending, pool, result, pool_quota)
    if rac:
        halves = [p for p in places if p.half and p.quota == RAC]
        rac_from_halves(pending, halves, result, quota)
    for index in pending:
        result[index] = Allocation("WL", quota)
    return AllocationResult(passengers=result)
