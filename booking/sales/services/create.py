"""Booking: allocating and charging a new PNR."""

import operator
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from functools import reduce

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext

from fleet.models import Seat, Trip
from payments.ledger.sales import wallet_sale_accounts, wallet_sale_post
from ttms.accounts.models import User

from ... import rules
from ...exceptions import (
    BookingNotOpen,
    Busy,
    ChartPrepared,
    InvalidBooking,
    NotAllConfirmed,
    NotOneCoach,
    TripNotBookable,
)
from ...lifecycle.services.promotion import promote_locked
from ...locks import bound_lock_waits, lock_timeouts_as_busy, trip_class_lock
from ...models import BOOKABLE_QUOTAS, Passenger, Place, Pnr, Quota, TripClass
from ..fares import booking_fare
from ..inventory import inventory_ensure
from ..selectors.journeys import Journey, journey_get, trip_refusal

REFERENCE_TYPE = "pnr"
PNR_NUMBER_ATTEMPTS = 3


@dataclass(frozen=True)
class PassengerIn:
    """A passenger as the booking request names them; `coach` and `seat` (both or
    neither) name the seat asked for, as the seat map shows it ("S1", "12")."""

    name: str
    age: int
    gender: str
    berth_preference: str = ""
    passport_number: str = ""
    nationality: str = ""
    coach: str = ""
    seat: str = ""

    @property
    def traveller(self) -> rules.Traveller:
        return rules.Traveller(
            self.age, self.gender, self.berth_preference, self.passport_number, self.nationality
        )

    @property
    def wanted(self) -> tuple[str, str] | None:
        """(coach, seat) asked for, or None."""
        coach, seat = self.coach.strip(), self.seat.strip()
        return (coach, seat) if coach or seat else None


def passengers_check(quota: str, passengers: list[PassengerIn]) -> None:
    """The rules a booking's passengers must meet whatever the trip: a bookable quota, 1 to
    `rules.max_passengers` passengers (6; Tatkal 4), a passport and country for each foreign
    tourist, each country given an ISO 3166-1 code (alpha-2 or alpha-3), each seat asked for
    named whole and only once. Raises InvalidBooking with `fields` by passenger index; reads
    nothing, so the booking form asks it before the review."""
    if quota not in BOOKABLE_QUOTAS:
        raise InvalidBooking(
            gettext("{quota!r} is not a quota one can book in.").format(quota=quota),
            fields={
                "quota": [
                    gettext("Choose one of {quotas}.").format(quotas=", ".join(BOOKABLE_QUOTAS))
                ]
            },
        )
    limit = rules.max_passengers(quota)
    if not 1 <= len(passengers) <= limit:
        raise InvalidBooking(
            gettext("A {quota} booking holds 1 to {limit} passengers.").format(
                quota=quota.lower().replace("_", " "), limit=limit
            ),
            fields={
                "passengers": [
                    gettext("Give between 1 and {limit} passengers.").format(limit=limit)
                ]
            },
        )
    if quota == Quota.FOREIGN_TOURIST:
        missing = {
            str(i): [gettext("A foreign tourist needs a passport number and country.")]
            for i, p in enumerate(passengers)
            if not p.passport_number.strip() or not p.nationality.strip()
        }
        if missing:
            raise InvalidBooking(
                gettext(
                    "Foreign tourist bookings need each passenger's passport number and country."
                ),
                fields={"passengers": missing},
            )
    _check_countries(passengers)
    _check_wanted_seats(passengers)


def _check_countries(passengers: list[PassengerIn]) -> None:
    """Each country given is one of ISO 3166-1, by its alpha-2 or alpha-3 code
    (`rules.country_code`)."""
    unknown = {}
    for i, p in enumerate(passengers):
        try:
            rules.country_code(p.nationality)
        except ValueError as exc:
            unknown[str(i)] = [str(exc)]
    if unknown:
        raise InvalidBooking(next(iter(unknown.values()))[0], fields={"passengers": unknown})


def _check_wanted_seats(passengers: list[PassengerIn]) -> None:
    """Each seat asked for names its coach and number, and no two passengers ask for the
    same seat."""
    halves = {
        str(i): [gettext("Give both the coach and the seat number, or neither.")]
        for i, p in enumerate(passengers)
        if p.wanted and not all(p.wanted)
    }
    if halves:
        raise InvalidBooking(
            gettext("A seat asked for needs both its coach and its number."),
            fields={"passengers": halves},
        )
    seen: set[tuple[str, str]] = set()
    twice = {}
    for i, p in enumerate(passengers):
        if p.wanted in seen:
            twice[str(i)] = [
                gettext(
                    "Another passenger of this booking already asks for seat {seat} in coach "
                    "{coach}."
                ).format(seat=p.wanted[1], coach=p.wanted[0])
            ]
        elif p.wanted is not None:
            seen.add(p.wanted)
    if twice:
        raise InvalidBooking(
            gettext("Two passengers ask for the same seat; each seat holds one passenger."),
            fields={"passengers": twice},
        )


def _wanted_seats(
    *, vehicle_id: int, class_code: str, passengers: list[PassengerIn]
) -> list[tuple[int, str] | None]:
    """The Seat id and berth type of the seat each passenger asks for (None: no seat asked
    for), from the seats of the trip's vehicle in `class_code`: one query, none when nobody
    asks for a seat.

    Raises InvalidBooking naming each passenger whose seat is not one of them.
    """
    wanted = [p.wanted for p in passengers]
    asked = {w for w in wanted if w is not None}
    if not asked:
        return [None] * len(passengers)
    match = reduce(
        operator.or_, (Q(coach__code=coach, number=number) for coach, number in sorted(asked))
    )
    found = {
        (coach, number): (pk, berth_type)
        for pk, coach, number, berth_type in Seat.objects.filter(
            match, coach__vehicle_id=vehicle_id, coach__travel_class__code=class_code
        ).values_list("pk", "coach__code", "number", "berth_type")
    }
    unknown = {
        str(i): [
            gettext(
                "There is no seat {seat} in coach {coach} in class {class_code} of this trip."
            ).format(seat=w[1], coach=w[0], class_code=class_code)
        ]
        for i, w in enumerate(wanted)
        if w is not None and w not in found
    }
    if unknown:
        first = next(iter(unknown.values()))[0]
        raise InvalidBooking(
            first
            if len(unknown) == 1
            else gettext(
                "{count} of the seats asked for are not seats of class {class_code} of this trip."
            ).format(count=len(unknown), class_code=class_code),
            fields={"passengers": unknown},
        )
    return [found[w] if w is not None else None for w in wanted]


def _check_window(journey: Journey, *, quota: str, class_code: str, now: datetime) -> None:
    """The trip is open from the boarding stop (`selectors.trip_refusal`), and booking in
    `quota` has opened (`rules.booking_opens_at`)."""
    station = journey.origin.station
    refusal = trip_refusal(
        trip=journey.trip, boarding=station, departure_at=journey.departure_at, now=now
    )
    if refusal:
        raise TripNotBookable(refusal)
    opens = rules.booking_opens_at(
        quota=quota, class_code=class_code, travel_date=journey.travel_date, tz=station.tzinfo
    )
    if now < opens:
        message = {
            Quota.TATKAL: gettext("Tatkal booking for this journey opens at {at} ({zone})."),
            Quota.FOREIGN_TOURIST: gettext(
                "Foreign tourist booking for this journey opens at {at} ({zone})."
            ),
        }.get(quota) or gettext("Booking for this journey opens at {at} ({zone}).")
        raise BookingNotOpen(
            message.format(at=f"{opens:%H:%M on %d %b %Y}", zone=station.time_zone)
        )


@dataclass(frozen=True)
class BookingPlan:
    """What `booking_precheck` settled for a booking: the journey, the class, the quota
    really used once eligibility is settled (`quota`: an ineligible LADIES or SENIOR
    request is GENERAL), its fare per passenger, and the passengers as the allocation
    sees them (with the seat each asked for, if any, and its berth)."""

    journey: Journey
    class_code: str
    quota: str
    fare: int
    travellers: list[rules.Traveller]
    berths: list[str]  # the berth type of each passenger's seat asked for; "" for none


def booking_precheck(
    *,
    trip_id: int,
    origin_code: str,
    destination_code: str,
    class_code: str,
    quota: str,
    passengers: list[PassengerIn],
    now: datetime,
) -> BookingPlan:
    """Everything `booking_create` checks before its transaction, without writing or
    locking anything: the passengers (`passengers_check`), the trip and its stops, that the
    trip is open from the boarding stop and booking in `quota` has opened, the seats asked
    for; and the fare. The booking form asks it before its review, so that the review
    offers only what Pay would accept (but for seats, wallet and what changes meanwhile).

    Three queries (trip, stops, fares); a fourth only when a passenger asks for a seat.
    Raises InvalidBooking, TripNotBookable, BookingNotOpen, as `booking_create` does.
    """
    class_code = (class_code or "").strip().upper()
    quota = (quota or Quota.GENERAL).strip().upper()
    passengers_check(quota, passengers)
    try:
        trip = (
            Trip.objects.select_related("route__company")
            .annotate(has_inventory=Exists(TripClass.objects.filter(trip_id=OuterRef("pk"))))
            .get(pk=trip_id)
        )
    except Trip.DoesNotExist:
        raise InvalidBooking(
            gettext("There is no trip {trip}.").format(trip=trip_id),
            fields={"trip": [gettext("No such trip.")]},
        ) from None
    journey = journey_get(trip=trip, origin_code=origin_code, destination_code=destination_code)
    _check_window(journey, quota=quota, class_code=class_code, now=now)
    seats = _wanted_seats(vehicle_id=trip.vehicle_id, class_code=class_code, passengers=passengers)
    travellers = [
        replace(p.traveller, seat_id=seat[0] if seat else None)
        for p, seat in zip(passengers, seats, strict=True)
    ]
    booking_quota, fare = booking_fare(
        company_id=trip.route.company_id,
        class_code=class_code,
        distance_km=journey.distance_km,
        quota=quota,
        travellers=travellers,
    )
    return BookingPlan(
        journey,
        class_code,
        booking_quota,
        fare,
        travellers,
        [seat[1] if seat else "" for seat in seats],
    )


def _new_pnr_number() -> str:
    """10 digits, the first not 0, drawn from a CSPRNG: one PNR says nothing of another."""
    return str(1_000_000_000 + secrets.randbelow(9_000_000_000))


def booking_create(
    *,
    user: User,
    trip_id: int,
    origin_code: str,
    destination_code: str,
    class_code: str,
    quota: str,
    passengers: list[PassengerIn],
    only_if_all_confirmed: bool = False,
    only_in_one_coach: bool = False,
    booked_by: User | None = None,
    idempotency_record=None,
    now: datetime | None = None,
) -> Pnr:
    """Book `passengers` on one trip from one stop to a later one, paid from `user`'s wallet.

    Passengers are allocated in order (`booking.rules.allocate`): the seat they asked for
    (`coach`, `seat`) if it is still free for them, else a seat of the quota if they are
    eligible, else GENERAL, else an RAC half berth, else the waiting list. The whole fare
    is charged in the same transaction; with too little money, nothing is written.

    Everything that needs no transaction happens first (`booking_precheck`: trip, stops,
    fares, three queries; a fourth resolves the seats asked for, only when a passenger asks
    for one).
    The transaction then reads the ledger accounts, debits the wallet (its row lock),
    writes the ledger entries, and only then locks the trip class, reads its free places,
    and writes the PNR, passengers and places: the class lock is held across four
    statements and the commit.
    A trip's inventory is created on its first booking (`inventory_ensure`).

    Raises InvalidBooking (also for a seat asked for that is not a seat of the class on
    this trip, a coach without a seat or a seat without a coach, or a seat asked for by
    two passengers: `fields={"passengers": {"<index>": [message]}}`, indexes counted from
    0 as in the request), TripNotBookable, BookingNotOpen, NotAllConfirmed, NotOneCoach,
    InsufficientFunds, Busy (a lock wait ran out: retry). Runs in its own transaction, or
    in a savepoint of the caller's; on an error nothing of it is written.
    """
    now = now or timezone.now()
    plan = booking_precheck(
        trip_id=trip_id,
        origin_code=origin_code,
        destination_code=destination_code,
        class_code=class_code,
        quota=quota,
        passengers=passengers,
        now=now,
    )
    journey = plan.journey
    if not journey.trip.has_inventory:
        inventory_ensure(trip_id=journey.trip.pk)

    for attempt in range(1, PNR_NUMBER_ATTEMPTS + 1):
        number = _new_pnr_number()
        try:
            return _book(
                journey=journey,
                user=user,
                booked_by=booked_by or user,
                class_code=plan.class_code,
                booking_quota=plan.quota,
                passengers=passengers,
                travellers=plan.travellers,
                fare=plan.fare,
                number=number,
                only_if_all_confirmed=only_if_all_confirmed,
                only_in_one_coach=only_in_one_coach,
                idempotency_record=idempotency_record,
                now=now,
            )
        except IntegrityError:
            # Only a PNR number drawn twice is worth another draw; anything else is a bug.
            if not Pnr.objects.filter(number=number).exists():
                raise
            if attempt == PNR_NUMBER_ATTEMPTS:
                raise Busy(gettext("Please retry: the booking could not be numbered.")) from None


def _book(
    *,
    journey: Journey,
    user: User,
    booked_by: User,
    class_code: str,
    booking_quota: str,
    passengers: list[PassengerIn],
    travellers: list[rules.Traveller],
    fare: int,
    number: str,
    only_if_all_confirmed: bool,
    only_in_one_coach: bool,
    idempotency_record,
    now: datetime,
) -> Pnr:
    trip = journey.trip
    low, high = rules.split_mask(journey.mask)
    total = fare * len(passengers)
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        accounts = wallet_sale_accounts(user=user, company=trip.route.company)
        wallet_sale_post(
            accounts=accounts,
            company=trip.route.company,
            amount=total,
            reference_type=REFERENCE_TYPE,
            reference_id=number,
            created_by=booked_by,
            idempotency_record=idempotency_record,
            description=f"{trip.route.number} {journey.origin.station.code}-"
            f"{journey.destination.station.code} {class_code}",
        )
        # --- the class lock: held from here to the commit ---
        trip_class = trip_class_lock(trip_id=trip.pk, class_code=class_code)
        if trip_class is None:
            raise InvalidBooking(
                gettext("Trip {number} has no {class_code} class.").format(
                    number=trip.route.number, class_code=class_code
                ),
                fields={"class": [gettext("Not a class of this trip.")]},
            )
        if trip_class.closed:  # the trip was cancelled after the checks above
            raise TripNotBookable(
                gettext("Trip {number} of {date} is cancelled; it cannot be booked.").format(
                    number=trip.route.number, date=trip.service_date
                )
            )
        if trip_class.promotion_due:
            # Places were freed and their promotion has not run yet: those waiting go first.
            promote_locked(trip_class, now=now)
        free = _free_places(trip_class.pk, low, high)
        result = rules.allocate(travellers, free, quota=booking_quota)
        if only_if_all_confirmed and not result.all_confirmed:
            raise NotAllConfirmed()
        if trip_class.charted_at and any(a.status == "WL" for a in result.passengers):
            raise ChartPrepared()
        if only_in_one_coach and (not result.all_confirmed or len(result.coaches) > 1):
            raise NotOneCoach()
        pnr = Pnr.objects.create(
            number=number,
            user=user,
            booked_by=booked_by,
            trip=trip,
            trip_class=trip_class,
            class_code=class_code,
            quota=booking_quota,
            origin=journey.origin.station,
            destination=journey.destination.station,
            origin_sequence=journey.origin.sequence,
            destination_sequence=journey.destination.sequence,
            departure_at=journey.departure_at,
            arrival_at=journey.arrival_at,
            distance_km=journey.distance_km,
            legs_low=low,
            legs_high=high,
            total_fare=total,
            currency=accounts.wallet.currency,
            created_at=now,
        )
        rows = []
        for index, (given, allocation) in enumerate(
            zip(passengers, result.passengers, strict=True), start=1
        ):
            place = allocation.place
            rows.append(
                Passenger(
                    pnr=pnr,
                    trip_class=trip_class,
                    index=index,
                    name=given.name.strip(),
                    age=given.age,
                    gender=given.gender,
                    berth_preference=given.berth_preference,
                    passport_number=given.passport_number.strip(),
                    nationality=rules.country_code(given.nationality),
                    status=allocation.status,
                    booking_status=allocation.status,
                    quota=allocation.quota,
                    seat_id=place.seat_id if place else None,
                    half=place.half if place else 0,
                    fare=fare,
                )
            )
        pnr.passenger_list = Passenger.objects.bulk_create(rows)
        for passenger, allocation in zip(pnr.passenger_list, result.passengers, strict=True):
            place = allocation.place
            passenger.placement = (
                rules.Placement(place.coach_code, place.seat_number, place.berth_type)
                if place
                else None
            )
        taken = [a.place.place_id for a in result.passengers if a.place is not None]
        if taken:
            legs = {"legs_low": F("legs_low").bitor(low)}
            if high:
                legs["legs_high"] = F("legs_high").bitor(high)
            Place.objects.filter(pk__in=taken).update(**legs)
    return pnr


def _free_places(trip_class_id: int, low: int, high: int) -> list[rules.FreePlace]:
    """The places of a trip class free on every leg of the mask (low, high)."""
    places = (
        Place.objects.filter(trip_class_id=trip_class_id)
        .alias(busy_low=F("legs_low").bitand(low))
        .filter(busy_low=0)
    )
    if high:
        places = places.alias(busy_high=F("legs_high").bitand(high)).filter(busy_high=0)
    return [
        rules.FreePlace(*row)
        for row in places.values_list(
            "pk",
            "seat_id",
            "coach_id",
            "order",
            "berth_type",
            "quota",
            "half",
            "seat_number",
            "coach_code",
        )
    ]
