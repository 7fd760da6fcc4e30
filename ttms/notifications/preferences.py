"""Writes of a user's notification preferences: the page's and the API's choices, and the
one-click unsubscribe. A `Preference` row is kept only where the choice differs from the
event's default, so that a changed default reaches everyone who never chose."""

from collections.abc import Mapping
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .events import CHANNELS, event_get
from .exceptions import MandatoryEvent, UnknownEvent
from .models import Preference
from .selectors import channel_locked, events_for_user


def preferences_save(*, user, choices: Mapping[tuple[str, str], bool]) -> None:
    """Save the user's `choices` ({(topic, channel): enabled}); cells not named keep their
    setting. Raises UnknownEvent for a topic the user is not told of or an unknown
    channel, MandatoryEvent for turning off a mandatory event's email or in-app (asking
    for it on is no change). Nothing is written when anything is refused."""
    mine = {event.topic: event for event in events_for_user(user=user)}
    keep, default = [], []
    for (topic, channel), enabled in choices.items():
        event = mine.get(topic)
        if event is None or channel not in CHANNELS:
            raise UnknownEvent(
                _("“%(topic)s” by %(channel)s is not a notification you can choose.")
                % {"topic": topic, "channel": channel}
            )
        if channel_locked(event, channel):
            if not enabled:
                raise MandatoryEvent(
                    _("“%(event)s” always comes by email and in the app.") % {"event": event.label}
                )
            continue
        if enabled == (channel in event.default_channels):
            default.append((topic, channel))
        else:
            keep.append(Preference(user=user, topic=topic, channel=channel, enabled=enabled))
    with transaction.atomic():
        if default:
            Preference.objects.filter(
                reduce(or_, (Q(topic=topic, channel=channel) for topic, channel in default)),
                user=user,
            ).delete()
        if keep:
            Preference.objects.bulk_create(
                keep,
                update_conflicts=True,
                unique_fields=["user", "topic", "channel"],
                update_fields=["enabled"],
            )


def event_unsubscribe(*, user, topic: str) -> None:
    """Turn the optional event `topic` off on every channel for the user (the one-click
    unsubscribe). Raises UnknownEvent for a topic that is not (any longer) an event,
    MandatoryEvent for one that cannot be turned off."""
    try:
        event = event_get(topic)
    except KeyError:
        raise UnknownEvent() from None
    if not event.optional:
        raise MandatoryEvent()
    # A row per channel, default or not: a default that later adds a channel does not
    # bring back what the user turned off.
    Preference.objects.bulk_create(
        [
            Preference(user=user, topic=topic, channel=channel, enabled=False)
            for channel in CHANNELS
        ],
        update_conflicts=True,
        unique_fields=["user", "topic", "channel"],
        update_fields=["enabled"],
    )
