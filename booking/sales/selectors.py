"""Read-side queries of sales (they never write): journeys, availability, seat maps, PNRs and
their queue positions, the PNR found by contact, and what fleet asks of the trip's seats.

Availability is read from the primary database, never a replica: a lagging replica shows
seats that are gone (DESIGN.md section 3).
"""

import hmac
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.lookups import Exact
from django.utils.translation import gettext

from fleet.models import (
    RouteStop,
    Seat,
    Station,
    Trip,
    TripStatus,
)
from fleet.selectors import TripOption
from ttms.accounts.models import normalize_email

from .. import rules
from ..exceptions import InvalidBooking
from ..models import (
    BOOKABLE_QUOTAS,
    PNR_PATTERN,
    FareRule,
    Passenger,
    PassengerStatus,
    Place,
    Pnr,
    Quota,
    TripClass,
)
from .fares import Tariff, tariff_from_rule
from .inventory import class_distribution, class_quotas, vehicle_seats

# --- Journeys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Journey:
    """The part of a trip a PNR rides: its stops, legs, times and distance."""

    trip: Trip
    origin: RouteStop
    destination: RouteStop
    departure_at: datetime
    arrival_at: datetime
    mask: int

    @property
    def distance_km(self):
        return self.destination.distance_km - self.origin.distance_km

    @property
    def travel_date(self):
        return self.departure_at.astimezone(self.origin.station.tzinfo).date()


def journey_get(*, trip: Trip, origin_code: str, destination_code: str) -> Journey:
    """The journey on `trip` from the stop with `origin_code` to a later stop with
    `destination_code` (the shortest such ride when the route calls twice). One query.
    Raises InvalidBooking naming the field that is wrong."""
    origin_code = (origin_code or "").strip().upper()
    destination_code = (destination_code or "").strip().upper()
    stops = list(
        RouteStop.objects.filter(route_id=trip.route_id)
        .select_related("station")
        .order_by("sequence")
    )
    first = stops[0].sequence if stops else 1
    boardings = [
        s for s in stops if s.station.code == origin_code and s.departure_offset is not None
    ]
    if not boardings:
        raise InvalidBooking(
            f"This trip does not call at {origin_code or 'that station'} to pick passengers up.",
            fields={"from": ["Not a stop of this trip."]},
        )
    best = None
    for boarding in boardings:
        for stop in stops:
            if (
                stop.sequence > boarding.sequence
                and stop.station.code == destination_code
                and stop.arrival_offset is not None
            ):
                if best is None or (
                    stop.sequence - boarding.sequence < best[1].sequence - best[0].sequence
                ):
                    best = (boarding, stop)
                break
    if best is None:
        raise InvalidBooking(
            f"This trip does not reach {destination_code or 'that station'} after {origin_code}.",
            fields={"to": ["Not a later stop of this trip."]},
        )
    origin, destination = best
    if destination.sequence - first > rules.MAX_LEGS:
        raise InvalidBooking(
            f"Journeys past stop {rules.MAX_LEGS + 1} of a route cannot be booked.",
            fields={"to": ["Too far along the route."]},
        )
    return Journey(
        trip=trip,
        origin=origin,
        destination=destination,
        departure_at=trip.departure_at + timedelta(minutes=origin.departure_offset),
        arrival_at=trip.departure_at + timedelta(minutes=destination.arrival_offset),
        mask=rules.legs_mask(origin.sequence, destination.sequence, first),
    )


# Trips open for booking: those still to leave, or boarding.
BOOKABLE_STATUSES = (TripStatus.SCHEDULED, TripStatus.BOARDING)


def trip_refusal(
    *, trip: Trip, boarding: Station, departure_at: datetime, now: datetime
) -> str | None:
    """Why `trip` cannot be booked now from `boarding`, which it leaves at
    `departure_at`, or None when it can: its status is not SCHEDULED or BOARDING (it
    departed, arrived or was cancelled), it has no vehicle, or it has left `boarding`.
    Reads nothing. `booking_create` refuses these first; search, the seat map and the
    booking form ask the same, so that none offers what Pay would refuse."""
    if trip.status not in BOOKABLE_STATUSES:
        return gettext("Trip {number} of {date} is {status}; it cannot be booked.").format(
            number=trip.route.number,
            date=trip.service_date,
            status=trip.get_status_display().lower(),
        )
    if trip.vehicle_id is None:
        return gettext("Trip {number} of {date} has no vehicle yet; it cannot be booked.").format(
            number=trip.route.number, date=trip.service_date
        )
    if departure_at <= now:
        return gettext("This trip left {station} at {time}.").format(
            station=boarding.name,
            time=f"{departure_at.astimezone(boarding.tzinfo):%H:%M %Z on %d %b %Y}",
        )
    return None


# --- Availability ---------------------------------------------------------------------------


@dataclass
class ClassAvailability:
    """One class of one trip, for one journey on it."""

    class_code: str
    free: dict[str, int] = field(default_factory=dict)  # quota -> seats free on every leg
    rac_free: int = 0  # RAC half berths free on every leg
    rac: int = 0  # passengers on RAC in the class
    waitlist: int = 0  # passengers waiting in the class
    fares: dict[str, int] = field(default_factory=dict)  # quota -> fare per passenger

    @property
    def free_total(self) -> int:
        """Seats free on every leg in all quotas (RAC half berths not counted)."""
        return sum(self.free.values())

    @property
    def status(self) -> str:
        """What a railway site shows: AVAILABLE-n (general seats), RAC n, or WL n: the
        position the next general booking would get."""
        general = self.free.get(Quota.GENERAL, 0)
        if general:
            return f"AVAILABLE-{general}"
        if self.rac_free:
            return f"RAC {self.rac + 1}"
        return f"WL {self.waitlist + 1}"


def trips_refusals(options: list[TripOption], *, now: datetime) -> dict[int, str]:
    """Per trip (trip id) found by a search that cannot be booked now from the
    passenger's boarding stop, why (`trip_refusal`); the others are left out. Reads
    nothing."""
    refusals = {}
    for option in options:
        refusal = trip_refusal(
            trip=option.trip,
            boarding=option.origin,
            departure_at=option.departure_at,
            now=now,
        )
        if refusal:
            refusals[option.trip.pk] = refusal
    return refusals


def _journey_legs(option: TripOption) -> tuple[int, int]:
    return rules.split_mask(rules.legs_mask(option.origin_sequence, option.destination_sequence))


def trips_availability(options: list[TripOption]) -> dict[int, list[ClassAvailability]]:
    """Per trip (trip id), its classes' availability for each option's journey.

    Four queries whatever the number of trips: free places of the trips that have
    inventory, seat counts of those that have none yet (all free), RAC and WL counts, fare
    rules.
    """
    if not options:
        return {}
    by_trip = {o.trip.pk: o for o in options}
    result: dict[int, dict[str, ClassAvailability]] = defaultdict(dict)

    def entry(trip_id: int, class_code: str) -> ClassAvailability:
        classes = result[trip_id]
        if class_code not in classes:
            classes[class_code] = ClassAvailability(class_code)
        return classes[class_code]

    # Trips with inventory: count the places free on each trip's legs. Trips of one route
    # share a mask, so the condition has one branch per mask.
    by_mask: dict[tuple[int, int], list[int]] = defaultdict(list)
    for trip_id, option in by_trip.items():
        by_mask[_journey_legs(option)].append(trip_id)
    condition = Q()
    for (low, high), trip_ids in by_mask.items():
        branch = Q(trip_class__trip_id__in=trip_ids) & Q(Exact(F("legs_low").bitand(low), 0))
        if high:
            branch &= Q(Exact(F("legs_high").bitand(high), 0))
        condition |= branch
    inventoried: set[int] = set()
    rows = (
        TripClass.objects.filter(trip_id__in=list(by_trip))
        .values_list("trip_id", "class_code")
        .order_by()
    )
    for trip_id, class_code in rows:
        inventoried.add(trip_id)
        entry(trip_id, class_code)
    if inventoried:
        free = (
            Place.objects.filter(condition)
            .values_list("trip_class__trip_id", "trip_class__class_code", "quota")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for trip_id, class_code, quota, n in free:
            if quota == Quota.RAC:
                entry(trip_id, class_code).rac_free = n
            else:
                entry(trip_id, class_code).free[quota] = n
        waiting = (
            Passenger.objects.filter(
                trip_class__trip_id__in=inventoried,
                status__in=[PassengerStatus.RAC, PassengerStatus.WAITLISTED],
            )
            .values_list("trip_class__trip_id", "trip_class__class_code", "status")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for trip_id, class_code, status, n in waiting:
            if status == PassengerStatus.RAC:
                entry(trip_id, class_code).rac = n
            else:
                entry(trip_id, class_code).waitlist = n

    # Trips nobody has booked yet: every seat is free, earmarked as inventory would be.
    fresh: dict[int, list[int]] = defaultdict(list)  # vehicle -> trips without inventory
    for pk, option in by_trip.items():
        if pk not in inventoried and option.trip.vehicle_id:
            fresh[option.trip.vehicle_id].append(pk)
    if fresh:
        counts = (
            Seat.objects.filter(coach__vehicle_id__in=list(fresh))
            .values_list("coach__vehicle_id", "coach__travel_class__code")
            .annotate(
                plain=Count("pk", filter=Q(is_rac=False)),
                rac=Count("pk", filter=Q(is_rac=True)),
                coaches=Count("coach", distinct=True),
            )
            .order_by()
        )
        for vehicle_id, class_code, plain, rac, coaches in counts:
            for trip_id in fresh[vehicle_id]:
                company = by_trip[trip_id].trip.route.company
                quotas = rules.quota_counts(
                    class_distribution(company, class_code, coaches=coaches, plain=plain),
                    plain=plain,
                    rac=rac,
                )
                item = entry(trip_id, class_code)
                item.rac_free = quotas.pop(Quota.RAC, 0)
                item.free = quotas

    tariffs = _tariffs(
        {(o.trip.route.company_id, c) for pk, o in by_trip.items() for c in result.get(pk, {})}
    )
    ordered: dict[int, list[ClassAvailability]] = {}
    for trip_id, option in by_trip.items():
        classes = result.get(trip_id, {})
        for class_code, item in classes.items():
            tariff = tariffs[(option.trip.route.company_id, class_code)]
            item.fares = {
                quota: tariff.fare(distance_km=option.distance_km, quota=quota)
                for quota in BOOKABLE_QUOTAS
            }
        rank = {code: i for i, code in enumerate(option.classes)}
        ordered[trip_id] = sorted(
            classes.values(), key=lambda c: (rank.get(c.class_code, 99), c.class_code)
        )
    return ordered


def journey_availability(
    journey: Journey, *, class_code: str, classes: list[str]
) -> ClassAvailability:
    """The availability of class `class_code` for `journey`, counted as trip search counts
    it (`trips_availability`, for a search that found this trip): the seat map shows these
    numbers, so that it and the search results cannot disagree. `classes`: the trip's
    classes, best first. Four queries."""
    option = TripOption(
        trip=journey.trip,
        origin=journey.origin.station,
        destination=journey.destination.station,
        departure_at=journey.departure_at,
        arrival_at=journey.arrival_at,
        distance_km=journey.distance_km,
        origin_sequence=journey.origin.sequence,
        destination_sequence=journey.destination.sequence,
        classes=classes,
    )
    found = trips_availability([option]).get(journey.trip.pk, [])
    return next(
        (item for item in found if item.class_code == class_code), ClassAvailability(class_code)
    )


def _tariffs(keys: set[tuple[int, str]]) -> dict[tuple[int, str], Tariff]:
    rules_ = {
        (r.company_id, r.class_code): r
        for r in FareRule.objects.filter(
            company_id__in={company for company, _ in keys},
            class_code__in={code for _, code in keys},
        )
    }
    return {key: tariff_from_rule(rules_.get(key), key[1]) for key in keys}


# --- Seat map ----------------------------------------------------------------------------------


def trip_get_for_sale(pk: int) -> Trip:
    """A trip with its route, company and vehicle, whatever its status: what a seat map and
    the booking form are drawn for. Whether it can be booked now is `trip_refusal`'s to say
    (a cancelled trip is refused with that reason, not as unknown). Trip.DoesNotExist
    otherwise."""
    return Trip.objects.select_related("route__company", "vehicle").get(pk=pk)


@dataclass(frozen=True)
class SeatView:
    number: str
    coach: str
    berth_type: str
    quota: str
    row: int
    column: int
    is_rac: bool
    free: bool  # bookable on every leg of the journey (RAC berths: a half is free)


def seat_map(*, trip: Trip, class_code: str, mask: int) -> list[SeatView]:
    """The seats of one class of a trip, each marked free or taken for the legs of `mask`,
    in coach and seat order. Trips nobody has booked yet are shown from their vehicle."""
    legs_low, legs_high = rules.split_mask(mask)
    seats = {
        pk: (number, coach, row, column)
        for pk, number, coach, row, column in Seat.objects.filter(
            coach__vehicle_id=trip.vehicle_id, coach__travel_class__code=class_code
        ).values_list("pk", "number", "coach__code", "row", "column")
    }
    places = list(
        Place.objects.filter(trip_class__trip=trip, trip_class__class_code=class_code)
        .values_list("seat_id", "quota", "berth_type", "order", "legs_low", "legs_high")
        .order_by("order", "half")
    )
    view: dict[int, SeatView] = {}
    if places:
        for seat_id, quota, berth_type, _order, low, high in places:
            free = not (low & legs_low or high & legs_high)
            number, coach, row, column = seats[seat_id]
            known = view.get(seat_id)
            view[seat_id] = SeatView(
                number,
                coach,
                berth_type,
                quota,
                row,
                column,
                quota == Quota.RAC,
                free or bool(known and known.free),
            )
        return list(view.values())
    rows = vehicle_seats(trip.vehicle_id).get(class_code, []) if trip.vehicle_id else []
    if not rows:
        return []
    quotas = class_quotas(trip.route.company, class_code, rows)
    return [
        SeatView(
            seats[r.seat_id][0],
            seats[r.seat_id][1],
            r.berth_type,
            quotas[r.seat_id],
            seats[r.seat_id][2],
            seats[r.seat_id][3],
            r.is_rac,
            True,
        )
        for r in rows
    ]


# --- PNRs ----------------------------------------------------------------------------------------


def _queue_position() -> Subquery:
    """A passenger's place in their class's RAC or waiting list: 1 + those of the same
    status booked before them (FIFO)."""
    return Subquery(
        Passenger.objects.filter(
            trip_class_id=OuterRef("trip_class_id"),
            status=OuterRef("status"),
            pk__lte=OuterRef("pk"),
        )
        .order_by()
        .values("trip_class_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )


def new_pnr_positions(pnr: Pnr) -> None:
    """Set `queue_position` on the passengers of a PNR just booked (`pnr.passenger_list`),
    with one query, and only when some of them wait: those of the same status booked
    before the PNR, plus their rank in it."""
    waiting = [
        p
        for p in pnr.passenger_list
        if p.status in (PassengerStatus.RAC, PassengerStatus.WAITLISTED)
    ]
    if not waiting:
        return
    first = min(p.pk for p in pnr.passenger_list)
    before = dict(
        Passenger.objects.filter(
            trip_class_id=pnr.trip_class_id,
            status__in=[PassengerStatus.RAC, PassengerStatus.WAITLISTED],
            pk__lt=first,
        )
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    seen: dict[str, int] = defaultdict(int)
    for passenger in sorted(waiting, key=lambda p: p.pk):
        seen[passenger.status] += 1
        passenger.queue_position = before.get(passenger.status, 0) + seen[passenger.status]


def passengers_with_positions() -> QuerySet[Passenger]:
    return (
        Passenger.objects.select_related("seat__coach")
        .annotate(queue_position=_queue_position())
        .order_by("index")
    )


def pnrs_for_user(user) -> QuerySet[Pnr]:
    """The user's PNRs, newest first, with passengers (and their queue positions)."""
    return (
        Pnr.objects.filter(user=user)
        .select_related("trip__route__company", "origin", "destination")
        .prefetch_related(Prefetch("passengers", queryset=passengers_with_positions()))
        .order_by("-created_at", "-pk")
    )


def pnr_get_for_user(user, number: str) -> Pnr:
    """One of the user's PNRs by number; Pnr.DoesNotExist (a 404) for anyone else's, so
    that PNR numbers cannot be probed."""
    return pnrs_for_user(user).get(number=number)


def pnr_status(passengers) -> str:
    """A PNR's status, derived from its passengers': CAN when all are cancelled, else CNF,
    RAC or WL when every active passenger has it, else PARTIAL."""
    active = {p.status for p in passengers if p.status != PassengerStatus.CANCELLED}
    if not active:
        return PassengerStatus.CANCELLED
    return active.pop() if len(active) == 1 else "PARTIAL"


def pnr_trips_for_user(user, *, now: datetime) -> QuerySet[Pnr]:
    """The user's PNRs as a list of trips: first the journeys still ahead at `now` (the
    arrival at the alighting stop is later, the operator has not cancelled the trip, and
    someone of the PNR still travels; `upcoming` True), soonest departure first, then the
    others (past or cancelled), latest departure first. Each with its trip, route, company,
    stations and passengers (in order, without queue positions): one query for the PNRs
    and one for all their passengers, however many there are."""
    ahead = (
        Q(arrival_at__gt=now)
        & ~Q(trip__status=TripStatus.CANCELLED)
        & Q(
            Exists(
                Passenger.objects.filter(pnr=OuterRef("pk")).exclude(
                    status=PassengerStatus.CANCELLED
                )
            )
        )
    )
    return (
        Pnr.objects.filter(user=user)
        .select_related("trip__route__company", "origin", "destination")
        .prefetch_related(Prefetch("passengers", queryset=Passenger.objects.order_by("index")))
        .annotate(
            upcoming=ExpressionWrapper(ahead, output_field=BooleanField()),
            soonest=Case(When(ahead, then=F("departure_at"))),
        )
        .order_by(
            F("upcoming").desc(), F("soonest").asc(nulls_last=True), F("departure_at").desc(), "-pk"
        )
    )


def pnr_detail_get_for_user(user, number: str) -> Pnr:
    """One of the user's PNRs, as `pnr_get_for_user`, its passengers also carrying their
    cancellation (for the reason a cancelled one has no ticket): two queries.
    Pnr.DoesNotExist for anyone else's."""
    passengers = passengers_with_positions().select_related("cancellation")
    return (
        pnrs_for_user(user)
        .prefetch_related(None)
        .prefetch_related(Prefetch("passengers", queryset=passengers))
        .get(number=number)
    )


PNR_NUMBER = re.compile(PNR_PATTERN)


def contact_phone(text: str) -> str:
    """A phone number as compared: its digits, after a leading + if it had one, so that
    "+91 98765-43210" and "+919876543210" are the same number."""
    text = (text or "").strip()
    digits = re.sub(r"\D", "", text)
    return f"+{digits}" if text.startswith("+") else digits


def pnr_get_for_contact(*, number: str, contact: str) -> Pnr:
    """A PNR by its number, for someone who also knows its holder's email address (any
    case) or phone number (`contact_phone`): the public PNR status check. With its trip,
    stations and passengers (queue positions, seats): two queries.

    Raises Pnr.DoesNotExist alike for a malformed number, an unknown PNR and a contact that
    is not the holder's, so that the answer tells nothing about a PNR to one who lacks the
    contact."""
    number = (number or "").strip()
    contact = (contact or "").strip()
    if not PNR_NUMBER.fullmatch(number) or not contact or len(contact) > 254:
        raise Pnr.DoesNotExist
    pnr = (
        Pnr.objects.select_related("user", "trip__route__company", "origin", "destination")
        .prefetch_related(Prefetch("passengers", queryset=passengers_with_positions()))
        .filter(number=number)
        .first()
    )
    holder = pnr.user if pnr is not None else None
    if "@" in contact:
        given, known = normalize_email(contact), holder.email if holder else ""
    else:
        given, known = contact_phone(contact), holder.phone if holder else ""
        known = contact_phone(known)
    # A blank contact of the holder never matches; compared in constant time all the same.
    matches = hmac.compare_digest(given.encode(), known.encode()) and bool(known)
    if not matches:
        raise Pnr.DoesNotExist
    return pnr


def trip_seats_on_sale(trip_id: int) -> bool:
    """Whether a class of the trip is still open for sale (fleet asks, `fleet.sales`)."""
    return TripClass.objects.filter(trip_id=trip_id, closed=False).exists()


def trip_seats_sold(trip_id: int) -> bool:
    """Whether the trip's seat inventory exists, its seats belonging to the current vehicle
    (fleet asks, `fleet.sales`)."""
    return TripClass.objects.filter(trip_id=trip_id).exists()
