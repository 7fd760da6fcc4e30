"""Charting: a trip's final allocations, its waitlist dropped, its chart frozen (DESIGN.md
section 5, Charting).

`chart_prepare` works in short steps, each its own transaction, so that no step holds a
lock another path takes in the other order (the wallet before the trip class, the trip
class never around a cancellation's own locks):

1. class by class, under the trip class's lock: unused LADIES berths to waitlisted women,
   then to seniors; every other unused quota seat to GENERAL; promotion into them;
2. PNR by PNR: those whose passengers are all still waitlisted cancelled with a full
   refund (`booking_cancel`, cause "charting");
3. under the trip's row lock: the chart written once, read back from the database.

Each step is safe to repeat: run again after a failure (a lock wait that ran out), or at the
same time as another run, charting finishes the work and writes one chart.
"""

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from fleet.exceptions import Busy as FleetBusy
from fleet.locks import lock_trip
from fleet.models import Company, RouteStop, Trip, TripStatus
from fleet.selectors import company_editor_ids
from ttms.accounts.models import User
from ttms.audit.services import audit_record
from ttms.notifications.producers import staff_messages
from ttms.notifications.services import Message, outbox_add

from ... import rules
from ...exceptions import AlreadyCancelled, Busy, CancellationNotAllowed, ChartingRefused
from ...locks import bound_lock_waits, lock_timeouts_as_busy, trip_class_lock
from ...models import (
    ACTIVE_STATUSES,
    SEATED_STATUSES,
    Cancellation,
    Chart,
    Gender,
    Passenger,
    PassengerStatus,
    Place,
    Pnr,
    Promotion,
    Quota,
    TripClass,
)
from ...sales.services.queue import ClassState
from .cancellation import booking_cancel

logger = logging.getLogger(__name__)

CHARTABLE_STATUSES = (TripStatus.SCHEDULED, TripStatus.BOARDING)
# How far ahead `charts_prepare_due` looks at least: the railway rule charts at most 17 h
# ahead (21:00 for a 13:59 departure); a company offset further out widens it.
CHART_HORIZON = timedelta(days=2)
KEEPS_QUOTA = (Quota.GENERAL, Quota.RAC)


def chart_prepare(*, trip: Trip, by: User | None = None, now: datetime | None = None) -> Chart:
    """Prepare the chart of `trip` (a trip SCHEDULED or BOARDING) and return it; a trip
    already charted returns its chart unchanged, whoever asks and whatever its status now.

    In each class of the trip, under the trip class's lock (bounded wait): unused LADIES
    berths go to waitlisted women, then to waitlisted seniors (`rules.release`: RAC before
    WL, each in queue order, each passenger on their own legs); the quota's remaining
    places and every other quota's become GENERAL; the RAC and WL passengers are promoted
    into them first come first served (`rules.promote`). Every move is a Promotion with
    cause "charting" and a message to the holder. Then each PNR whose active passengers
    are all still WL is cancelled with a full refund (cause "charting"); a PNR with some
    passenger seated keeps its WL passengers. Finally, under the trip's row lock, the
    chart: `rows`, one per CNF/RAC passenger in coach and berth order, then the WL
    passengers of partly seated PNRs in queue order; `summary`, what charting did, counted
    from its records (so a run that finishes a failed one's work counts both).

    Must not run inside a transaction (each step is a durable one, committed on its own,
    so no lock outlives its step). Raises
    ChartingRefused (the trip departed, arrived or was cancelled, or its operator prepares
    no charts, `Company.rules.charting`: nothing is written),
    booking Busy or fleet Busy when a lock wait runs out (what was done stays done; run
    it again to finish).
    """
    now = now or timezone.now()
    chart = Chart.objects.filter(trip_id=trip.pk).first()
    if chart is not None:
        return chart
    trip = Trip.objects.select_related("route__company").get(pk=trip.pk)
    _check_chartable(trip)
    class_codes = (
        TripClass.objects.filter(trip_id=trip.pk)
        .order_by("class_code")
        .values_list("class_code", flat=True)
    )
    for class_code in class_codes:
        _class_finalise(trip_id=trip.pk, class_code=class_code, now=now)
    for pnr_id in _waitlisted_pnr_ids(trip.pk):
        _waitlisted_pnr_cancel(pnr_id=pnr_id, by=by, now=now)
    with transaction.atomic(durable=True):
        trip = lock_trip(trip.pk)
        chart = Chart.objects.filter(trip_id=trip.pk).first()
        if chart is not None:
            return chart
        _check_chartable(trip)
        rows = chart_rows(trip_id=trip.pk)
        chart = Chart.objects.create(
            trip=trip,
            prepared_at=now,
            prepared_by=by,
            rows=rows,
            summary=_summary(trip.pk, rows),
        )
        audit_record(
            actor=by or "system:charting",
            action="charting.prepared",
            target=trip,
            data=chart.summary,
        )
        outbox_add(messages=_prepared_messages(trip.pk), now=now)
        return chart


def charts_prepare_due(*, now: datetime | None = None) -> int:
    """Chart every trip whose chart time (`rules.chart_due_at`, the company's rule in the
    first stop's zone) has come: SCHEDULED or BOARDING, not departed yet, sold (it has
    inventory) and not charted, of an operator that prepares charts
    (`Company.rules.charting`). Returns how many charts it wrote.

    One query finds the candidates (trips leaving within the next `CHART_HORIZON`, or the
    largest company charting offset if that is longer); the due time is computed here. Each
    trip is charted by `chart_prepare`, its own transactions and locks; a trip that fails
    is logged and left for the next run, and never stops the others.
    """
    now = now or timezone.now()
    due = []
    for pk, departure_at, zone, offset in _candidates(now):
        if (
            rules.chart_due_at(departure_at=departure_at, tz=ZoneInfo(zone), offset_minutes=offset)
            <= now
        ):
            due.append(pk)
    charted = 0
    for trip in Trip.objects.filter(pk__in=due).order_by("departure_at", "pk"):
        try:
            chart_prepare(trip=trip, now=now)
        except (Busy, FleetBusy):
            logger.warning(
                "Charting trip %s (id %s) waits: busy; the next run retries it.", trip, trip.pk
            )
        except Exception as exc:
            logger.exception(
                "Charting trip %s (id %s) failed; the next run retries it.", trip, trip.pk
            )
            _failure_tell(trip, exc, now=now)
        else:
            charted += 1
    return charted


def chart_rows(*, trip_id: int) -> list[dict]:
    """The lines of a trip's chart, as `Chart.rows` keeps them: each CNF and RAC passenger
    in coach, berth and half order (a berth sold twice on different legs: the earlier
    boarding first), then the WL passengers of PNRs that have someone seated, in queue
    order. Two queries; reads, locks nothing."""
    fields = (
        "pnr__class_code",
        "seat__coach__code",
        "seat__number",
        "seat__berth_type",
        "half",
        "name",
        "age",
        "gender",
        "pnr__number",
        "pnr__origin__code",
        "pnr__destination__code",
        "status",
    )
    seated = (
        Passenger.objects.filter(pnr__trip_id=trip_id, status__in=SEATED_STATUSES)
        .order_by(
            "seat__coach__position",
            "seat__coach__code",
            "seat__row",
            "seat__column",
            "seat_id",
            "half",
            "pnr__origin_sequence",
            "pk",
        )
        .values_list(*fields)
    )
    partly_seated = Passenger.objects.filter(pnr_id=OuterRef("pnr_id"), status__in=SEATED_STATUSES)
    waiting = (
        Passenger.objects.filter(pnr__trip_id=trip_id, status=PassengerStatus.WAITLISTED)
        .filter(Exists(partly_seated))
        .order_by("pk")
        .values_list(*fields)
    )
    keys = (
        "class",
        "coach",
        "seat",
        "berth",
        "half",
        "name",
        "age",
        "gender",
        "pnr",
        "from",
        "to",
        "status",
    )
    return [dict(zip(keys, row, strict=True)) for row in [*seated, *waiting]]


# --- Steps ------------------------------------------------------------------------------------


def _check_chartable(trip: Trip) -> None:
    company = trip.route.company
    if not company.rules.charting:
        raise ChartingRefused(
            gettext("{company} prepares no charts: its bookings are settled when made.").format(
                company=company.name
            )
        )
    if trip.status not in CHARTABLE_STATUSES:
        raise ChartingRefused(
            gettext(
                "Trip {number} of {date} is {status}; only scheduled or boarding trips are charted."
            ).format(
                number=trip.route.number,
                date=f"{trip.service_date:%d %b %Y}",
                status=trip.get_status_display().lower(),
            )
        )


def _class_finalise(*, trip_id: int, class_code: str, now: datetime) -> None:
    """Step 1 for one class, in one transaction under its lock. A closed class (the trip
    is being cancelled) is left alone."""
    with transaction.atomic(durable=True), lock_timeouts_as_busy():
        bound_lock_waits()
        trip_class = trip_class_lock(trip_id=trip_id, class_code=class_code)
        if trip_class is None or trip_class.closed:
            return
        state = ClassState.load(trip_class)
        state.release(quota=Quota.LADIES, eligible=lambda t: t.gender == Gender.FEMALE)
        state.release(quota=Quota.LADIES, eligible=rules.is_senior)
        Place.objects.filter(trip_class=trip_class).exclude(quota__in=KEEPS_QUOTA).update(
            quota=Quota.GENERAL
        )
        state.places = [
            p if p.quota in KEEPS_QUOTA else replace(p, quota=Quota.GENERAL) for p in state.places
        ]
        state.promote()
        state.save(cause=Promotion.Cause.CHARTING, now=now)
        TripClass.objects.filter(pk=trip_class.pk, charted_at__isnull=True).update(charted_at=now)


def _waitlisted_pnr_ids(trip_id: int) -> list[int]:
    """The trip's PNRs with someone still WL and nobody seated."""

    def with_status(*statuses):
        return Exists(Passenger.objects.filter(pnr_id=OuterRef("pk"), status__in=statuses))

    return list(
        Pnr.objects.filter(trip_id=trip_id)
        .filter(with_status(PassengerStatus.WAITLISTED), ~with_status(*SEATED_STATUSES))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _waitlisted_pnr_cancel(*, pnr_id: int, by: User | None, now: datetime) -> Cancellation | None:
    """Step 2 for one PNR: `booking_cancel` with cause "charting" (a full refund), which
    re-checks under its locks that every active passenger is still WL. None: the PNR no
    longer qualifies (cancelled, or someone promoted, meanwhile)."""
    pnr = Pnr.objects.select_related("trip__route__company", "origin").get(pk=pnr_id)
    try:
        return booking_cancel(pnr=pnr, by=by, cause=Cancellation.Cause.CHARTING, now=now)
    except (AlreadyCancelled, CancellationNotAllowed):
        return None


def _prepared_messages(trip_id: int) -> list[Message]:
    """ "chart.prepared" to the holder of each PNR charting settled: every PNR with someone
    still travelling (their final status and berth), and every PNR charting dropped (with
    its refund). Two queries."""
    refunds = dict(
        Cancellation.objects.filter(pnr__trip_id=trip_id, cause=Cancellation.Cause.CHARTING)
        .values("pnr_id")
        .annotate(refund=Sum("refund"))
        .values_list("pnr_id", "refund")
        .order_by()
    )
    told: dict[int, tuple[Pnr, list[dict]]] = {}
    for p in (
        Passenger.objects.filter(pnr__trip_id=trip_id)
        .filter(Q(status__in=ACTIVE_STATUSES) | Q(pnr_id__in=list(refunds)))
        .select_related("pnr", "seat__coach")
        .order_by("pnr_id", "index")
    ):
        told.setdefault(p.pnr_id, (p.pnr, []))[1].append(
            {
                "index": p.index,
                "name": p.name,
                "status": p.status,
                "coach": p.seat.coach.code if p.seat else "",
                "seat": p.seat.number if p.seat else "",
                "berth": p.seat.berth_type if p.seat else "",
            }
        )
    return [
        Message(
            topic="chart.prepared",
            user_id=pnr.user_id,
            payload={
                "pnr": pnr.number,
                "passengers": passengers,
                "refund": refunds.get(pnr_id, 0),
                "currency": pnr.currency,
            },
            dedupe_key=f"chart.prepared:{trip_id}:{pnr.number}",
        )
        for pnr_id, (pnr, passengers) in told.items()
    ]


def _failure_tell(trip: Trip, exc: Exception, *, now: datetime) -> None:
    """ "operator.charting_failed" to the company's staff, once per trip (the next runs
    retry it silently)."""
    with transaction.atomic():
        outbox_add(
            messages=staff_messages(
                user_ids=company_editor_ids(trip.route.company_id),
                topic="operator.charting_failed",
                payload={"trip": trip.pk, "number": trip.route.number, "error": str(exc)[:300]},
                dedupe_key=f"operator.charting_failed:{trip.pk}",
            ),
            now=now,
        )


def _summary(trip_id: int, rows: list[dict]) -> dict:
    """What charting did to the trip, counted from its Promotion and Cancellation rows
    (cause "charting"), and the chart's passengers by status. Two queries."""
    released = Q(to_status=PassengerStatus.CONFIRMED, passenger__quota=Quota.LADIES)
    women = Q(passenger__gender=Gender.FEMALE)
    moves = Promotion.objects.filter(
        trip_class__trip_id=trip_id, cause=Promotion.Cause.CHARTING
    ).aggregate(
        to_women=Count("pk", filter=released & women),
        to_seniors=Count("pk", filter=released & ~women),
        all=Count("pk"),
    )
    dropped = Cancellation.objects.filter(
        pnr__trip_id=trip_id, cause=Cancellation.Cause.CHARTING
    ).aggregate(pnrs=Count("pnr_id", distinct=True), refunded=Coalesce(Sum("refund"), 0))
    statuses = [row["status"] for row in rows]
    return {
        "released_to_women": moves["to_women"],
        "released_to_seniors": moves["to_seniors"],
        "promoted": moves["all"] - moves["to_women"] - moves["to_seniors"],
        "pnrs_cancelled": dropped["pnrs"],
        "refunded": dropped["refunded"],
        "confirmed": statuses.count(PassengerStatus.CONFIRMED),
        "rac": statuses.count(PassengerStatus.RAC),
        "waitlisted": statuses.count(PassengerStatus.WAITLISTED),
    }


def _candidates(now: datetime) -> list[tuple[int, datetime, str, int | None]]:
    """(trip id, departure, first stop's zone, company offset) of the trips that may be due:
    chartable, of an operator that prepares charts, sold, not charted, leaving within the
    horizon. One query (and one for the horizon)."""
    charting = Q(charting=True) | Q(charting__isnull=True, kind=Company.Kind.RAIL)
    longest = Company.objects.filter(charting).aggregate(m=Max("charting_offset_minutes"))["m"] or 0
    horizon = max(CHART_HORIZON, timedelta(minutes=longest))
    first_zone = (
        RouteStop.objects.filter(route_id=OuterRef("route_id"))
        .order_by("sequence")
        .values("station__time_zone")[:1]
    )
    return list(
        Trip.objects.filter(
            status__in=CHARTABLE_STATUSES, departure_at__gt=now, departure_at__lte=now + horizon
        )
        .filter(route__company__in=Company.objects.filter(charting))
        .filter(Exists(TripClass.objects.filter(trip_id=OuterRef("pk"))))
        .exclude(Exists(Chart.objects.filter(trip_id=OuterRef("pk"))))
        .annotate(zone=Coalesce(Subquery(first_zone), "route__company__time_zone"))
        .order_by("departure_at", "pk")
        .values_list("pk", "departure_at", "zone", "route__company__charting_offset_minutes")
    )
