"""Alerts to an operator's staff about its own timetable (outbox, `operator.*` events)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ttms.notifications.producers import staff_messages
from ttms.notifications.services import outbox_add

from ..models import Trip, TripStatus
from ..selectors import company_editor_ids

VEHICLE, DRIVER = "vehicle", "driver"


def trips_unassigned_alert(*, now: datetime | None = None) -> int:
    """Tell each company's admins and schedulers of its scheduled trips departing within
    TTMS_UNASSIGNED_ALERT_HOURS that still lack a vehicle or a driver
    ("operator.trip_unassigned"). Once per trip and what it lacks (the key): a second run
    writes nothing new; a trip that lacks a driver after its vehicle came is told anew.
    Returns how many messages it wrote. One transaction; reads, locks nothing."""
    now = now or timezone.now()
    hours = getattr(settings, "TTMS_UNASSIGNED_ALERT_HOURS", 12)
    trips = (
        Trip.objects.filter(
            status=TripStatus.SCHEDULED,
            departure_at__gt=now,
            departure_at__lte=now + timedelta(hours=hours),
        )
        .annotate(driver_count=Count("drivers"))
        .select_related("route")
        .order_by("departure_at", "pk")
    )
    messages, staff = [], {}
    for trip in trips:
        missing = [
            what
            for what, lacks in ((VEHICLE, trip.vehicle_id is None), (DRIVER, not trip.driver_count))
            if lacks
        ]
        if not missing:
            continue
        company_id = trip.route.company_id
        if company_id not in staff:
            staff[company_id] = company_editor_ids(company_id)
        messages += staff_messages(
            user_ids=staff[company_id],
            topic="operator.trip_unassigned",
            payload={
                "trip": trip.pk,
                "number": trip.route.number,
                "departure_at": trip.departure_at.isoformat(),
                "missing": missing,
            },
            dedupe_key=f"operator.trip_unassigned:{trip.pk}:{'+'.join(missing)}",
        )
    if not messages:
        return 0
    with transaction.atomic():
        return outbox_add(messages=messages, now=now)
