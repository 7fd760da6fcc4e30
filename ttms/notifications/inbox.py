"""Writes of the in-app list: marking messages read."""

from django.utils import timezone

from .models import OutboxMessage
from .selectors import inbox_for_user


def message_read(*, message: OutboxMessage) -> OutboxMessage:
    """Mark one of the user's messages read (the first reading's time is kept)."""
    if message.read_at is None:
        now = timezone.now()
        # Conditional, so that two readings at once keep the first time.
        OutboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.refresh_from_db(fields=["read_at"])
    return message


def inbox_read_all(*, user) -> int:
    """Mark every unread in-app message of the user read; returns how many were."""
    unread = inbox_for_user(user=user, unread_only=True).values("pk")
    return OutboxMessage.objects.filter(pk__in=unread).update(read_at=timezone.now())
