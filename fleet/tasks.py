"""Celery tasks of the fleet app: thin wrappers around fleet.services."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .services import trips_generate
from .services.alerts import trips_unassigned_alert


@shared_task(autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def trips_generate_task(days: int = 60) -> str:
    """Keep `days` days of trips ahead of today (nightly). Idempotent: existing trips are
    kept, so a retry or a second run only fills gaps."""
    today = timezone.localdate()
    return str(trips_generate(start=today, end=today + timedelta(days=days - 1)))


@shared_task
def trips_unassigned_alert_task() -> int:
    """Tell operators of trips about to leave without a vehicle or driver (beat, every 10
    minutes); a second run writes nothing new. Returns how many messages it wrote."""
    return trips_unassigned_alert()
