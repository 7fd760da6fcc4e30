"""The booking invariants (DESIGN.md section 7, items 1, 2, 4, 5 and 6); registered in
ttms/invariants.py.

Each check reads the whole booking state in one or two queries, streamed (no per-row
queries), so it stays usable at 10^5 passengers; problems come back as sentences naming the
trip, the seat and the passengers or PNRs involved (an empty list: it holds). Labels are
looked up only for the rows that break the invariant.

Places, halves and legs as `booking.models` defines them: a CNF or RAC passenger holds the
place of its seat and half; a half-0 passenger on an RAC berth (whose places are halves 1
and 2) holds both halves. A passenger rides the legs of its PNR. CAN passengers hold nothing.
"""

from collections.abc import Iterable, Iterator
from itertools import groupby

from django.db import connection
from django.db.models import Count, Min, Q, Sum

from fleet.models import Seat
from payments.models import Account, Entry, Transaction

from . import rules
from .models import (
    ACTIVE_STATUSES,
    SEATED_STATUSES,
    Passenger,
    PassengerStatus,
    Place,
    Pnr,
    Quota,
    TripClass,
)
from .sales.services.create import REFERENCE_TYPE

# Better first: a lower rank is a better status.
STATUS_RANK = {PassengerStatus.CONFIRMED: 0, PassengerStatus.RAC: 1, PassengerStatus.WAITLISTED: 2}
CHUNK = 5_000


# --- Item 1 --------------------------------------------------------------------------------


def no_seat_leg_sold_twice() -> list[str]:
    """No two active passengers occupy the same seat on the same leg of the same trip.

    Two seated (CNF or RAC) passengers of one trip class on one seat clash when their halves
    overlap (half 0 is the whole seat, so it overlaps every half; halves 1 and 2 of an RAC
    berth do not overlap each other) and their PNRs share a leg. One pass over the seated
    passengers, sorted by trip class and seat.
    """
    rows = (
        Passenger.objects.filter(status__in=SEATED_STATUSES, seat__isnull=False)
        .order_by("trip_class_id", "seat_id", "pk")
        .values_list(
            "trip_class_id",
            "seat_id",
            "pk",
            "half",
            "pnr__number",
            "pnr__legs_low",
            "pnr__legs_high",
        )
    )
    clashes = []
    for (trip_class_id, seat_id), group in groupby(
        rows.iterator(chunk_size=CHUNK), key=lambda row: row[:2]
    ):
        holders = list(group)
        for i, (_, _, pk_a, half_a, pnr_a, low_a, high_a) in enumerate(holders):
            for _, _, pk_b, half_b, pnr_b, low_b, high_b in holders[i + 1 :]:
                if half_a and half_b and half_a != half_b:
                    continue
                shared = rules.join_mask(low_a & low_b, high_a & high_b)
                if shared:
                    clashes.append((trip_class_id, seat_id, pk_a, pnr_a, pk_b, pnr_b, shared))
    labels = _Labels({c[0] for c in clashes}, {c[1] for c in clashes})
    return [
        f"{labels.trip(tc)}, seat {labels.seat(seat)}: passengers {a} (PNR {pnr_a}) and "
        f"{b} (PNR {pnr_b}) both hold it on {legs_text(shared)}"
        for tc, seat, a, pnr_a, b, pnr_b, shared in clashes
    ]


# --- Item 2 --------------------------------------------------------------------------------


def place_masks_equal_passenger_legs() -> list[str]:
    """Every place's legs (legs_low, legs_high) are the union of the legs of the active
    passengers holding it, place by place; a seated passenger's place exists.

    One query joins each seated passenger to the place(s) it holds and ORs the PNR legs per
    place; a second streams the places marked occupied that no passenger holds.
    """
    passenger, pnr, place = (Passenger._meta.db_table, Pnr._meta.db_table, Place._meta.db_table)
    sql = f"""
        SELECT p.id, p.trip_class_id, p.seat_id, p.half, r.legs_low, r.legs_high,
               pl.id, pl.half, pl.legs_low, pl.legs_high
        FROM {passenger} p
        JOIN {pnr} r ON r.id = p.pnr_id
        LEFT JOIN {place} pl ON pl.trip_class_id = p.trip_class_id
            AND pl.seat_id = p.seat_id AND (pl.half = p.half OR p.half = 0)
        WHERE p.status IN (%s, %s) AND p.seat_id IS NOT NULL
    """  # table names from the models, values as parameters
    expected: dict[int, int] = {}
    found: dict[int, tuple[int, int, int, int]] = {}  # place -> trip class, seat, half, mask
    homeless = []  # seated passengers without a place: (trip class, seat, half, passenger)
    with connection.cursor() as cursor:
        cursor.execute(sql, [status.value for status in SEATED_STATUSES])
        for row in _fetch(cursor):
            pk, trip_class_id, seat_id, half, low, high, place_id, place_half, *place_legs = row
            if place_id is None:
                homeless.append((trip_class_id, seat_id, half, pk))
                continue
            expected[place_id] = expected.get(place_id, 0) | rules.join_mask(low, high)
            found[place_id] = (trip_class_id, seat_id, place_half, rules.join_mask(*place_legs))
    wrong = [
        (place_id, *found[place_id], mask)
        for place_id, mask in expected.items()
        if found[place_id][3] != mask
    ]
    unheld = Place.objects.filter(~Q(legs_low=0) | ~Q(legs_high=0)).values_list(
        "pk", "trip_class_id", "seat_id", "half", "legs_low", "legs_high"
    )
    wrong += [
        (pk, trip_class_id, seat_id, half, rules.join_mask(low, high), 0)
        for pk, trip_class_id, seat_id, half, low, high in unheld.iterator(CHUNK)
        if pk not in expected
    ]
    labels = _Labels(
        {w[1] for w in wrong} | {h[0] for h in homeless},
        {w[2] for w in wrong} | {h[1] for h in homeless},
    )
    problems = [
        f"{labels.trip(tc)}, seat {labels.seat(seat)}{half_text(half)}: the "
        f"inventory marks {legs_text(actual)}, its passengers ride {legs_text(mask)}"
        for _, tc, seat, half, actual, mask in sorted(wrong)
    ]
    problems += [
        f"{labels.trip(tc)}: passenger {pk} holds seat {labels.seat(seat)}"
        f"{half_text(half)}, which has no place in the inventory"
        for tc, seat, half, pk in homeless
    ]
    return problems


# --- Item 4 --------------------------------------------------------------------------------


def pnr_charges_equal_ledger() -> list[str]:
    """Every PNR's charges minus refunds equal what the ledger says for it.

    The ledger's side: the transactions with reference ("pnr", number); a sale (booking
    charge, cash sale) takes its amount from a wallet or drawer, a refund (booking refund,
    cash refund) gives it back there (or the company's cash office owes it), so what was
    paid is minus the sum of their entries on wallets, drawers and cash offices. The
    booking's side: the PNR's total fare (which is also the sum of its passengers' fares)
    less the refunds of its cancelled passengers.

    Two grouped queries (the ledger by reference, the PNRs with their fares and refunds),
    merged here.
    Ledger transactions whose "pnr" reference names no PNR are not reported: the payments
    app's own tests post such references without a booking.
    """
    ledger: dict[str, list[int]] = {}  # number -> [charged, refunded]
    entries = (
        Entry.objects.filter(
            transaction__reference_type=REFERENCE_TYPE,
            transaction__kind__in=[*Transaction.SALE_KINDS, *Transaction.REFUND_KINDS],
            # A cash refund the company's cash office owes is paid to that account.
            account__kind__in=[*Account.BALANCE_KINDS, Account.Kind.COMPANY_CASH],
        )
        .values_list("transaction__reference_id", "transaction__kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for number, kind, total in entries.iterator(CHUNK):
        paid = ledger.setdefault(number, [0, 0])
        if kind in Transaction.SALE_KINDS:
            paid[0] -= total
        else:
            paid[1] += total
    pnrs = (
        Pnr.objects.order_by("pk")
        .annotate(fares=Sum("passengers__fare"), refunds=Sum("passengers__refund"))
        .values_list("number", "total_fare", "fares", "refunds")
    )
    problems = []
    for number, total_fare, fare_sum, refund_sum in pnrs.iterator(CHUNK):
        charged, refunded = ledger.get(number, (0, 0))
        owed = total_fare - (refund_sum or 0)
        if charged - refunded != owed:
            problems.append(
                f"PNR {number}: the ledger says {charged - refunded} was paid "
                f"(charged {charged}, refunded {refunded}), its fare less "
                f"refunds is {owed} ({total_fare} - {refund_sum or 0})"
            )
        if (fare_sum or 0) != total_fare:
            problems.append(
                f"PNR {number}: its passengers' fares add up to {fare_sum or 0}, "
                f"its total fare is {total_fare}"
            )
    return problems


# --- Item 5 --------------------------------------------------------------------------------


def nobody_left_promotable() -> list[str]:
    """No RAC/WL passenger could be promoted into a free, eligible place once promotion has
    run.

    Free: no leg of the passenger's journey marked on the place. Eligible: a whole seat
    (half 0) earmarked for the passenger's queue quota or GENERAL, for an RAC or WL
    passenger; an RAC half berth, for a WL passenger. Classes whose promotion is still due
    (`TripClass.promotion_due`: a place was freed and the promotion task has not run yet)
    and closed classes (cancelled trips) are not checked.

    Waiting passengers with the same status, quota and legs share the answer, so each such
    group is checked once against its class's places: two streamed queries.
    """
    checked = TripClass.objects.filter(promotion_due=False, closed=False)
    groups = (
        Passenger.objects.filter(
            status__in=[PassengerStatus.RAC, PassengerStatus.WAITLISTED], trip_class__in=checked
        )
        .values_list("trip_class_id", "status", "quota", "pnr__legs_low", "pnr__legs_high")
        .annotate(first=Min("pk"), count=Count("pk"))
        .order_by("trip_class_id", "first")
    )
    by_class: dict[int, list[tuple]] = {}
    for trip_class_id, *group in groups.iterator(CHUNK):
        by_class.setdefault(trip_class_id, []).append(group)
    places = (
        Place.objects.filter(trip_class_id__in=list(by_class))
        .order_by("trip_class_id")
        .values_list("trip_class_id", "pk", "half", "quota", "legs_low", "legs_high")
    )
    stuck = []
    for trip_class_id, rows in groupby(places.iterator(CHUNK), key=lambda row: row[0]):
        class_places = list(rows)
        for status, quota, low, high, first, count in by_class[trip_class_id]:
            for _, place_id, half, place_quota, place_low, place_high in class_places:
                if place_low & low or place_high & high:
                    continue
                seat = half == 0 and place_quota in (quota, Quota.GENERAL)
                rac_half = (
                    half != 0 and place_quota == Quota.RAC and status == PassengerStatus.WAITLISTED
                )
                if seat or rac_half:
                    stuck.append(
                        (
                            trip_class_id,
                            status,
                            quota,
                            rules.join_mask(low, high),
                            first,
                            count,
                            place_id,
                            half,
                        )
                    )
                    break
    seats = (
        dict(Place.objects.filter(pk__in=[s[6] for s in stuck]).values_list("pk", "seat_id"))
        if stuck
        else {}
    )
    labels = _Labels({s[0] for s in stuck}, set(seats.values()))
    return [
        f"{labels.trip(tc)}: {count} {status} passenger(s) of quota {quota} for "
        f"{legs_text(mask)} (the first: passenger {first}) could take seat "
        f"{labels.seat(seats[place])}{half_text(half)}, free for them"
        for tc, status, quota, mask, first, count, place, half in stuck
    ]


# --- Item 6 --------------------------------------------------------------------------------


def waiting_order_is_fifo() -> list[str]:
    """RAC/WL order is FIFO by booking time within the same fit.

    Same fit: the same trip class, the same legs (the PNRs' legs_low and legs_high) and the
    same booking quota (Pnr.quota, after eligibility). Such passengers compete for exactly
    the same places, so whoever was booked first (lower Passenger pk; inside a PNR,
    passengers are allocated in order, which is pk order too) never has a worse status than
    a later one: a later RAC passenger while an earlier one is WL, or a later CNF passenger
    while an earlier one is RAC or WL, is a queue jump. Different legs or quotas are never
    compared (a quota earmark or a shorter ride can rightly confirm a later booking).
    Charting's release of unused LADIES berths to waitlisted women, then seniors, is the one
    rule that confirms out of turn: passengers holding a LADIES berth on a PNR not booked in
    LADIES got it that way, and are left out.
    """
    rows = (
        Passenger.objects.filter(status__in=ACTIVE_STATUSES)
        .exclude(Q(quota=Quota.LADIES) & ~Q(pnr__quota=Quota.LADIES))
        .order_by("trip_class_id", "pnr__legs_low", "pnr__legs_high", "pnr__quota", "pk")
        .values_list(
            "trip_class_id",
            "pnr__legs_low",
            "pnr__legs_high",
            "pnr__quota",
            "pk",
            "status",
            "pnr__number",
        )
    )
    jumps = []
    for (trip_class_id, low, high, quota), group in groupby(
        rows.iterator(chunk_size=CHUNK), key=lambda row: row[:4]
    ):
        # The earliest passenger seen so far with each status (RAC, WL).
        earliest: dict[str, tuple[int, str]] = {}
        for *_, pk, status, number in group:
            worse = [
                s
                for s in (PassengerStatus.WAITLISTED, PassengerStatus.RAC)
                if s in earliest and STATUS_RANK[s] > STATUS_RANK[status]
            ]
            if worse:
                first = min(earliest[s] + (s,) for s in worse)
                jumps.append(
                    (trip_class_id, rules.join_mask(low, high), quota, pk, number, status, *first)
                )
            if status in STATUS_RANK and status != PassengerStatus.CONFIRMED:
                earliest.setdefault(status, (pk, number))
    labels = _Labels({j[0] for j in jumps}, set())
    return [
        f"{labels.trip(tc)}: passenger {pk} (PNR {number}) is {status} but passenger "
        f"{first} (PNR {first_number}), booked earlier for the same {legs_text(mask)} in "
        f"quota {quota}, is {first_status}"
        for tc, mask, quota, pk, number, status, first, first_number, first_status in jumps
    ]


# --- Text ----------------------------------------------------------------------------------


def legs_text(mask: int) -> str:
    """'leg 2', 'legs 0-3', 'legs 0-1, 4', or 'no leg'."""
    legs = [i for i in range(mask.bit_length()) if mask >> i & 1]
    if not legs:
        return "no leg"
    runs: list[list[int]] = []
    for leg in legs:
        if runs and runs[-1][1] == leg - 1:
            runs[-1][1] = leg
        else:
            runs.append([leg, leg])
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)
    return f"leg {text}" if len(legs) == 1 else f"legs {text}"


def half_text(half: int) -> str:
    return f" (RAC half {half})" if half else ""


class _Labels:
    """Readable names of the trip classes and seats that appear in problems (two queries,
    only when there are problems)."""

    def __init__(self, trip_class_ids: Iterable[int], seat_ids: Iterable[int]):
        trip_class_ids, seat_ids = set(trip_class_ids), set(seat_ids)
        self.trips = (
            {
                pk: f"trip {number} of {day:%Y-%m-%d} ({code})"
                for pk, number, day, code in TripClass.objects.filter(
                    pk__in=trip_class_ids
                ).values_list("pk", "trip__route__number", "trip__service_date", "class_code")
            }
            if trip_class_ids
            else {}
        )
        self.seats = (
            {
                pk: f"{coach}/{number}"
                for pk, coach, number in Seat.objects.filter(pk__in=seat_ids).values_list(
                    "pk", "coach__code", "number"
                )
            }
            if seat_ids
            else {}
        )

    def trip(self, pk: int) -> str:
        return self.trips.get(pk, f"trip class {pk}")

    def seat(self, pk: int) -> str:
        return self.seats.get(pk, f"#{pk}")


def _fetch(cursor) -> Iterator[tuple]:
    while rows := cursor.fetchmany(CHUNK):
        yield from rows
