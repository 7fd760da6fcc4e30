"""The reseating rule of a vehicle swap, pure: who rides which legs on which seat, how many
seats each leg needs (`peak`, `shortfalls`), and a reseating of every rider on the new
vehicle's seats that keeps coach and seat numbers where it can (`reseat`)."""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .. import rules
from ..exceptions import VehicleSwapRefused


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
    has `have`. `kind` is "seats" (whole seats) or "rac" (RAC half berths), "class" when
    the vehicle lacks the class altogether (`need`: passengers holding or waiting), or
    "upgrade" when it lacks it and has no better class with room for them either."""

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
