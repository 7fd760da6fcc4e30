"""Celery tasks of the booking app: thin wrappers around services, safe to run twice."""

from celery import shared_task

from .exceptions import Busy
from .lifecycle.services import charting, promotion, reminders, trips
from .models import TripClass


@shared_task(autoretry_for=(Busy,), retry_backoff=1, retry_backoff_max=30, max_retries=20)
def promote_waitlist_task(trip_class_id: int, cause: str = "cancellation") -> int:
    """Promote whoever fits in one trip class (enqueued when a place frees); retried while
    the class is busy. Returns how many passengers moved up.

    A class no longer due was promoted meanwhile (a booking promotes first when it finds
    the flag): nothing to lock for."""
    if not TripClass.objects.filter(pk=trip_class_id, promotion_due=True).exists():
        return 0
    return len(promotion.promote_waitlist(trip_class_id=trip_class_id, cause=cause))


@shared_task
def promotions_due_task() -> int:
    """Promote in every class still marked `promotion_due` (beat, every minute): catches a
    promotion whose task was lost (broker down at commit time). Returns how many moved."""
    moved = 0
    for trip_class_id in TripClass.objects.filter(promotion_due=True).values_list("pk", flat=True):
        try:
            moved += len(promotion.promote_waitlist(trip_class_id=trip_class_id))
        except Busy:
            continue  # a booking holds it, and promotes first itself; the next run retries
    return moved


@shared_task
def charts_prepare_due_task() -> int:
    """Prepare the chart of every trip whose chart time has come (beat, every minute); a
    trip that fails (busy) is retried by the next run. Returns how many charts were
    prepared."""
    return charting.charts_prepare_due()


@shared_task
def trip_reminders_task() -> int:
    """Remind holders of trips leaving within TTMS_REMINDER_HOURS (beat, every 10 minutes);
    a second run writes nothing new. Returns how many reminders it wrote."""
    return reminders.trip_reminders_send()


@shared_task
def trips_advance_by_clock_task() -> str:
    """Mark departed and arrived the trips whose times have passed and that tracking has
    not moved (beat, every minute); idempotent, safe when two runs overlap. Returns what it
    did."""
    run = trips.trips_advance_by_clock()
    return f"departed {run.departed}, arrived {run.arrived}, left for the next run {run.skipped}"
