"""Departure reminders: each PNR's holder told once, some hours before the trip leaves
their boarding stop."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fleet.models import TripStatus
from ttms.notifications.services import Message, outbox_add

from ...models import ACTIVE_STATUSES, Pnr


def trip_reminders_send(*, now: datetime | None = None) -> int:
    """Write a "trip.reminder" for every PNR with someone still travelling whose trip
    (scheduled or boarding) leaves the PNR's boarding stop within TTMS_REMINDER_HOURS.
    Once per PNR and trip (the key): a second run writes nothing new, and a PNR booked
    inside the window is reminded at the next run. Returns how many it wrote. One
    transaction; reads, locks nothing."""
    now = now or timezone.now()
    hours = getattr(settings, "TTMS_REMINDER_HOURS", 24)
    pnrs = (
        Pnr.objects.filter(
            departure_at__gt=now,
            departure_at__lte=now + timedelta(hours=hours),
            trip__status__in=(TripStatus.SCHEDULED, TripStatus.BOARDING),
            passengers__status__in=ACTIVE_STATUSES,
        )
        .distinct()
        .order_by("departure_at", "pk")
        .values_list("number", "user_id", "trip_id", "departure_at")
    )
    messages = [
        Message(
            topic="trip.reminder",
            user_id=user_id,
            payload={
                "pnr": number,
                "trip": trip_id,
                "hours": max(1, round((departure_at - now).total_seconds() / 3600)),
            },
            dedupe_key=f"trip.reminder:{number}:{trip_id}",
        )
        for number, user_id, trip_id, departure_at in pnrs
    ]
    if not messages:
        return 0
    with transaction.atomic():
        return outbox_add(messages=messages, now=now)
