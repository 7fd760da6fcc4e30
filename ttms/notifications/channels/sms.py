"""SMS backends: the console (embedded), and an HTTP gateway."""

import logging
import sys

from . import ChannelBackend, Rendered

logger = logging.getLogger(__name__)


class ConsoleSmsBackend(ChannelBackend):
    """Writes each SMS to standard output, as Django's console email backend does."""

    channel = "sms"

    def send(self, *, to: str, rendered: Rendered, dedupe_key: str) -> str:
        sys.stdout.write(f"SMS to {to} ({dedupe_key}):\n{rendered.text}\n{'-' * 40}\n")
        sys.stdout.flush()
        return dedupe_key


class HttpSmsBackend(ChannelBackend):
    """An HTTP SMS gateway (TTMS_SMS_HTTP_URL)."""

    channel = "sms"

    def send(self, *, to: str, rendered: Rendered, dedupe_key: str) -> str:
        raise NotImplementedError
