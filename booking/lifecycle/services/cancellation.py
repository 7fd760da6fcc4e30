"""Cancellation: some or all passengers of a PNR, refunded by the company's policy."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from payments.ledger.accounts import drawer_get_or_create
from payments.ledger.refunds import (
    booking_refund,
    cash_office_refund,
    cash_refund,
    refund_accounts_lock,
)
from payments.locks import accounts_lock
from payments.models import Account, Entry, Transaction
from ttms.accounts.models import User
from ttms.audit.services import audit_record
from ttms.notifications.services import Message, outbox_add

from ... import rules
from ...locks import bound_lock_waits, lock_timeouts_as_busy, pnr_lock, trip_class_lock
from ...models import SEATED_STATUSES, Cancellation, Passenger, PassengerStatus, Place, Pnr
from ...sales.services.create import REFERENCE_TYPE
from ..selectors import CancellationPlan, cancellation_plan
from .promotion import promotion_enqueue


def booking_cancel(
    *,
    pnr: Pnr,
    by: User | None,
    passenger_ids: list[int] | None = None,
    cause: str = Cancellation.Cause.PASSENGER,
    idempotency_record=None,
    now: datetime | None = None,
    cash_agent: User | None = None,
) -> Cancellation:
    """Cancel the passengers of `pnr` named by `passenger_ids` (Passenger primary keys;
    None: every active one), and refund each by the company's refund policy (the whole
    fare for a trip the operator cancelled, or a PNR still waitlisted at charting).

    One transaction: the PNR's row lock, the paying wallet's lock (`payments`, wallet before
    trip class as everywhere), the trip class's lock; then, re-read under them, the
    passengers are quoted (`lifecycle.selectors.cancellation_plan`), set CAN with their refund,
    their places' legs freed, the refund posted to the ledger, the cancellation recorded with its
    lines, the holder told (outbox), and the class marked `promotion_due`, with the
    promotion task enqueued on commit. A retry after it committed finds the passengers
    cancelled and raises AlreadyCancelled: a refund is paid once.

    A PNR sold for cash at a counter (it names its buyer) is refunded in cash
    (`payments.ledger.refunds.cash_refund`) from `cash_agent`'s drawer, the agent at the
    counter handing it back; without one (the operator cancelled the trip, charting) the
    company's cash office owes it (`cash_office_refund`), and the buyer, told by SMS,
    collects it at a counter. The drawers are locked before the trip class, as a cash sale
    locks them. A PNR paid from a wallet is refunded to the wallet whatever `cash_agent`
    says.

    Raises InvalidCancellation, AlreadyCancelled, CancellationNotAllowed, Busy (and for a
    cash PNR NotAnAgent, InsufficientCash: the drawer holds less than the refund); on an
    error nothing is written.
    """
    now = now or timezone.now()
    in_cash = _sold_in_cash(pnr)
    cash_payer = cash_agent if in_cash else None
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        pnr_lock(pk=pnr.pk)
        if in_cash:
            _cash_drawers_lock(pnr, cash_payer or pnr.booked_by)
        else:
            refund_accounts_lock(reference_type=REFERENCE_TYPE, reference_id=pnr.number)
        trip_class = trip_class_lock(trip_id=pnr.trip_id, class_code=pnr.class_code)
        passengers = list(Passenger.objects.filter(pnr=pnr).order_by("index"))
        plan = cancellation_plan(
            pnr=pnr,
            passengers=passengers,
            passenger_ids=passenger_ids,
            cause=cause,
            charted=trip_class.charted_at is not None,
            now=now,
        )
        cancellation = _record(plan, cause=cause, by=by, now=now)
        freed = _free_places(pnr, plan)
        for line in plan.lines:
            line.passenger.status = PassengerStatus.CANCELLED
            line.passenger.cancellation = cancellation
            line.passenger.refund = line.quote.refund
        Passenger.objects.bulk_update(
            [line.passenger for line in plan.lines], ["status", "cancellation", "refund"]
        )
        if plan.refund and cash_payer is not None:
            cancellation.transaction = cash_refund(
                agent=cash_payer,
                reference_type=REFERENCE_TYPE,
                reference_id=pnr.number,
                amount=plan.refund,
                created_by=by,
                idempotency_record=idempotency_record,
                description=f"Cancellation of PNR {pnr.number}, in cash",
            )
            cancellation.save(update_fields=["transaction"])
        elif plan.refund and in_cash:
            cancellation.transaction = cash_office_refund(
                reference_type=REFERENCE_TYPE,
                reference_id=pnr.number,
                amount=plan.refund,
                created_by=by,
                description=f"Cancellation of PNR {pnr.number}, owed in cash",
            )
            cancellation.save(update_fields=["transaction"])
        elif plan.refund:
            cancellation.transaction = booking_refund(
                reference_type=REFERENCE_TYPE,
                reference_id=pnr.number,
                amount=plan.refund,
                created_by=by,
                idempotency_record=idempotency_record,
                description=f"Cancellation of PNR {pnr.number}",
            )
            cancellation.save(update_fields=["transaction"])
        audit_record(
            actor=by or f"system:{cause}",
            action="booking.cancelled",
            target=pnr,
            data={
                "cause": cause,
                "passengers": [line.passenger.index for line in plan.lines],
                "policy": plan.policy,
                "fare": plan.fare,
                "charge": plan.charge,
                "refund": plan.refund,
                "currency": pnr.currency,
                **({"cash_paid_by": cash_payer.pk} if cash_payer is not None else {}),
            },
        )
        outbox_add(
            messages=[
                Message(
                    topic="pnr.cancelled",
                    # A cash buyer is told by SMS, not the agent who holds the PNR.
                    user_id=None if cash_payer is not None else pnr.user_id,
                    phone=pnr.buyer_phone if cash_payer is not None else "",
                    payload={
                        "pnr": pnr.number,
                        "cause": cause,
                        "refund": plan.refund,
                        "currency": pnr.currency,
                        "passengers": [line.passenger.index for line in plan.lines],
                        "policy": plan.policy,
                    },
                    dedupe_key=f"pnr.cancelled:{cancellation.pk}",
                )
            ],
            now=now,
        )
        if freed and trip_class is not None and not (trip_class.closed or trip_class.promotion_due):
            # Already due: the task enqueued then has not run yet (it needs this lock), and
            # will promote into these places too. Waitlisted passengers free nothing.
            trip_class.promotion_due = True
            trip_class.save(update_fields=["promotion_due"])
            promotion_enqueue(trip_class.pk)
    return cancellation


def _sold_in_cash(pnr: Pnr) -> bool:
    """Sold for cash at a counter: the PNR names its buyer (`booking_create(cash=...)`)."""
    return bool(pnr.buyer_phone or pnr.buyer_name)


def _cash_drawers_lock(pnr: Pnr, payer: User) -> None:
    """Lock the drawers that took the PNR's cash sale and `payer`'s drawer, as the later
    `cash_refund` will (it locks them again, already held): before the trip class, in the
    order a cash sale takes them (drawer, then class). Creates `payer`'s drawer if it has
    none (NotAnAgent when `payer` is no station agent). Raises Busy."""
    drawers = set(
        Entry.objects.filter(
            transaction__reference_type=REFERENCE_TYPE,
            transaction__reference_id=pnr.number,
            transaction__kind=Transaction.Kind.CASH_SALE,
            account__kind=Account.Kind.DRAWER,
        )
        .values_list("account_id", flat=True)
        .distinct()
    )
    drawers.add(drawer_get_or_create(agent=payer, currency=pnr.currency).pk)
    accounts_lock(account_ids=sorted(drawers))


def _record(plan: CancellationPlan, *, cause: str, by: User | None, now: datetime) -> Cancellation:
    return Cancellation.objects.create(
        pnr=plan.pnr,
        cause=cause,
        cancelled_by=by,
        created_at=now,
        policy=plan.policy,
        minutes_before_departure=plan.minutes_before_departure,
        charted=plan.charted,
        fare=plan.fare,
        charge=plan.charge,
        refund=plan.refund,
        lines=[
            {
                "passenger": line.passenger.pk,
                "index": line.passenger.index,
                "name": line.passenger.name,
                "status": line.passenger.status,
                "fare": line.quote.fare,
                "charge": line.quote.charge,
                "refund": line.quote.refund,
                "rule": line.quote.rule,
            }
            for line in plan.lines
        ],
    )


def _free_places(pnr: Pnr, plan: CancellationPlan) -> bool:
    """Clear the PNR's legs from the places its cancelled CNF/RAC passengers held (both
    halves for a whole RAC berth); True when some were. Only one passenger holds a place on
    a given leg, so the legs cleared are exactly theirs."""
    held = [line.passenger for line in plan.lines if line.passenger.status in SEATED_STATUSES]
    if not held:
        return False
    places = Place.objects.filter(
        trip_class_id=pnr.trip_class_id, seat_id__in={p.seat_id for p in held}
    )
    wanted = {(p.seat_id, p.half) for p in held} | {
        (p.seat_id, h) for p in held if p.half == 0 for h in (1, 2)
    }
    low, high = pnr.legs_low, pnr.legs_high
    rows = [place for place in places if (place.seat_id, place.half) in wanted]
    for place in rows:
        mask = rules.join_mask(place.legs_low, place.legs_high) & ~rules.join_mask(low, high)
        place.legs_low, place.legs_high = rules.split_mask(mask)
    Place.objects.bulk_update(rows, ["legs_low", "legs_high"])
    return True
