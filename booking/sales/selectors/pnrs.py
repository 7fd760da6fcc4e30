"""PNRs as their holders read them: with their passengers' RAC and waiting-list positions
(derived, never stored), a user's PNRs and trips, and the PNR found by its holder's contact
(the public status check)."""

import hmac
import re
from collections import defaultdict
from datetime import datetime

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

from fleet.models import TripStatus
from ttms.accounts.models import normalize_email

from ...models import PNR_PATTERN, Passenger, PassengerStatus, Pnr


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
    case) or phone number (`contact_phone`): the public PNR status check. A PNR sold for
    cash at a counter matches only its buyer's phone. With its trip,
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
    # A PNR sold for cash at a counter is the buyer's: their phone, not the agent's contact.
    cash_phone = pnr.buyer_phone if pnr is not None else ""
    if "@" in contact:
        given = normalize_email(contact)
        known = holder.email if holder and not cash_phone else ""
    else:
        given, known = contact_phone(contact), cash_phone or (holder.phone if holder else "")
        known = contact_phone(known)
    # A blank contact of the holder never matches; compared in constant time all the same.
    matches = hmac.compare_digest(given.encode(), known.encode()) and bool(known)
    if not matches:
        raise Pnr.DoesNotExist
    return pnr
