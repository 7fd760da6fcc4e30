"""SMS backends: the console (embedded), and an HTTP gateway."""

import logging
import sys

import httpx
from django.conf import settings

from . import ChannelBackend, DeliveryFailed, Rendered
from .gsm import segments

logger = logging.getLogger(__name__)


class ConsoleSmsBackend(ChannelBackend):
    """Writes each SMS to standard output, as Django's console email backend does."""

    channel = "sms"

    def send(self, *, to: str, rendered: Rendered, dedupe_key: str) -> str:
        sys.stdout.write(f"SMS to {to} ({dedupe_key}):\n{rendered.text}\n{'-' * 40}\n")
        sys.stdout.flush()
        return dedupe_key


# Refusals worth retrying: the gateway timed out waiting for the request, or asks to slow down.
_RETRYABLE_4XX = frozenset({408, 429})


class HttpSmsBackend(ChannelBackend):
    """An HTTP SMS gateway: POST TTMS_SMS_HTTP_URL with a JSON body `{to, text, parts,
    reference}` (parts: how many SMS the text takes, `gsm.segments`), bearer
    TTMS_SMS_HTTP_TOKEN, the dedupe key as `reference` and as the Idempotency-Key header, so
    that a retry after a lost answer is not sent twice. A 2xx answer's JSON "id" is the
    provider's reference. A 4xx refusal (but 408 and 429) is final; a 5xx, 408, 429, a
    timeout (TTMS_SMS_HTTP_TIMEOUT seconds) or a connection error is retried."""

    channel = "sms"

    def send(self, *, to: str, rendered: Rendered, dedupe_key: str) -> str:
        url = settings.TTMS_SMS_HTTP_URL
        if not url:
            raise DeliveryFailed("TTMS_SMS_HTTP_URL is not set")
        headers = {"Idempotency-Key": dedupe_key}
        if settings.TTMS_SMS_HTTP_TOKEN:
            headers["Authorization"] = f"Bearer {settings.TTMS_SMS_HTTP_TOKEN}"
        body = {
            "to": to,
            "text": rendered.text,
            "parts": len(segments(rendered.text)),
            "reference": dedupe_key,
        }
        try:
            response = httpx.post(
                url,
                json=body,
                headers=headers,
                timeout=httpx.Timeout(settings.TTMS_SMS_HTTP_TIMEOUT),
            )
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(f"SMS gateway timed out: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"SMS gateway unreachable: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if 200 <= status < 300:
            try:
                data = response.json()
            except ValueError:
                data = None
            reference = data.get("id") if isinstance(data, dict) else None
            return str(reference) if reference not in (None, "") else dedupe_key
        detail = f"SMS gateway answered {status}: {response.text[:200]}"
        if 400 <= status < 500 and status not in _RETRYABLE_4XX:
            raise DeliveryFailed(detail, permanent=True)
        raise DeliveryFailed(detail)
