"""A small reference model of seat allocation, cancellation and promotion, written apart from
`booking.rules` so that the stateful test can catch a mistake in either: the rules of
DESIGN.md 5 (docs/booking.md, docs/lifecycle.md) stated as properties any correct allocation
has, on plain Python objects.

The model does not choose places. Which of several fitting seats a passenger gets is the
code's tie-break (coach, berth order, front of the train), and copying it would let a
mistake in it pass unseen. So the model says what every correct allocation must give
(`Train.expect`: each passenger's status and quota, a seat asked for), checks the places
the code chose against the rules (`Train.check_booking`, `Train.check_promotion`), then takes
them over (`Train.commit`, `Train.apply`): its state is the code's, checked at each step.

The properties:
- nobody waits (RAC or WL) while a seat free on all their legs is in a pool they may use
  (their quota's seats, then GENERAL's); no WL passenger while an RAC half berth fits;
- a quota's own seats first, GENERAL's only when none of the quota's fits;
- first come first served among those who fit: the passengers of a PNR in order, the
  waiting in booking order (RAC before WL), none skipped for one behind who fits;
- no place is taken twice on a leg;
- a seat asked for (coach and number) is given when it is a free seat of those pools and
  the seats do not run out before that passenger's turn (picks never break FIFO);
- a berth preference (or a lower berth for those who need one) is met when a fitting
  seat of that berth is free in the coach and pool the passenger is seated from (keeping a
  PNR together comes before a berth);
- "only in one coach" is refused only when no coach could hold the whole PNR under the
  rules above, and a booking under it sits in one coach.

Each place is given with its earmarked quota, berth type, coach and half (earmarking is
tested elsewhere); the model keeps each place's occupied legs, and every passenger it has
booked (`Rider`), in booking order.
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
# How far ahead booking opens (DESIGN.md 5), in days before the journey day.
HORIZON_DAYS = {"FOREIGN_TOURIST": 365}
DEFAULT_HORIZON_DAYS = 60


@dataclass
class Place:
    """A seat (half 0) or an RAC half berth (half 1, 2) of one trip class."""

    id: int
    seat_id: int
    coach_id: int
    berth_type: str
    quota: str
    half: int
    coach_code: str = ""
    seat_number: str = ""
    legs: int = 0

    def free_on(self, mask: int) -> bool:
        return self.legs & mask == 0


@dataclass(frozen=True)
class Person:
    age: int
    gender: str
    berth_preference: str = ""
    seat_id: int | None = None  # the seat asked for, if any


@dataclass(frozen=True)
class Expected:
    """What any correct allocation gives one passenger: a status and a quota; and, for a
    seat asked for that must be given, that place."""

    status: str
    quota: str
    place: Place | None = None


@dataclass
class Outcome:
    """A booking as the model expects it."""

    quota: str  # the booking quota, after eligibility
    mask: int
    passengers: list[Expected] = field(default_factory=list)
    one_coach_possible: bool = False

    @property
    def all_confirmed(self) -> bool:
        return all(p.status == CNF for p in self.passengers)


@dataclass(frozen=True)
class Given:
    """What the code gave one passenger, as read back: status, quota, place (or None)."""

    status: str
    quota: str
    place: Place | None


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


def wants(place: Place, p: Person) -> bool:
    """Whether `place` is the berth `p` asked for (or, asking nothing, a lower berth for
    those who need one; anyone else wants any berth)."""
    if p.berth_preference:
        return place.berth_type == p.berth_preference
    if wants_lower(p):
        return place.berth_type in LOWER_BERTHS
    return True


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
        self.by_seat = {(p.seat_id, p.half): p for p in places}
        self.riders: dict[tuple[int, int], Rider] = {}  # (pnr, index) -> rider
        self.promotion_due = False

    def seats(self, mask: int, quotas: list[str], legs: dict[int, int] | None = None):
        """The seats of `quotas` free on `mask` (by `legs`, place id -> occupied legs, when
        given, else by the places' own)."""
        legs = legs if legs is not None else {p.id: p.legs for p in self.places.values()}
        return [
            p
            for p in self.places.values()
            if p.half == 0 and p.quota in quotas and not legs[p.id] & mask
        ]

    def halves(self, mask: int, legs: dict[int, int] | None = None) -> list[Place]:
        """The RAC half berths free on `mask`."""
        legs = legs if legs is not None else {p.id: p.legs for p in self.places.values()}
        return [
            p
            for p in self.places.values()
            if p.half != 0 and p.quota == RAC and not legs[p.id] & mask
        ]

    # --- Booking ----------------------------------------------------------------------------

    def expect(self, people: list[Person], *, quota: str, origin: int, destination: int) -> Outcome:
        """What any correct allocation gives `people`; changes nothing. A seat asked for is
        given when it is a free seat of the pools and the seats do not run out before the
        passenger's turn; the others, in order, take the quota's free seats, then GENERAL's,
        then RAC halves, then wait."""
        mask = journey_mask(origin, destination)
        quota = booking_quota(quota, people)
        free = self.seats(mask, pools(quota))
        seated = len(free)  # in order, the first `seated` passengers get a seat, the rest none
        granted: dict[int, Place] = {}
        for i, person in enumerate(people[:seated]):
            place = next((p for p in free if p.seat_id == person.seat_id), None)
            if person.seat_id is not None and place is not None:
                granted[i] = place
                free.remove(place)
        pending = [i for i in range(len(people)) if i not in granted]
        own = sum(1 for p in free if p.quota == quota)
        halves = len(self.halves(mask))
        expected: dict[int, Expected] = {i: Expected(CNF, p.quota, p) for i, p in granted.items()}
        for n, i in enumerate(pending):
            if n < min(own, len(pending)):
                expected[i] = Expected(CNF, quota)
            elif n < len(free):
                expected[i] = Expected(CNF, GENERAL)
            elif n < len(free) + halves:
                expected[i] = Expected(RAC, quota)
            else:
                expected[i] = Expected(WL, quota)
        outcome = Outcome(quota, mask, [expected[i] for i in range(len(people))])
        outcome.one_coach_possible = self._one_coach_possible(free, granted, len(pending), quota)
        return outcome

    @staticmethod
    def _one_coach_possible(
        free: list[Place], granted: dict[int, Place], pending: int, quota: str
    ) -> bool:
        """Whether some coach holds the whole PNR under the rules: the seats asked for and
        given, and the others' seats, the quota's first (as many as the quota has free,
        anywhere), then GENERAL's."""
        coaches = {p.coach_id for p in granted.values()}
        if len(coaches) > 1:
            return False
        from_own = min(pending, sum(1 for p in free if p.quota == quota))
        candidates = coaches or {p.coach_id for p in free} or {None}
        for coach in candidates:
            here = [p for p in free if p.coach_id == coach]
            own = sum(1 for p in here if p.quota == quota)
            if own >= from_own and len(here) >= pending:
                return True
        return False

    def check_booking(self, outcome: Outcome, people: list[Person], given: list[Given]) -> None:
        """Assert that what the code gave `people` is what `outcome` expects and keeps the
        rules: each place free on the legs, of the pool the passenger's quota says, taken
        once; a berth wanted given when one fitting was free in that coach and pool."""
        assert [(g.status, g.quota) for g in given] == [
            (e.status, e.quota) for e in outcome.passengers
        ], f"gave {given}; any correct allocation gives {outcome.passengers}"
        taken = [g.place.id for g in given if g.place is not None]
        assert len(taken) == len(set(taken)), f"one place given twice in a PNR: {given}"
        left = {p.id for p in self.seats(outcome.mask, pools(outcome.quota))}
        for g, e in zip(given, outcome.passengers, strict=True):
            if e.place is not None:
                assert g.place is e.place, f"the seat asked for was free, gave {g.place}"
                left.discard(e.place.id)
        for g, e, person in zip(given, outcome.passengers, people, strict=True):
            if g.status == WL:
                assert g.place is None
                continue
            assert g.place is not None and g.place.free_on(outcome.mask), f"{g} is taken"
            if g.status == RAC:
                assert g.place.half != 0 and g.place.quota == RAC, f"{g} is no RAC half"
                continue
            assert g.place.half == 0 and g.place.quota == g.quota, f"{g} is not of its pool"
            if e.place is not None:
                continue
            assert g.place.id in left, f"{g} was not free for this passenger"
            if not wants(g.place, person):
                better = [
                    self.places[pk]
                    for pk in left
                    if self.places[pk].coach_id == g.place.coach_id
                    and self.places[pk].quota == g.quota
                    and wants(self.places[pk], person)
                ]
                assert not better, f"{person} got {g.place.berth_type}; {better} were free"
            left.discard(g.place.id)

    def commit(
        self, outcome: Outcome, *, pnr: int, people: list[Person], fare: int, given: list[Given]
    ) -> None:
        """Book PNR `pnr` as the code did (`given`, checked by `check_booking`)."""
        order = len(self.riders)
        for index, (g, person) in enumerate(zip(given, people, strict=True), start=1):
            if g.place is not None:
                assert g.place.free_on(outcome.mask), "a place taken twice on a leg"
                g.place.legs |= outcome.mask
            self.riders[pnr, index] = Rider(
                pnr=pnr,
                index=index,
                order=order + index,
                person=person,
                pnr_quota=outcome.quota,
                mask=outcome.mask,
                fare=fare,
                booking_status=g.status,
                status=g.status,
                quota=g.quota,
                place=g.place,
            )

    # --- Cancellation -----------------------------------------------------------------------

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

    # --- Promotion --------------------------------------------------------------------------

    def queue(self) -> list[Rider]:
        """The waiting, as promotion serves them: RAC before WL, each in booking order."""
        return sorted(
            (r for r in self.riders.values() if r.status in (RAC, WL)),
            key=lambda r: (r.status != RAC, r.order),
        )

    def check_promotion(self, after: dict[tuple[int, int], Given]) -> list[tuple[str, str]]:
        """Assert that the moves from the riders' state to `after` (what the code left each
        waiting passenger: status, quota, place) are a promotion any correct one could make:
        serving the queue in order, each passenger moves up to a place free for them then,
        of a pool they may use (the quota's seats before GENERAL's, a seat before an RAC
        half), or stays put only when nothing fits them. Returns the moves, (from, to)."""
        legs = {p.id: p.legs for p in self.places.values()}
        moves = []
        for rider in self.queue():
            now = after[rider.pnr, rider.index]
            seats = self.seats(rider.mask, pools(rider.pnr_quota), legs)
            own = [p for p in seats if p.quota == rider.pnr_quota]
            halves = self.halves(rider.mask, legs) if rider.status == WL else []
            if now.status == rider.status:
                assert now.place is rider.place, f"{rider} moved sideways to {now.place}"
                assert not seats and not halves, (
                    f"{rider} still waits, though {seats or halves} fit"
                )
                continue
            assert now.place in (seats if now.status == CNF else halves), (
                f"{rider} went to {now.place}, not free for them"
            )
            assert now.status == CNF or not seats, f"{rider} got RAC though {seats} fit"
            assert now.quota == (now.place.quota if now.status == CNF else rider.pnr_quota)
            assert now.quota != GENERAL or not own or rider.pnr_quota == GENERAL, (
                f"{rider} got a GENERAL seat though {own} of the quota fit"
            )
            legs[now.place.id] |= rider.mask
            if rider.place is not None:
                legs[rider.place.id] &= ~rider.mask
            moves.append((rider.status, now.status))
        return moves

    def apply(self, after: dict[tuple[int, int], Given]) -> None:
        """Take over the promotion's result (checked by `check_promotion`)."""
        for rider in self.queue():
            now = after[rider.pnr, rider.index]
            if now.status == rider.status:
                continue
            now.place.legs |= rider.mask
            if rider.place is not None:
                rider.place.legs &= ~rider.mask
            rider.status, rider.quota, rider.place = now.status, now.quota, now.place
        self.promotion_due = False


def fare(
    *, km: int, quota: str, rate_per_km: int, minimum: int, multipliers_bp: dict[str, int]
) -> int:
    """One passenger's fare in minor units: ceil(max(minimum, rate × km) × multiplier)."""
    base = max(minimum, rate_per_km * km)
    return -(-base * multipliers_bp.get(quota, 10_000) // 10_000)
