"""A booking request checked and priced before any transaction: its passengers, the trip and
the journey on it, the booking window, the seats asked for, the fare (`booking_precheck`).
`booking_create` starts with it; the booking form asks it before its review."""

import operator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import reduce

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext

from fleet.models import Company, Seat, Trip
from payments.exceptions import CurrencyMismatch

from ... import rules
from ...exceptions import BookingNotOpen, InvalidBooking, QuotaNotSold, TripNotBookable
from ...models import BOOKABLE_QUOTAS, Quota, TripClass
from ..fares import booking_fare
from ..selectors.journeys import Journey, journey_get, trip_refusal


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


def operator_rules_check(
    company: Company, quota: str, passengers: list[PassengerIn], *, currency: str | None = None
) -> None:
    """The rules of the trip's operator (`company.rules`): it sells in `currency` (when the
    client names the currency it was shown), it sells `quota`, and the booking holds no
    more passengers than it allows (Tatkal still at most 4). Raises CurrencyMismatch
    (`fields["currency"]`), QuotaNotSold (`fields["quota"]`) or InvalidBooking
    (`fields["passengers"]`); reads nothing."""
    if currency is not None and currency != company.currency:
        message = gettext(
            "{company} sells in {sold}, not {asked}; TTMS never converts money."
        ).format(company=company.name, sold=company.currency, asked=currency)
        raise CurrencyMismatch(
            message,
            fields={
                "currency": [
                    gettext("This trip is priced in {sold}.").format(sold=company.currency)
                ]
            },
        )
    operator = company.rules
    if not operator.sells(quota):
        sold = ", ".join(operator.quotas)
        raise QuotaNotSold(
            gettext("{company} does not sell {quota} seats; it sells {quotas}.").format(
                company=company.name, quota=quota, quotas=sold
            ),
            fields={"quota": [gettext("Choose one of {quotas}.").format(quotas=sold)]},
        )
    limit = rules.max_passengers(quota, limit=operator.max_passengers)
    if len(passengers) > limit:
        raise InvalidBooking(
            gettext("{company} takes at most {limit} passengers per booking.").format(
                company=company.name, limit=limit
            ),
            fields={
                "passengers": [
                    gettext("Give between 1 and {limit} passengers.").format(limit=limit)
                ]
            },
        )


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
    """The trip is open from the boarding stop (`selectors.journeys.trip_refusal`), and booking in
    `quota` has opened (`rules.booking_opens_at`, with the operator's booking horizon)."""
    station = journey.origin.station
    refusal = trip_refusal(
        trip=journey.trip, boarding=station, departure_at=journey.departure_at, now=now
    )
    if refusal:
        raise TripNotBookable(refusal)
    opens = rules.booking_opens_at(
        quota=quota,
        class_code=class_code,
        travel_date=journey.travel_date,
        tz=station.tzinfo,
        horizon_days=journey.trip.route.company.rules.booking_horizon_days,
    )
    if now < opens:
        message = {
            Quota.TATKAL: gettext("Tatkal booking for this journey opens at {at} ({zone})."),
            Quota.FOREIGN_TOURIST: gettext(
                "Foreign tourist booking for this journey opens at {at} ({zone})."
            ),
        }.get(quota) or gettext("Booking for this journey opens at {at} ({zone}).")
        raise BookingNotOpen(
            message.format(
                at=gettext("{time} on {date}").format(
                    time=f"{opens:%H:%M}", date=f"{opens:%d %b %Y}"
                ),
                zone=station.time_zone,
            )
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
    currency: str | None = None,
) -> BookingPlan:
    """Everything `booking_create` checks before its transaction, without writing or
    locking anything: the passengers (`passengers_check`), the trip, its operator's rules
    (`operator_rules_check`: the quota sold, passengers per booking) and its stops, that
    the trip is open from the boarding stop and booking in `quota` has opened (within the
    operator's horizon), the seats asked for; and the fare. The booking form asks it before
    its review, so that the review offers only what Pay would accept (but for seats, wallet
    and what changes meanwhile).

    Three queries (trip, stops, fares); a fourth only when a passenger asks for a seat.
    Raises InvalidBooking (QuotaNotSold), TripNotBookable, BookingNotOpen, as
    `booking_create` does.
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
    operator_rules_check(trip.route.company, quota, passengers, currency=currency)
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
        route_id=trip.route_id,
        origin_id=journey.origin.station_id,
        destination_id=journey.destination.station_id,
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
