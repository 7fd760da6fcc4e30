"""Tracking's database work, off the publishing path: the trail sample and stop events of
a fix, and the trail's retention."""

from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .models import PositionSample


@shared_task
def trail_record_task(*, records: list[dict]) -> None:
    """Record the trail of published fixes: each of `records` is a fix's
    `Published.trail`, taken in order."""
    for record in records:
        _trail_record(**record)


def _trail_record(
    *,
    trip_id: int,
    fix: dict | None,
    progress_m: float | None,
    received_at: str,
    events: list | None = None,
) -> None:
    """Keep `fix` (a Fix.as_message()) as a trail sample, at most once per device time, and
    record the stop events progress found (`tracking.services.stops`)."""
    if fix is not None:
        PositionSample.objects.get_or_create(
            trip_id=trip_id,
            recorded_at=datetime.fromisoformat(fix["recorded_at"]),
            defaults={
                "vehicle_id": fix.get("vehicle_id"),
                "received_at": datetime.fromisoformat(received_at),
                "lat": fix["lat"],
                "lon": fix["lon"],
                "speed_kmh": fix.get("speed_kmh"),
                "heading": fix.get("heading"),
                "accuracy_m": fix.get("accuracy_m"),
                "progress_m": progress_m,
                "source": fix.get("source") or "driver",
            },
        )
    if events:
        from .services.stops import stop_events_record

        stop_events_record(trip_id=trip_id, events=events)


@shared_task
def trail_prune_task() -> int:
    """Delete trail samples older than TTMS_TRAIL_RETENTION_DAYS; returns how many."""
    days = int(getattr(settings, "TTMS_TRAIL_RETENTION_DAYS", 90))
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _by_model = PositionSample.objects.filter(recorded_at__lt=cutoff).delete()
    return deleted
