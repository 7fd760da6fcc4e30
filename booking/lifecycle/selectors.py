"""Read-side queries of a booking's lifecycle: why a trip was cancelled, and the
cancellation rulebook (`cancellation_plan`: what cancelling passengers of a PNR would refund,
by the company's policy), which the cancellation service applies and the pages quote."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from fleet.models import (
    Trip,
    TripEvent,
    TripStatus,
)

from ..exceptions import AlreadyCancelled, CancellationNotAllowed, InvalidCancellation
from ..models import Boarding, Passenger, PassengerStatus, Pnr, TripClass
from . import refunds

# --- Why a trip was cancelled -------------------------------------------------------------------


def trip_cancellation_reason(trip: Trip) -> str:
    """The reason the operator gave for cancelling `trip` (its latest cancellation
    event), or "" when none was recorded. One query."""
    return (
        TripEvent.objects.filter(trip=trip, to_status=TripStatus.CANCELLED)
        .order_by("-at", "-pk")
        .values_list("reason", flat=True)
        .first()
        or ""
    )


# --- Cancellation quotes -----------------------------------------------------------------------


@dataclass(frozen=True)
class CancellationLine:
    passenger: Passenger
    quote: refunds.Quote


@dataclass(frozen=True)
class CancellationPlan:
    """What cancelling some passengers of a PNR now does: per passenger, the fare, what is
    kept and what is refunded, and the rule that applied."""

    pnr: Pnr
    lines: list[CancellationLine]
    policy: str
    charted: bool
    minutes_before_departure: int

    @property
    def fare(self) -> int:
        return sum(line.quote.fare for line in self.lines)

    @property
    def charge(self) -> int:
        return sum(line.quote.charge for line in self.lines)

    @property
    def refund(self) -> int:
        return sum(line.quote.refund for line in self.lines)


# Translated when quoted (`gettext`), in the language of the one who cancels.
CAUSE_RULES = {
    "trip_cancelled": gettext_noop("The operator cancelled the trip: the whole fare is refunded."),
    "charting": gettext_noop(
        "Still waitlisted when the chart was prepared: the whole fare is refunded."
    ),
}


def cancellation_plan(
    *,
    pnr: Pnr,
    passengers: list[Passenger],
    passenger_ids: list[int] | None,
    cause: str,
    charted: bool,
    now: datetime,
) -> CancellationPlan:
    """Check that the passengers named (`passenger_ids`, Passenger primary keys; None: every
    active passenger) can be cancelled now, and quote each under the company's refund
    policy; `passengers` are all of the PNR's. Raises InvalidCancellation,
    AlreadyCancelled or CancellationNotAllowed with a message a passenger can read.
    """
    trip = pnr.trip
    if cause == "passenger":
        if trip.status not in (TripStatus.SCHEDULED, TripStatus.BOARDING):
            raise CancellationNotAllowed(
                gettext(
                    "Trip {number} is {status}; its bookings can no longer be cancelled."
                ).format(number=trip.route.number, status=trip.get_status_display().lower())
            )
        if now >= pnr.departure_at:
            tz = pnr.origin.tzinfo
            raise CancellationNotAllowed(
                gettext(
                    "The trip left {station} at {time}; the booking can no longer be cancelled."
                ).format(
                    station=pnr.origin.name,
                    time=gettext("{time} on {date}").format(
                        time=f"{pnr.departure_at.astimezone(tz):%H:%M}",
                        date=f"{pnr.departure_at.astimezone(tz):%d %b %Y}",
                    ),
                )
            )
    by_id = {p.pk: p for p in passengers}
    active = [p for p in passengers if p.status != PassengerStatus.CANCELLED]
    if passenger_ids is None:
        chosen = active
    else:
        unknown = sorted(set(passenger_ids) - set(by_id))
        if unknown or not passenger_ids:
            raise InvalidCancellation(
                gettext("Name the passengers of this PNR to cancel.")
                if not passenger_ids
                else gettext("Passenger {passenger} is not on PNR {pnr}.").format(
                    passenger=unknown[0], pnr=pnr.number
                ),
                fields={"passengers": [gettext("Give passenger ids of this PNR.")]},
            )
        chosen = [by_id[pk] for pk in sorted(set(passenger_ids))]
        if any(p.status == PassengerStatus.CANCELLED for p in chosen):
            done = [str(p.index) for p in chosen if p.status == PassengerStatus.CANCELLED]
            raise AlreadyCancelled(
                gettext("Passenger {indexes} of PNR {pnr} is already cancelled.").format(
                    indexes=", ".join(done), pnr=pnr.number
                )
            )
    if not chosen:
        raise AlreadyCancelled(
            gettext("Every passenger of PNR {pnr} is already cancelled.").format(pnr=pnr.number)
        )
    if cause == "passenger" and (
        boarded := Boarding.objects.filter(passenger__in=[p.pk for p in chosen])
        .select_related("passenger")
        .first()
    ):
        raise CancellationNotAllowed(
            gettext(
                "{name} (passenger {index}) has boarded; the booking can no longer be "
                "cancelled for them."
            ).format(name=boarded.passenger.name, index=boarded.passenger.index)
        )
    if cause == "charting" and any(p.status != PassengerStatus.WAITLISTED for p in active):
        raise CancellationNotAllowed(
            gettext(
                "PNR {pnr} has a passenger seated now; charting cancels only PNRs still "
                "wholly waitlisted."
            ).format(pnr=pnr.number)
        )
    if charted and cause == "passenger" and len(chosen) < len(active):
        raise CancellationNotAllowed(
            gettext(
                "The chart is prepared: only the whole booking can be cancelled now, not "
                "some of its passengers."
            )
        )
    company = trip.route.company
    if cause in CAUSE_RULES:
        quotes = [
            refunds.full_refund(fare=p.fare, rule=gettext(CAUSE_RULES[cause])) for p in chosen
        ]
        policy_name = "full"
    else:
        try:
            policy = refunds.policy_get(company.refund_policy, company.refund_tiers)
        except ValueError as exc:  # saved past Company.clean (a data migration, a shell)
            raise CancellationNotAllowed(
                gettext(
                    "{company}'s refund policy cannot be read ({error}); ask the operator."
                ).format(company=company.name, error=exc)
            ) from None
        policy_name = policy.name
        quotes = [
            refunds.quote(
                policy,
                fare=p.fare,
                class_code=pnr.class_code,
                status=p.status,
                pnr_quota=pnr.quota,
                departure_at=pnr.departure_at,
                now=now,
                charted=charted,
                currency=pnr.currency,
            )
            for p in chosen
        ]
    minutes = int((pnr.departure_at - now).total_seconds() // 60)
    return CancellationPlan(
        pnr,
        [CancellationLine(p, q) for p, q in zip(chosen, quotes, strict=True)],
        policy_name,
        charted,
        minutes,
    )


def refund_quote(
    *, pnr: Pnr, passenger_ids: list[int] | None = None, now: datetime | None = None
) -> CancellationPlan:
    """What cancelling these passengers (None: all active ones) now would refund; reads,
    locks nothing (the cancellation quotes again under its locks)."""
    now = now or timezone.now()
    return cancellation_plan(
        pnr=pnr,
        passengers=list(pnr.passengers.all()),
        passenger_ids=passenger_ids,
        cause="passenger",
        charted=TripClass.objects.filter(pk=pnr.trip_class_id, charted_at__isnull=False).exists(),
        now=now,
    )
