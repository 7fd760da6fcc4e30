"""How the outbox is doing, for `manage.py notifications_status` and `/healthz`: deliveries
counted by channel and state, and how long the oldest unsent one has waited."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.utils import timezone

from .events import EMAIL, IN_APP, SMS
from .models import Delivery

# A delivery's state as operations read it: "queued" never tried yet, "failing" tried and
# waiting for its next attempt (or being attempted now), then the settled ones.
STATES = ("queued", "failing", "sent", "dead", "skipped")
QUEUED = Delivery.Status.QUEUED

_STATE_FILTERS = {
    "queued": Q(status=QUEUED, attempts=0),
    "failing": Q(status=QUEUED, attempts__gt=0),
    "sent": Q(status=Delivery.Status.SENT),
    "dead": Q(status=Delivery.Status.DEAD),
    "skipped": Q(status=Delivery.Status.SKIPPED),
}


@dataclass(frozen=True)
class OutboxStatus:
    # {channel: {state: count}}, every channel and state present.
    counts: dict
    # The message time of the oldest delivery that is due and unsent (None: none is).
    oldest_due_since: datetime | None
    now: datetime

    @property
    def oldest_due_age(self) -> timedelta | None:
        return None if self.oldest_due_since is None else self.now - self.oldest_due_since


def outbox_status(*, now: datetime | None = None) -> OutboxStatus:
    """Deliveries by channel and state (one grouped query), and the oldest due and unsent
    one's message time (one query on the partial index of queued deliveries)."""
    now = now or timezone.now()
    counts = {channel: dict.fromkeys(STATES, 0) for channel in (EMAIL, SMS, IN_APP)}
    rows = Delivery.objects.values("channel").annotate(
        **{state: Count("pk", filter=condition) for state, condition in _STATE_FILTERS.items()}
    )
    for row in rows.order_by("channel"):
        counts.setdefault(row["channel"], dict.fromkeys(STATES, 0)).update(
            {state: row[state] for state in STATES}
        )
    oldest = Delivery.objects.filter(status=QUEUED, next_attempt_at__lte=now).aggregate(
        since=Min("message__created_at")
    )["since"]
    return OutboxStatus(counts=counts, oldest_due_since=oldest, now=now)


def oldest_unsent_since() -> datetime | None:
    """When the oldest message with a delivery still queued (due, waiting for a retry, or
    being sent) was written; None when every delivery is settled."""
    return Delivery.objects.filter(status=QUEUED).aggregate(since=Min("message__created_at"))[
        "since"
    ]
