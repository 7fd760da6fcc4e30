"""The Celery app: configured from Django settings (CELERY_*), tasks autodiscovered.

BEAT_SCHEDULE is the one place where periodic tasks are declared.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ttms.settings")

app = Celery("ttms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

BEAT_SCHEDULE = {
    "accounts-clear-expired-sessions": {
        "task": "ttms.accounts.tasks.sessions_clear_expired_task",
        "schedule": crontab(hour=3, minute=17),
    },
    "booking-prepare-charts": {
        "task": "booking.tasks.charts_prepare_due_task",
        "schedule": crontab(),  # every minute
    },
    "booking-promotions-due": {
        "task": "booking.tasks.promotions_due_task",
        "schedule": crontab(),  # every minute
    },
    "booking-trips-by-the-clock": {
        "task": "booking.tasks.trips_advance_by_clock_task",
        "schedule": crontab(),  # every minute
    },
    "booking-trip-reminders": {
        "task": "booking.tasks.trip_reminders_task",
        "schedule": crontab(minute="*/10"),
    },
    "fleet-alert-unassigned-trips": {
        "task": "fleet.tasks.trips_unassigned_alert_task",
        "schedule": crontab(minute="*/10"),
    },
    "fleet-generate-trips": {
        "task": "fleet.tasks.trips_generate_task",
        "schedule": crontab(hour=2, minute=30),
    },
    "notifications-sweep": {
        "task": "ttms.notifications.tasks.deliveries_sweep_task",
        "schedule": crontab(),  # every minute
    },
    "payments-expire-idempotency-records": {
        "task": "payments.tasks.idempotency_expire_task",
        "schedule": crontab(minute=7),
    },
    "payments-poll-pending-payments": {
        "task": "payments.tasks.payments_poll_pending_task",
        "schedule": crontab(minute="*/2"),
    },
    "payments-expire-pending-payments": {
        "task": "payments.tasks.payments_expire_pending_task",
        "schedule": crontab(minute="*/10"),
    },
    "tracking-prune-trail": {
        "task": "tracking.tasks.trail_prune_task",
        "schedule": crontab(hour=3, minute=41),
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE
