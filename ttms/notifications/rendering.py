"""A message as each channel sends it, in the recipient's language.

Templates, per topic (the topic's dots as slashes: `passenger.promoted` is
`notifications/passenger/promoted/`): `subject.txt`, `body.txt`, `body.html` for email,
`sms.txt` for SMS, `inapp.txt` for the app's list; a topic without its own uses
`notifications/default/`. The context (`context_for`) is the payload and what it names,
looked up now: the PNR, its trip and stations, times in the station's zone, amounts in the
operator's currency.
"""

from django.template import TemplateDoesNotExist
from django.template.loader import select_template
from django.utils import translation

from .channels import Rendered
from .events import EMAIL, SMS, event_get
from .models import OutboxMessage


def _templates(topic: str, name: str) -> list[str]:
    return [f"notifications/{topic.replace('.', '/')}/{name}", f"notifications/default/{name}"]


def _render(topic: str, name: str, context: dict) -> str:
    try:
        template = select_template(_templates(topic, name))
    except TemplateDoesNotExist:
        return ""
    return template.render(context).strip()


def context_for(message: OutboxMessage) -> dict:
    """What the templates of `message` see."""
    return {
        "message": message,
        "event": event_get(message.topic),
        "payload": message.payload,
        "user": message.user,
    }


def render(message: OutboxMessage, channel: str) -> Rendered:
    """`message` for `channel` (EMAIL, SMS, or IN_APP), in its language."""
    with translation.override(message.language or None):
        context = context_for(message)
        if channel == EMAIL:
            return Rendered(
                subject=" ".join(_render(message.topic, "subject.txt", context).split()),
                text=_render(message.topic, "body.txt", context),
                html=_render(message.topic, "body.html", context),
            )
        if channel == SMS:
            return Rendered(text=_render(message.topic, "sms.txt", context))
        return Rendered(
            subject=" ".join(_render(message.topic, "subject.txt", context).split()),
            text=_render(message.topic, "inapp.txt", context),
        )
