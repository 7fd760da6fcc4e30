"""Earmarking: which quota each seat of a trip class is set aside for, from a company's
distribution or the railway defaults."""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fleet.models import BerthType

from .quotas import FOREIGN_TOURIST, GENERAL, LADIES, RAC, SENIOR, TATKAL


@dataclass(frozen=True)
class SeatRow:
    """A seat of one class of a vehicle, in allocation order."""

    seat_id: int
    coach_id: int
    order: int
    berth_type: str
    is_rac: bool
    number: str = ""
    coach_code: str = ""


# Defaults for rail companies that set nothing for a class: seats per trip and class.
# LADIES: 6 sleeper berths per train; SENIOR: lower berths, 6 per sleeper coach and 3 per
# AC sleeper coach; TATKAL: a tenth of the class.
DEFAULT_LADIES = {"SL": 6}
DEFAULT_SENIOR_PER_COACH = {"SL": 6, "3A": 3, "2A": 3, "3E": 3}
DEFAULT_TATKAL_SHARE = 10  # percent


def default_distribution(class_code: str, *, coaches: int, plain: int) -> dict[str, int]:
    """The railway defaults for a class of `coaches` coaches and `plain` seats that are not
    RAC berths."""
    distribution = {
        LADIES: DEFAULT_LADIES.get(class_code, 0),
        SENIOR: DEFAULT_SENIOR_PER_COACH.get(class_code, 0) * coaches,
        TATKAL: plain * DEFAULT_TATKAL_SHARE // 100,
    }
    return {quota: count for quota, count in distribution.items() if count}


# Quotas in the order earmarking serves them: each takes what the previous left.
EARMARK_ORDER = (SENIOR, LADIES, TATKAL, FOREIGN_TOURIST)


def quota_counts(distribution: dict[str, int], *, plain: int, rac: int) -> dict[str, int]:
    """How many places `earmark` gives each quota (RAC: half berths), from counts alone."""
    counts, left = {}, plain
    for quota in EARMARK_ORDER:
        taken = min(max(int(distribution.get(quota, 0)), 0), left)
        if taken:
            counts[quota] = taken
        left -= taken
    counts[GENERAL] = left
    if rac:
        counts[RAC] = 2 * rac
    return counts


def earmark(seats: Sequence[SeatRow], distribution: dict[str, int]) -> dict[int, str]:
    """The quota of each seat of one class of a trip (seat id -> quota), deterministically.

    RAC berths go to RAC. SENIOR takes lower berths, coach by coach in turn (then side
    lowers, then anything); LADIES takes the first seats of the front coach, together;
    TATKAL and FOREIGN_TOURIST take seats from the rear; the rest is GENERAL. Each quota
    gets what `quota_counts` says, so counts larger than what is left are cut to it.
    """
    seats = sorted(seats, key=lambda s: s.order)
    quota = {s.seat_id: RAC for s in seats if s.is_rac}
    free = [s for s in seats if not s.is_rac]
    counts = quota_counts(distribution, plain=len(free), rac=0)

    def take(candidates: Iterable[SeatRow], name: str) -> None:
        count = counts.get(name, 0)
        for seat in candidates:
            if count <= 0:
                return
            if seat.seat_id not in quota:
                quota[seat.seat_id] = name
                count -= 1

    lowers: dict[int, list[SeatRow]] = {}
    for seat in free:
        if seat.berth_type == BerthType.LOWER:
            lowers.setdefault(seat.coach_id, []).append(seat)
    take(
        itertools.chain(
            (s for group in _interleave(list(lowers.values())) for s in group),
            (s for s in free if s.berth_type == BerthType.SIDE_LOWER),
            free,
        ),
        SENIOR,
    )
    take(free, LADIES)
    take(reversed(free), TATKAL)
    take(reversed(free), FOREIGN_TOURIST)
    for seat in free:
        quota.setdefault(seat.seat_id, GENERAL)
    return quota


def _interleave(groups: list[list[SeatRow]]) -> Iterable[list[SeatRow]]:
    """[[a1, a2], [b1]] -> [a1], [b1], [a2]: one from each group in turn."""
    for i in range(max((len(g) for g in groups), default=0)):
        yield [g[i] for g in groups if i < len(g)]
