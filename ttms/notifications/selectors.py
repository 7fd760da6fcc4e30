"""Reads of a user's side of notifications: the in-app list, its unread count, and the
table of events by channel that the preferences page and API show."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ttms.accounts.models import STAFF_ROLES

from .events import CHANNEL_LABELS, CHANNELS, EMAIL, EVENTS, IN_APP, OPERATOR, PASSENGER, Event
from .models import Delivery, OutboxMessage
from .services import channels_for, preferences_of


def inbox_for_user(*, user, unread_only: bool = False) -> QuerySet[OutboxMessage]:
    """The user's messages that reached the app (an in-app delivery, sent), newest first."""
    messages = OutboxMessage.objects.filter(
        user_id=user.pk,
        deliveries__channel=IN_APP,
        deliveries__status=Delivery.Status.SENT,
    )
    if unread_only:
        messages = messages.filter(read_at__isnull=True)
    return messages.select_related("user").order_by("-created_at", "-id")


def inbox_unread_count(*, user) -> int:
    """How many of the user's in-app messages are unread: one query."""
    return inbox_for_user(user=user, unread_only=True).order_by().count()


def message_get_for_user(*, message_id, user) -> OutboxMessage:
    """One message of the user's in-app list; anyone else's, one that never reached the
    app, or an unknown id is a 404."""
    try:
        return inbox_for_user(user=user).get(pk=message_id)
    except (OutboxMessage.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404(_("No such notification.")) from exc


def events_for_user(*, user) -> list[Event]:
    """The events the user may be told of: a passenger's; the operator's too for staff who
    work in the admin."""
    audiences = {PASSENGER, OPERATOR} if user.role in STAFF_ROLES else {PASSENGER}
    return [event for event in EVENTS.values() if event.audience in audiences]


def channel_locked(event: Event, channel: str) -> bool:
    """Whether the user cannot turn `event` off on `channel`: a mandatory event always goes
    by email and in the app."""
    return not event.optional and channel in (EMAIL, IN_APP)


@dataclass(frozen=True)
class PreferenceCell:
    channel: str
    label: str
    enabled: bool
    locked: bool


@dataclass(frozen=True)
class PreferenceRow:
    event: Event
    cells: tuple[PreferenceCell, ...]


def preference_table(*, user) -> list[PreferenceRow]:
    """Each of the user's events with, per channel, whether it goes there (their choice or
    the event's default) and whether it can be turned off."""
    chosen = preferences_of(user)
    rows = []
    for event in events_for_user(user=user):
        on = channels_for(user=user, topic=event.topic, preferences=chosen)
        rows.append(
            PreferenceRow(
                event=event,
                cells=tuple(
                    PreferenceCell(
                        channel=channel,
                        label=str(CHANNEL_LABELS[channel]),
                        enabled=channel in on,
                        locked=channel_locked(event, channel),
                    )
                    for channel in CHANNELS
                ),
            )
        )
    return rows
