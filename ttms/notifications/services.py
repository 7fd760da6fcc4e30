"""Writing to the outbox. Call these inside the transaction of the change they announce."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .models import OutboxMessage


@dataclass(frozen=True)
class Message:
    topic: str
    user_id: int | None
    payload: dict


def outbox_add(*, messages: Iterable[Message], now: datetime | None = None) -> int:
    """Write `messages` to the outbox in one statement; returns how many. Must run in the
    transaction of the change they announce, so that they are written if and only if it
    commits."""
    now = now or timezone.now()
    rows = [
        OutboxMessage(topic=m.topic, user_id=m.user_id, payload=m.payload, created_at=now)
        for m in messages
    ]
    OutboxMessage.objects.bulk_create(rows)
    return len(rows)
