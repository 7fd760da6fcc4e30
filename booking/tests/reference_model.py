"""A small reference model of seat allocation, cancellation and promotion, written apart from
`booking.rules` so that the stateful test can catch a mistake in either: the same rules
(DESIGN.md 5, docs/booking.md, docs/lifecycle.md), stated as plainly as possible, on plain
Python objects.

The model is given each place's earmarked quota, allocation order, berth type, coach and
half (earmarking is tested elsewhere); it keeps each place's occupied legs itself, and every
passenger it has booked (`Rider`), in booking order.
"""

from dataclasses import dataclass, field
from datetime import timedelta

GENERAL, LADIES, SENIOR, TATKAL, RAC = "GENERAL", "LADIES", "SENIOR", "TATKAL", "RAC"
CNF, WL, CAN = "CNF", "WL", "CAN"
LOWER_BERTHS = ("LB", "SL")
# The default refund policy ("tiered", DESIGN.md 5): at least this long before departure
# from the boarding stop, this share of the fare is kept (basis points); later, all of it.
REFUND_TIERS = (
    (timedelta(hours=48), 1_000),
    (timedelta(hours=24), 2_500),
    (timedelta(hours=12), 5_000),
)


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
        return all(p.status == CNF for p in self.passengers)

    @property
    def coaches(self) -> set[int]:
        return {p.place.coach_id for p in self.passengers if p.place is not None}


@dataclass
class Rider:
    """A booked passenger as the model keeps them."""

    pnr: int
    index: int  # 1, 2, ... within the PNR
    order: int  # booking order over the whole class
    person: Person
    pnr_quota: str  # the booking quota: the queue of an RAC or WL passenger
    mask: int
    fare: int
    booking_status: str
    status: str
    quota: str  # the pool of the seat held (CNF), else the queue
    place: Place | None
    refund: int = 0


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


def pools(quota: str) -> list[str]:
    """Where a passenger of `quota` may sit: its own seats, then GENERAL ones."""
    return [quota, GENERAL] if quota != GENERAL else [GENERAL]


def berth_rank(place: Place, p: Person) -> int:
    if p.berth_preference:
        return 0 if place.berth_type == p.berth_preference else 1
    if wants_lower(p):
        return 0 if place.berth_type in LOWER_BERTHS else 1
    return 0


def refund(*, fare: int, status: str, pnr_quota: str, left: timedelta) -> int:
    """What the "tiered" policy pays back to a CNF/RAC/WL passenger cancelled `left` before
    the train leaves their boarding stop: nothing for a confirmed Tatkal ticket, else the
    fare less the first tier's charge (rounded down), nothing after the last tier."""
    if status == CNF and pnr_quota == TATKAL:
        return 0
    for at_least, charge_bp in REFUND_TIERS:
        if left >= at_least:
            return fare - fare * charge_bp // 10_000
    return 0


class Train:
    """The places of one trip class, the legs each is taken on, and the passengers."""

    def __init__(self, places: list[Place]):
        self.places = {p.id: p for p in places}
        self.coach_front = {}
        for p in places:
            self.coach_front[p.coach_id] = min(p.order, self.coach_front.get(p.coach_id, p.order))
        self.riders: dict[tuple[int, int], Rider] = {}  # (pnr, index) -> rider
        self.promotion_due = False

    def free(self, mask: int, *, quota: str, halves: bool = False) -> list[Place]:
        """The seats (or, with `halves`, the RAC half berths) of `quota` free on `mask`."""
        return [
            p
            for p in self.places.values()
            if (p.half != 0) == halves and p.quota == quota and p.free_on(mask)
        ]

    def plan(self, people: list[Person], *, quota: str, origin: int, destination: int) -> Outcome:
        """Where each of `people` would go; changes nothing."""
        mask = journey_mask(origin, destination)
        quota = booking_quota(quota, people)
        seated: dict[int, Seated] = {}
        for pool_quota in pools(quota):
            self._seat_together(people, seated, self.free(mask, quota=pool_quota), pool_quota)
        rac = sorted(self.free(mask, quota=RAC, halves=True), key=lambda p: (p.order, p.half))
        for i in range(len(people)):
            if i not in seated and rac:
                seated[i] = Seated(RAC, quota, rac.pop(0))
        return Outcome(quota, mask, [seated.get(i, Seated(WL, quota)) for i in range(len(people))])

    def _seat_together(
        self, people: list[Person], seated: dict[int, Seated], pool: list[Place], pool_quota: str
    ) -> None:
        pending = [i for i in range(len(people)) if i not in seated]
        by_coach: dict[int, list[Place]] = {}
        for p in pool:
            by_coach.setdefault(p.coach_id, []).append(p)
        holding = {s.place.coach_id for s in seated.values()}
        coaches = sorted(
            by_coach,
            key=lambda c: (
                c not in holding,
                -min(len(by_coach[c]), len(pending)),
                self.coach_front[c],
            ),
        )
        for i in pending:
            coach = next((c for c in coaches if by_coach[c]), None)
            if coach is None:
                return
            best = min(by_coach[coach], key=lambda p: (berth_rank(p, people[i]), p.order))
            by_coach[coach].remove(best)
            seated[i] = Seated(CNF, pool_quota, best)

    def commit(self, outcome: Outcome, *, pnr: int, people: list[Person], fare: int) -> None:
        """Book `outcome` (from `plan`) as PNR `pnr`."""
        order = len(self.riders)
        for index, (seated, person) in enumerate(
            zip(outcome.passengers, people, strict=True), start=1
        ):
            if seated.place is not None:
                assert seated.place.free_on(outcome.mask), "the model double-booked a place"
                seated.place.legs |= outcome.mask
            self.riders[pnr, index] = Rider(
                pnr=pnr,
                index=index,
                order=order + index,
                person=person,
                pnr_quota=outcome.quota,
                mask=outcome.mask,
                fare=fare,
                booking_status=seated.status,
                status=seated.status,
                quota=seated.quota,
                place=seated.place,
            )

    def cancel(self, keys: list[tuple[int, int]], *, left: timedelta) -> int:
        """Cancel these passengers `left` before the train leaves their boarding stop: free
        what they hold, refund them; once a place is freed, the promotion is due. Returns
        the refund."""
        total = 0
        for key in keys:
            rider = self.riders[key]
            assert rider.status != CAN, "the model cancelled a passenger twice"
            if rider.place is not None:  # a CNF seat or an RAC half; the record keeps it
                rider.place.legs &= ~rider.mask
                self.promotion_due = True
            rider.refund = refund(
                fare=rider.fare, status=rider.status, pnr_quota=rider.pnr_quota, left=left
            )
            rider.status = CAN
            total += rider.refund
        return total

    def promote(self) -> list[tuple[str, str]]:
        """Move up whoever fits, RAC passengers first, then WL ones, each in booking order
        and each PNR's together (in their order, seated as a booking seats a PNR): a seat of
        their queue's quota or GENERAL makes them CNF (an RAC passenger gives back the half
        berth); else a WL passenger takes the first free RAC half berth. Whoever does not
        fit stays where they are. Returns the moves, (from, to)."""
        moves = []
        for status in (RAC, WL):
            by_pnr: dict[int, list[Rider]] = {}
            for rider in sorted(self.riders.values(), key=lambda r: r.order):
                if rider.status == status:
                    by_pnr.setdefault(rider.pnr, []).append(rider)
            for group in by_pnr.values():
                moves += self._promote_group(group)
        self.promotion_due = False
        return moves

    def _promote_group(self, group: list[Rider]) -> list[tuple[str, str]]:
        quota, mask = group[0].pnr_quota, group[0].mask
        people = [rider.person for rider in group]
        seated: dict[int, Seated] = {}
        for pool_quota in pools(quota):
            self._seat_together(people, seated, self.free(mask, quota=pool_quota), pool_quota)
        if group[0].status == WL:
            halves = sorted(
                self.free(mask, quota=RAC, halves=True), key=lambda p: (p.order, p.half)
            )
            for i in range(len(group)):
                if i not in seated and halves:
                    seated[i] = Seated(RAC, quota, halves.pop(0))
        moves = []
        for i, seat in sorted(seated.items()):
            rider = group[i]
            assert seat.place.free_on(mask), "the model promoted into a taken place"
            seat.place.legs |= mask
            if rider.place is not None:
                rider.place.legs &= ~mask
            moves.append((rider.status, seat.status))
            rider.status, rider.quota, rider.place = seat.status, seat.quota, seat.place
        return moves


def fare(
    *, km: int, quota: str, rate_per_km: int, minimum: int, multipliers_bp: dict[str, int]
) -> int:
    """One passenger's fare in minor units: ceil(max(minimum, rate × km) × multiplier)."""
    base = max(minimum, rate_per_km * km)
    return -(-base * multipliers_bp.get(quota, 10_000) // 10_000)
