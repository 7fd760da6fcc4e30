"""Promotion: who among the RAC and WL passengers of a trip class moves up when places free,
and charting's release of a quota's unused seats."""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .allocation import Allocation, FreePlace, berth_rank, rac_from_halves, seat_from_pool
from .passengers import Traveller
from .quotas import GENERAL, RAC


@dataclass(frozen=True)
class Waiting:
    """An RAC or WL passenger, as promotion sees them."""

    passenger_id: int
    pnr_id: int
    status: str  # RAC or WL
    quota: str  # the queue: the PNR's booking quota
    mask: int  # the legs ridden
    traveller: Traveller
    place_id: int | None = None  # RAC: the half berth held


@dataclass(frozen=True)
class Move:
    """A passenger moved up: to `status` on `place`, giving up `released_place_id`."""

    passenger_id: int
    status: str
    quota: str
    place: FreePlace
    released_place_id: int | None


def _pnr_runs(waiting: Iterable[Waiting]) -> Iterable[list[Waiting]]:
    """Consecutive passengers of one PNR, in queue order (a PNR's passengers are written
    together, so they are adjacent in it)."""
    for _, run in itertools.groupby(waiting, key=lambda w: w.pnr_id):
        yield list(run)


def promote(
    waiting: Sequence[Waiting], places: Sequence[FreePlace], occupied: dict[int, int]
) -> list[Move]:
    """Who moves up, given the waiting passengers of one trip class in queue order (booking
    order) and every place of the class with the legs it is occupied on (`occupied`,
    place id -> mask; not modified).

    First the RAC passengers, first come first served, each PNR's together and in order:
    a seat free on all their legs, of their quota, else GENERAL, makes them CNF and frees
    their half berth. Then the WL passengers likewise: a seat makes them CNF, else a free
    RAC half berth makes them RAC. A passenger who does not fit is skipped, never blocks
    those behind, and never moves backwards. One pass is enough: only an RAC passenger's
    promotion frees anything (a half berth), and the RAC passengers go first.
    """
    occupied = dict(occupied)
    moves: list[Move] = []

    def free(mask: int, *, half: bool, quota: str) -> list[FreePlace]:
        return [
            p
            for p in places
            if bool(p.half) == half and p.quota == quota and not occupied[p.place_id] & mask
        ]

    def take(run: list[Waiting], allocations: list[Allocation | None]) -> None:
        for waiter, allocation in zip(run, allocations, strict=True):
            if allocation is None:
                continue
            place = allocation.place
            occupied[place.place_id] |= waiter.mask
            if waiter.place_id is not None:
                occupied[waiter.place_id] &= ~waiter.mask
            moves.append(
                Move(
                    waiter.passenger_id, allocation.status, allocation.quota, place, waiter.place_id
                )
            )

    for status in ("RAC", "WL"):
        for run in _pnr_runs(w for w in waiting if w.status == status):
            travellers = [w.traveller for w in run]
            result: list[Allocation | None] = [None] * len(run)
            pending = list(range(len(run)))
            quota, mask = run[0].quota, run[0].mask
            for pool_quota in [quota, GENERAL] if quota != GENERAL else [GENERAL]:
                seat_from_pool(
                    travellers,
                    pending,
                    free(mask, half=False, quota=pool_quota),
                    result,
                    pool_quota,
                )
            if status == "WL" and pending:
                rac_from_halves(pending, free(mask, half=True, quota=RAC), result, quota)
            take(run, result)
    return moves


def release(
    waiting: Sequence[Waiting],
    places: Sequence[FreePlace],
    occupied: dict[int, int],
    *,
    quota: str,
    eligible,
) -> list[Move]:
    """Charting's release of a quota's unused seats to chosen waiting passengers: each
    passenger for whom `eligible(traveller)` holds (RAC first, then WL, each in queue
    order) gets a seat of `quota` free on their legs (their berth rank, then the front),
    one passenger at a time. `occupied` is not modified."""
    occupied = dict(occupied)
    moves = []
    for status in ("RAC", "WL"):
        for waiter in waiting:
            if waiter.status != status or not eligible(waiter.traveller):
                continue
            candidates = [
                p
                for p in places
                if not p.half and p.quota == quota and not occupied[p.place_id] & waiter.mask
            ]
            if not candidates:
                continue
            best = min(candidates, key=lambda p: (berth_rank(p, waiter.traveller), p.order))
            occupied[best.place_id] |= waiter.mask
            if waiter.place_id is not None:
                occupied[waiter.place_id] &= ~waiter.mask
            moves.append(Move(waiter.passenger_id, "CNF", quota, best, waiter.place_id))
    return moves
