"""A message as the app shows it (the page and the API): its in-app title and text, in its
own language, and the PNR it is about with the page's address."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.urls import NoReverseMatch, reverse

from . import rendering
from .events import EVENTS, IN_APP
from .models import OutboxMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shown:
    id: int
    topic: str
    title: str
    text: str
    created_at: datetime
    read_at: datetime | None
    pnr: str
    pnr_url: str
    payload: dict

    @property
    def unread(self) -> bool:
        return self.read_at is None


def pnr_url(message: OutboxMessage) -> str:
    """The page of the PNR the message is about; "" when it names none (or a malformed
    one)."""
    pnr = message.payload.get("pnr") if isinstance(message.payload, dict) else None
    if not pnr:
        return ""
    try:
        return reverse("booking:pnr", args=[str(pnr)])
    except NoReverseMatch:
        return ""


def shown(message: OutboxMessage) -> Shown:
    """`message` rendered for the app. A template that fails shows the event's name rather
    than taking the whole list down."""
    try:
        rendered = rendering.render(message, IN_APP)
        title, text = rendered.subject, rendered.text
    except Exception:
        logger.exception("notifications: message %s does not render in-app", message.pk)
        event = EVENTS.get(message.topic)
        title, text = (str(event.label) if event else message.topic), ""
    url = pnr_url(message)
    payload = message.payload if isinstance(message.payload, dict) else {}
    return Shown(
        id=message.pk,
        topic=message.topic,
        title=title or text,
        text=text if text != title else "",
        created_at=message.created_at,
        read_at=message.read_at,
        pnr=str(payload["pnr"]) if url else "",
        pnr_url=url,
        payload=payload,
    )
