"""The audit trail tests' readings and bookings: an entry as the tests compare it (everything
but its time), the entries of an action, an object as an entry names it, and a booking of
ST1→ST3 two days before the trip leaves."""

from datetime import timedelta

from booking.sales.services.create import booking_create
from booking.tests.factories import funded_user
from ttms.audit.models import AuditEntry

FARE = 20_000  # 200 km of STANDARD at 100 paise a km


def entry_of(entry: AuditEntry) -> dict:
    """An entry as the tests compare it: everything but its time."""
    return {
        "actor": entry.actor,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "target": (entry.target_type.model_class(), entry.target_id, entry.target_repr),
        "company": entry.company,
        "data": entry.data,
    }


def entries(action_prefix: str = "") -> list[dict]:
    return [
        entry_of(e)
        for e in AuditEntry.objects.filter(action__startswith=action_prefix).order_by("pk")
    ]


def target(obj) -> tuple:
    return (type(obj), str(obj.pk), str(obj))


def book(trip, passengers, *, user=None, quota="GENERAL"):
    return booking_create(
        user=user or funded_user(),
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST3",
        class_code="STANDARD",
        quota=quota,
        passengers=passengers,
        now=trip.departure_at - timedelta(days=2),
    )
