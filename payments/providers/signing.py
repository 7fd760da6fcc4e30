"""HMAC-SHA256 webhook signatures, Stripe-style: `t=<unix seconds>,v1=<hex digest>`.

The digest covers "<t>." followed by the raw body, so a captured delivery cannot be replayed
after the tolerance window, and the body cannot be altered. Several `v1=` values may be sent
(a provider rotating its secret); one matching is enough. Comparison is constant-time.
"""

import hashlib
import hmac
import time

from ..exceptions import WebhookSignatureInvalid


def sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(*, secret: str, header: str | None, body: bytes, tolerance_seconds: int,
           now: int | None = None) -> None:
    """Raise WebhookSignatureInvalid unless `header` signs `body` with `secret`, recently."""
    if not secret:
        raise WebhookSignatureInvalid("The webhook secret of this provider is not configured.")
    if not header:
        raise WebhookSignatureInvalid("The signature header is missing.")
    timestamp, candidates = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise WebhookSignatureInvalid("The signature header is malformed.")
    now = int(time.time()) if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        raise WebhookSignatureInvalid("The signature is too old (or from the future).")
    expected = sign(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    # Every candidate is compared, so the time taken does not tell which one matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise WebhookSignatureInvalid()
