"""Delivery channels: each sends a rendered message to one address and says how it went.

A backend's `send` returns the provider's reference of what it sent, or raises
`DeliveryFailed` (`permanent=True` when retrying cannot help: a malformed address, a
refusal the provider says is final). Anything else it raises counts as a failure to retry.
The dispatcher passes the delivery's `dedupe_key`, stable across retries, for providers
that take one (an email's Message-ID, an SMS gateway's client reference), so that a retry
after a lost answer is not sent twice.
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from ..events import EMAIL, IN_APP, SMS


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Rendered:
    """A message as one channel sends it."""

    subject: str = ""
    text: str = ""
    html: str = ""
    # An optional event's one-click unsubscribe address (RFC 8058), for the email's headers.
    unsubscribe_url: str = ""


class ChannelBackend:
    channel: str = ""

    def send(self, *, to: str, rendered: Rendered, dedupe_key: str) -> str:
        raise NotImplementedError


# The dotted paths of each channel's backends by name; settings choose one per channel:
# TTMS_EMAIL_CHANNEL ("django": Django's email backend, EMAIL_URL), TTMS_SMS_BACKEND
# ("console", "http").
BACKENDS = {
    EMAIL: {"django": "ttms.notifications.channels.email.DjangoEmailBackend"},
    SMS: {
        "console": "ttms.notifications.channels.sms.ConsoleSmsBackend",
        "http": "ttms.notifications.channels.sms.HttpSmsBackend",
    },
}


@cache
def _backend(channel: str, name: str) -> ChannelBackend:
    return import_string(BACKENDS[channel][name])()


def backend_for(channel: str) -> ChannelBackend:
    """The configured backend of `channel` (EMAIL or SMS; IN_APP needs none)."""
    assert channel != IN_APP
    name = settings.TTMS_EMAIL_CHANNEL if channel == EMAIL else settings.TTMS_SMS_BACKEND
    return _backend(channel, name)
