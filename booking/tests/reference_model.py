"""A small reference model of seat allocation, written apart from `booking.rules` so that the
stateful test can catch a mistake in either: the same rules (DESIGN.md 5, docs/booking.md),
stated as plainly as possible, on plain Python objects.

The model is given each place's earmarked quota, allocation order, berth type, coach and
half (earmarking is tested elsewhere); it keeps each place's occupied legs itself.
"""

from dataclasses import dataclass, field

GENERAL, LADIES, SENIOR, RAC = "GENERAL", "LADIES", "SENIOR", "RAC"
LOWER_BERTHS = ("LB", "SL")


@dataclass
class Place:
    """A seat (half 0) or an RAC half berth (half 1, 2) of one trip class."""

    id: int
    seat_id: int
    coach_id: int
    order: int
    berth_type: str
    quota: str
    half: int
    legs: int = 0

    def free_on(self, mask: int) -> bool:
        return self.legs & mask == 0


@dataclass(frozen=True)
class Person:
    age: int
    gender: str
    berth_preference: str = ""


@dataclass(frozen=True)
class Seated:
    """What one passenger gets: CNF or RAC with a place, or WL without one."""

    status: str
    quota: str
    place: Place | None = None


@dataclass
class Outcome:
    """A booking as the model would make it, before `Train.commit` writes it."""

    quota: str  # the booking quota, after eligibility
    mask: int
    passengers: list[Seated] = field(default_factory=list)

    @property
    def all_confirmed(self) -> bool:
        return all(p.status == "CNF" for p in self.passengers)

    @property
    def coaches(self) -> set[int]:
        return {p.place.coach_id for p in self.passengers if p.place is not None}


def journey_mask(origin: int, destination: int) -> int:
    """Stops are numbered from 1; leg k runs from stop k+1 to stop k+2."""
    return sum(1 << leg for leg in range(origin - 1, destination - 1))


def senior(p: Person) -> bool:
    return p.age >= (58 if p.gender == "F" else 60)


def wants_lower(p: Person) -> bool:
    return senior(p) or (p.gender == "F" and p.age >= 45)


def booking_quota(requested: str, people: list[Person]) -> str:
    if requested == LADIES and not all(p.gender == "F" for p in people):
        return GENERAL
    if requested == SENIOR and not (len(people) <= 2 and all(senior(p) for p in people)):
        return GENERAL
    return requested


def berth_rank(place: Place, p: Person) -> int:
    if p.berth_preference:
        return 0 if place.berth_type == p.berth_preference else 1
    if wants_lower(p):
        return 0 if place.berth_type in LOWER_BERTHS else 1
    return 0


class Train:
    """The places of one trip class and the legs each is taken on."""

    def __init__(self, places: list[Place]):
        self.places = {p.id: p for p in places}
        self.coach_front = {}
        for p in places:
            self.coach_front[p.coach_id] = min(p.order, self.coach_front.get(p.coach_id, p.order))

    def plan(self, people: list[Person], *, quota: str, origin: int,
             destination: int) -> Outcome:
        """Where each of `people` would go; changes nothing."""
        mask = journey_mask(origin, destination)
        quota = booking_quota(quota, people)
        free = [p for p in self.places.values() if p.free_on(mask)]
        seated: dict[int, Seated] = {}
        for pool_quota in ([quota, GENERAL] if quota != GENERAL else [GENERAL]):
            pool = [p for p in free if p.half == 0 and p.quota == pool_quota]
            self._seat_together(people, seated, pool, pool_quota)
        rac = sorted((p for p in free if p.quota == RAC and p.half in (1, 2)),
                     key=lambda p: (p.order, p.half))
        for i in range(len(people)):
            if i not in seated and rac:
                seated[i] = Seated("RAC", quota, rac.pop(0))
        return Outcome(quota, mask, [seated.get(i, Seated("WL", quota))
                                     for i in range(len(people))])

    def _seat_together(self, people: list[Person], seated: dict[int, Seated],
                       pool: list[Place], pool_quota: str) -> None:
        pending = [i for i in range(len(people)) if i not in seated]
        by_coach: dict[int, list[Place]] = {}
        for p in pool:
            by_coach.setdefault(p.coach_id, []).append(p)
        holding = {s.place.coach_id for s in seated.values()}
        coaches = sorted(by_coach, key=lambda c: (c not in holding,
                                                   -min(len(by_coach[c]), len(pending)),
                                                   self.coach_front[c]))
        for i in pending:
            coach = next((c for c in coaches if by_coach[c]), None)
            if coach is None:
                return
            best = min(by_coach[coach], key=lambda p: (berth_rank(p, people[i]), p.order))
            by_coach[coach].remove(best)
            seated[i] = Seated("CNF", pool_quota, best)

    def commit(self, outcome: Outcome) -> None:
        for seated in outcome.passengers:
            if seated.place is not None:
                assert seated.place.free_on(outcome.mask), "the model double-booked a place"
                seated.place.legs |= outcome.mask


def fare(*, km: int, quota: str, rate_per_km: int, minimum: int,
         multipliers_bp: dict[str, int]) -> int:
    """One passenger's fare in minor units: ceil(max(minimum, rate × km) × multiplier)."""
    base = max(minimum, rate_per_km * km)
    return -(-base * multipliers_bp.get(quota, 10_000) // 10_000)
