"""Booking: allocating and charging a new PNR, under the trip class's lock, once the request
is checked and priced (`precheck.booking_precheck`)."""

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from payments.ledger.sales import cash_sale, wallet_sale_accounts, wallet_sale_post
from ttms.accounts.models import User
from ttms.notifications.models import OutboxMessage
from ttms.notifications.services import Message, outbox_add

from ... import rules
from ...exceptions import (
    Busy,
    ChartPrepared,
    InvalidBooking,
    NotAllConfirmed,
    NotOneCoach,
    SoldOut,
    TripNotBookable,
)
from ...locks import bound_lock_waits, lock_timeouts_as_busy, trip_class_lock
from ...models import Passenger, Place, Pnr
from ..inventory import inventory_ensure
from ..selectors.journeys import Journey
from ..selectors.pnrs import new_pnr_positions
from .precheck import PassengerIn, booking_precheck
from .queue import promote_locked

REFERENCE_TYPE = "pnr"
PNR_NUMBER_ATTEMPTS = 3


@dataclass(frozen=True)
class CashBuyer:
    """Who pays a station agent in cash for a booking (`booking_create(cash=...)`): the
    agent's drawer takes the money, the buyer needs no account, and the PNR carries the
    buyer's name and phone (for the SMS ticket and the public status check)."""

    agent: User
    name: str
    phone: str


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
    currency: str | None = None,
    cash: CashBuyer | None = None,
) -> Pnr:
    """Book `passengers` on one trip from one stop to a later one, paid from `user`'s wallet,
    or in cash to a station agent (`cash`: then `user` is the agent, who holds the PNR for
    the buyer, and the sale goes into the agent's drawer).

    Passengers are allocated in order (`booking.rules.allocate`): the seat they asked for
    (`coach`, `seat`) if it is still free for them, else a seat of the quota if they are
    eligible, else GENERAL, else an RAC half berth, else the waiting list, as far as the
    operator's rules go (`Company.rules`: no RAC for an operator without it; without a
    waiting list, a booking that would leave anyone waiting is refused whole as SoldOut).
    The PNR is in the operator's currency. The whole fare is charged in the same
    transaction, from the user's wallet in that currency; with too little money, nothing is
    written.

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
    SoldOut, InsufficientFunds, CurrencyMismatch (`currency`, the one the client was shown,
    is not the operator's), Busy (a lock wait ran out: retry). Runs in its own transaction, or
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
        currency=currency,
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
                cash=cash,
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
    cash: CashBuyer | None = None,
) -> Pnr:
    trip = journey.trip
    company = trip.route.company
    operator = company.rules
    low, high = rules.split_mask(journey.mask)
    total = fare * len(passengers)
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        description = (
            f"{trip.route.number} {journey.origin.station.code}-"
            f"{journey.destination.station.code} {class_code}"
        )
        if cash is not None:
            cash_sale(
                agent=cash.agent,
                company=company,
                amount=total,
                reference_type=REFERENCE_TYPE,
                reference_id=number,
                created_by=booked_by,
                idempotency_record=idempotency_record,
                description=description,
            )
        else:
            accounts = wallet_sale_accounts(user=user, company=company)
            wallet_sale_post(
                accounts=accounts,
                company=company,
                amount=total,
                reference_type=REFERENCE_TYPE,
                reference_id=number,
                created_by=booked_by,
                idempotency_record=idempotency_record,
                description=description,
            )
        # The confirmation is written before the class lock (its reads and inserts cost the
        # lock nothing); what the allocation decides is filled in under it, by one UPDATE.
        confirmed_key = f"booking.confirmed:{number}"
        outbox_add(
            messages=[
                Message(
                    topic="booking.confirmed",
                    # A cash buyer is told by SMS, not the agent who sold the ticket.
                    user_id=None if cash else user.pk,
                    phone=cash.phone if cash else "",
                    payload={
                        "pnr": number,
                        "passengers": [],
                        "fare": total,
                        "currency": company.currency,
                    },
                    dedupe_key=confirmed_key,
                )
            ],
            now=now,
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
        result = rules.allocate(travellers, free, quota=booking_quota, rac=operator.rac)
        if not operator.waitlist and any(a.status == "WL" for a in result.passengers):
            raise SoldOut.for_class(class_code)
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
            currency=company.currency,
            created_at=now,
            buyer_name=cash.name if cash else "",
            buyer_phone=cash.phone if cash else "",
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
        new_pnr_positions(pnr)
        OutboxMessage.objects.filter(dedupe_key=confirmed_key).update(
            payload=_confirmed_payload(pnr)
        )
    return pnr


def _confirmed_payload(pnr: Pnr) -> dict:
    """The payload of the PNR's "booking.confirmed": each passenger's status, place (or
    RAC/WL position) and fare, as allocated under the class lock."""
    return {
        "pnr": pnr.number,
        "passengers": [
            {
                "index": p.index,
                "name": p.name,
                "status": p.status,
                "coach": p.placement.coach if p.placement else "",
                "seat": p.placement.seat if p.placement else "",
                "berth": p.placement.berth_type if p.placement else "",
                "position": getattr(p, "queue_position", None),
                "fare": p.fare,
            }
            for p in pnr.passenger_list
        ],
        "fare": pnr.total_fare,
        "currency": pnr.currency,
    }


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
