"""The booking rules as pure functions (no database): legs, quota eligibility, booking
windows, seat earmarking and allocation, promotion, charting time. The services of
`booking.sales` and `booking.lifecycle` feed them rows; docs/booking.md states the same rules in
prose.
"""

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pycountry
from django.utils.translation import gettext

from fleet.models import BerthType

from .models import MAX_LEGS, Quota

GENERAL = Quota.GENERAL
LADIES = Quota.LADIES
SENIOR = Quota.SENIOR
TATKAL = Quota.TATKAL
FOREIGN_TOURIST = Quota.FOREIGN_TOURIST
RAC = Quota.RAC

MAX_PASSENGERS = 6
MAX_TATKAL_PASSENGERS = 4
MAX_SENIOR_PASSENGERS = 2
# Senior citizens: women from 58, men and transgender people from 60; women from 45 also
# get lower berths first.
SENIOR_AGE_WOMEN = 58
SENIOR_AGE_OTHERS = 60
LOWER_BERTH_AGE_WOMEN = 45
BOOKING_HORIZON_DAYS = 60
FOREIGN_TOURIST_HORIZON_DAYS = 365
# The furthest ahead any quota is on sale: search offers no later date.
SEARCH_HORIZON_DAYS = max(BOOKING_HORIZON_DAYS, FOREIGN_TOURIST_HORIZON_DAYS)
# Tatkal opens the day before the journey: AC classes at 10:00, the others at 11:00.
AC_CLASSES = frozenset({"1A", "2A", "3A", "3E", "CC", "EC", "EA"})
TATKAL_OPENS_AC = time(10, 0)
TATKAL_OPENS_OTHER = time(11, 0)

# Trip search answers dates in this range only: no timetable runs outside it, and there a
# day's bounds, widened by a route's offsets, stay inside what a datetime can hold.
SEARCH_FIRST_DATE = date(1900, 1, 1)
SEARCH_LAST_DATE = date(2999, 12, 31)

LOWER_BERTHS = frozenset({BerthType.LOWER, BerthType.SIDE_LOWER})

_WORD = (1 << 63) - 1


# --- Legs ----------------------------------------------------------------------------------


def legs_mask(origin_sequence: int, destination_sequence: int, first_sequence: int = 1) -> int:
    """The bitmask of the legs ridden from one stop to a later one (leg 0 leaves the route's
    first stop)."""
    start = origin_sequence - first_sequence
    end = destination_sequence - first_sequence
    if not 0 <= start < end <= MAX_LEGS:
        raise ValueError(f"legs {start}..{end} are outside 0..{MAX_LEGS}")
    return ((1 << end) - 1) ^ ((1 << start) - 1)


def split_mask(mask: int) -> tuple[int, int]:
    """(legs_low, legs_high): the two 63-bit columns a mask is stored in."""
    return mask & _WORD, mask >> 63


def join_mask(low: int, high: int) -> int:
    return low | (high << 63)


# --- Passengers and quotas -----------------------------------------------------------------


@dataclass(frozen=True)
class Traveller:
    """What the rules need to know of a passenger."""

    age: int
    gender: str  # M, F, T
    berth_preference: str = ""
    passport_number: str = ""
    nationality: str = ""
    seat_id: int | None = None  # the seat asked for (a seat map pick), if any


def country_code(text: str) -> str:
    """The ISO 3166-1 alpha-2 code ("GB") of the country `text` names by its alpha-2 or its
    alpha-3 code ("gb", "GBR": passports print the three letters), from `pycountry`'s list;
    "" for a blank. Raises ValueError, with a message a passenger can read, for anything
    else ("ZZ" is reserved for private use, not a country)."""
    code = (text or "").strip().upper()
    if not code:
        return ""
    found = None
    if len(code) == 2 and code.isascii() and code.isalpha():
        found = pycountry.countries.get(alpha_2=code)
    elif len(code) == 3 and code.isascii() and code.isalpha():
        found = pycountry.countries.get(alpha_3=code)
    if found is None:
        raise ValueError(
            gettext(
                "{code!r} is not a country code of ISO 3166-1: give its two "
                "letters (GB) or its three (GBR)."
            ).format(code=code)
        )
    return found.alpha_2


def is_senior(t: Traveller) -> bool:
    """Senior citizens: women `SENIOR_AGE_WOMEN` (58) and over; men and transgender people
    `SENIOR_AGE_OTHERS` (60) and over."""
    return t.age >= (SENIOR_AGE_WOMEN if t.gender == "F" else SENIOR_AGE_OTHERS)


def needs_lower_berth(t: Traveller) -> bool:
    """Seniors and women `LOWER_BERTH_AGE_WOMEN` (45) and over get lower berths first, even
    without a preference."""
    return is_senior(t) or (t.gender == "F" and t.age >= LOWER_BERTH_AGE_WOMEN)


def max_passengers(quota: str) -> int:
    """The most passengers one PNR in `quota` holds: `MAX_TATKAL_PASSENGERS` (4) for
    TATKAL, `MAX_PASSENGERS` (6) for any other."""
    return MAX_TATKAL_PASSENGERS if quota == TATKAL else MAX_PASSENGERS


def quota_eligible(quota: str, travellers: Sequence[Traveller]) -> bool:
    """Whether the whole PNR may use `quota`'s earmarked seats (else it falls back to
    GENERAL). LADIES: every passenger a woman. SENIOR: one or two passengers, all seniors."""
    if quota == LADIES:
        return all(t.gender == "F" for t in travellers)
    if quota == SENIOR:
        return len(travellers) <= MAX_SENIOR_PASSENGERS and all(map(is_senior, travellers))
    return True


def booking_opens_at(*, quota: str, class_code: str, travel_date: date, tz: ZoneInfo) -> datetime:
    """When booking this journey opens (aware, in the boarding station's zone).

    TATKAL: the day before `travel_date` at 10:00 (AC classes) or 11:00. FOREIGN_TOURIST:
    365 days ahead; everything else 60 days ahead, not counting the journey day.
    """
    if quota == TATKAL:
        opens = TATKAL_OPENS_AC if class_code in AC_CLASSES else TATKAL_OPENS_OTHER
        return datetime.combine(travel_date - timedelta(days=1), opens, tzinfo=tz)
    days = FOREIGN_TOURIST_HORIZON_DAYS if quota == FOREIGN_TOURIST else BOOKING_HORIZON_DAYS
    return datetime.combine(travel_date - timedelta(days=days), time(), tzinfo=tz)


def search_dates(*, now: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The first and last journey dates search offers at `now` (aware) from a station in
    `tz`: its local today, to `SEARCH_HORIZON_DAYS` later, the last date on which some quota
    is on sale now (`booking_opens_at` counts the same days, in the same zone)."""
    today = now.astimezone(tz).date()
    return today, today + timedelta(days=SEARCH_HORIZON_DAYS)


# --- Earmarking ---------------------------------------------------------------------------


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


# --- Allocation -----------------------------------------------------------------------------


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


def _berth_rank(place: FreePlace, traveller: Traveller) -> int:
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


def _seat_from_pool(
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
            best = min(places, key=lambda p: (_berth_rank(p, travellers[index]), p.order))
            places.remove(best)
            result[index] = Allocation("CNF", quota, best)
            pending.remove(index)
            break


def _rac_from_halves(
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
    travellers: Sequence[Traveller], places: Iterable[FreePlace], *, quota: str
) -> AllocationResult:
    """Allocate a PNR's passengers, in order, on the places free for their legs.

    `quota` is the booking quota once eligibility is settled (an ineligible LADIES or
    SENIOR request arrives as GENERAL). First, each passenger who asked for a seat
    (`Traveller.seat_id`) gets exactly that seat if it is free and of `quota` or GENERAL,
    unless the free seats run out before their turn (a later passenger's pick never leaves
    an earlier one waiting); the others of the PNR then join their coaches where possible.
    Every other passenger gets a seat of `quota`, else of GENERAL, else an RAC half berth
    while any is free, else waits (WL). RAC and WL passengers queue in the booking quota.
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
        _seat_from_pool(travellers, pending, pool, result, pool_quota)
    _rac_from_halves(pending, [p for p in places if p.half and p.quota == RAC], result, quota)
    for index in pending:
        result[index] = Allocation("WL", quota)
    return AllocationResult(passengers=result)


# --- Promotion ------------------------------------------------------------------------------


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
                _seat_from_pool(
                    travellers,
                    pending,
                    free(mask, half=False, quota=pool_quota),
                    result,
                    pool_quota,
                )
            if status == "WL" and pending:
                _rac_from_halves(pending, free(mask, half=True, quota=RAC), result, quota)
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
            best = min(candidates, key=lambda p: (_berth_rank(p, waiter.traveller), p.order))
            occupied[best.place_id] |= waiter.mask
            if waiter.place_id is not None:
                occupied[waiter.place_id] &= ~waiter.mask
            moves.append(Move(waiter.passenger_id, "CNF", quota, best, waiter.place_id))
    return moves


# --- Charting -------------------------------------------------------------------------------

# The railway rule of 2025: departures from 05:00 (inclusive) to 14:00 (exclusive), local
# time of the first stop, are charted at 21:00 the day before; the others 8 hours before.
CHART_EVENING_FROM = time(5, 0)
CHART_EVENING_UNTIL = time(14, 0)
CHART_EVENING_AT = time(21, 0)
CHART_LEAD = timedelta(hours=8)
_UTC = ZoneInfo("UTC")


def chart_due_at(*, departure_at: datetime, tz: ZoneInfo, offset_minutes: int | None) -> datetime:
    """When the chart of a trip leaving its first stop at `departure_at` (aware) is due,
    as an aware datetime in `tz`, the first stop's zone.

    `offset_minutes` set (buses, or a company's own choice): that many minutes before
    departure. None, the railway rule: a departure from 05:00 inclusive to 14:00 exclusive
    local time is charted at 21:00 local time the day before; any other departure (14:00
    to 04:59) 8 hours before. Durations are exact (counted in UTC), so a daylight-saving
    change between the chart and the departure does not move them.
    """
    departure_utc = departure_at.astimezone(_UTC)
    if offset_minutes is not None:
        return (departure_utc - timedelta(minutes=offset_minutes)).astimezone(tz)
    local = departure_at.astimezone(tz)
    if CHART_EVENING_FROM <= local.time() < CHART_EVENING_UNTIL:
        return datetime.combine(local.date() - timedelta(days=1), CHART_EVENING_AT, tzinfo=tz)
    return (departure_utc - CHART_LEAD).astimezone(tz)
