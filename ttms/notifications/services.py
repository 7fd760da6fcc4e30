"""Writing to the outbox. Call `outbox_add` inside the transaction of the change it
announces: the messages and their deliveries are written if and only if the change
commits, and each delivery is handed to a worker once it has."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .events import EMAIL, IN_APP, SMS, event_get
from .models import Delivery, OutboxMessage, Preference

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    topic: str
    user_id: int | None
    payload: dict
    # Names the change announced: a second message with the same key is not written.
    # Make it stable: the topic and the ids of what changed (and a version where one
    # thing may change the same way twice, e.g. a trip delayed again).
    dedupe_key: str | None = None
    # Where to, when not (only) the account's own address.
    email: str = ""
    phone: str = ""


def channels_for(*, user, topic: str, preferences: dict | None = None) -> set[str]:
    """The channels `topic` goes by for `user`: the event's defaults and the user's
    choices, where the user has an address for them. A mandatory event always goes in-app
    and by email. `preferences` ({(topic, channel): enabled}) saves the query."""
    event = event_get(topic)
    if preferences is None:
        preferences = preferences_of(user)
    chosen = {
        channel
        for channel in (EMAIL, SMS, IN_APP)
        if preferences.get((topic, channel), channel in event.default_channels)
    }
    if not event.optional:
        chosen |= {EMAIL, IN_APP}
    return chosen


def preferences_of(user) -> dict:
    """{(topic, channel): enabled} of the user's own choices."""
    if user is None:
        return {}
    return {(p.topic, p.channel): p.enabled for p in Preference.objects.filter(user_id=user.pk)}


def _addresses(message: Message, user) -> dict[str, bool]:
    return {
        EMAIL: bool(message.email or (user and user.email)),
        SMS: bool(message.phone or (user and user.phone)),
        IN_APP: user is not None,
    }


def outbox_add(*, messages: Iterable[Message], now: datetime | None = None) -> int:
    """Write `messages` with their deliveries; returns how many messages were written (a
    message whose dedupe key is already in the outbox is not). Must run in the transaction
    of the change they announce."""
    now = now or timezone.now()
    messages = list(messages)
    keys = [m.dedupe_key for m in messages if m.dedupe_key]
    seen = set(
        OutboxMessage.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    fresh, kept = [], set()
    for m in messages:
        if m.dedupe_key and (m.dedupe_key in seen or m.dedupe_key in kept):
            continue
        kept.add(m.dedupe_key)
        fresh.append(m)
    if not fresh:
        return 0
    user_ids = {m.user_id for m in fresh if m.user_id}
    users = get_user_model().objects.in_bulk(user_ids)
    chosen: dict[int, dict] = {uid: {} for uid in user_ids}
    for p in Preference.objects.filter(user_id__in=user_ids):
        chosen[p.user_id][(p.topic, p.channel)] = p.enabled
    rows, channels = [], []
    for m in fresh:
        user = users.get(m.user_id)
        rows.append(
            OutboxMessage(
                topic=m.topic,
                user=user,
                email=m.email,
                phone=m.phone,
                language=(user.language if user else "") or settings.LANGUAGE_CODE,
                payload=m.payload,
                dedupe_key=m.dedupe_key,
                created_at=now,
            )
        )
        reachable = _addresses(m, user)
        wanted = (
            channels_for(user=user, topic=m.topic, preferences=chosen.get(m.user_id, {}))
            if user
            else set(event_get(m.topic).default_channels)
        )
        channels.append(sorted(c for c in wanted if reachable[c]))
    OutboxMessage.objects.bulk_create(rows)
    deliveries = []
    for row, its_channels in zip(rows, channels, strict=True):
        for channel in its_channels:
            in_app = channel == IN_APP
            deliveries.append(
                Delivery(
                    message=row,
                    channel=channel,
                    status=Delivery.Status.SENT if in_app else Delivery.Status.QUEUED,
                    sent_at=now if in_app else None,
                    next_attempt_at=now,
                )
            )
    Delivery.objects.bulk_create(deliveries)
    settled = [row.pk for row, cs in zip(rows, channels, strict=True) if set(cs) <= {IN_APP}]
    if settled:
        OutboxMessage.objects.filter(pk__in=settled).update(sent_at=now)
    queued = [d.pk for d in deliveries if d.status == Delivery.Status.QUEUED]
    if queued:
        transaction.on_commit(lambda: deliveries_enqueue(queued))
    return len(rows)


def deliveries_enqueue(delivery_ids: list[int]) -> None:
    """Hand each delivery to a worker. With the broker down, nothing is raised: the
    deliveries stay queued in the database, and the sweeper (beat, and every worker as it
    starts) sends them when it is back."""
    from .tasks import delivery_send_task

    for delivery_id in delivery_ids:
        try:
            delivery_send_task.apply_async((delivery_id,), retry=False, ignore_result=True)
        except Exception as exc:  # the broker is down: the sweeper has them
            logger.warning(
                "notifications: %d deliveries wait for the sweeper; the broker refused: %s",
                len(delivery_ids),
                exc,
            )
            return
