"""HMAC-SHA256 webhook signatures, Stripe-style: `t=<unix seconds>,v1=<hex digest>`.

The digest covers "<t>." followed by the raw body, so a captured delivery cannot be replayed
after the tolerance window, and the body cannot be altered. Several `v1=` values may be sent
(a provider rotating its secret); one matching is enough. Comparison is constant-time.

The header's grammar, checked by `parse_header` before any digest is computed: printable
ASCII, at most 1024 characters; comma-separated `name=value` pairs; exactly one `t` of 1 to
12 ASCII digits; 1 to 8 `v1` of 64 lowercase hex digits; pairs of other schemes (`v0=…`)
are ignored. Anything else is malformed, refused as WebhookSignatureInvalid (401), the one
exception both functions raise.
"""

import hashlib
import hmac
import re
import time

from django.utils.translation import gettext as _

from ...exceptions import WebhookSignatureInvalid

MAX_HEADER_LENGTH = 1024
MAX_SIGNATURES = 8
# re.ASCII and explicit classes: str.isdigit() and \d also accept "²" or "١", which int()
# then refuses or reads as another number.
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*", re.ASCII)
_PAIR = re.compile(r"(?P<name>[a-z][a-z0-9]*)=(?P<value>[^,]*)", re.ASCII)
_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_DIGEST = re.compile(r"[0-9a-f]{64}", re.ASCII)


def sign(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def _malformed() -> WebhookSignatureInvalid:
    return WebhookSignatureInvalid(_("The signature header is malformed."))


def parse_header(header: str | None) -> tuple[int, list[str]]:
    """(timestamp, v1 digests) of a signature header; a pure function of its argument.

    Raises WebhookSignatureInvalid for a missing header and for anything outside the
    grammar in this module's docstring, whatever the input; never another exception.
    """
    if not header:
        raise WebhookSignatureInvalid(_("The signature header is missing."))
    if (
        not isinstance(header, str)
        or len(header) > MAX_HEADER_LENGTH
        or not _PRINTABLE_ASCII.fullmatch(header)
    ):
        raise _malformed()
    timestamps, digests = [], []
    for part in header.split(","):
        pair = _PAIR.fullmatch(part.strip(" \t"))
        if pair is None:
            raise _malformed()
        name, value = pair["name"], pair["value"]
        if name == "t":
            if not _TIMESTAMP.fullmatch(value):
                raise _malformed()
            timestamps.append(int(value))
        elif name == "v1":
            if not _DIGEST.fullmatch(value):
                raise _malformed()
            digests.append(value)
    if len(timestamps) != 1 or not 1 <= len(digests) <= MAX_SIGNATURES:
        raise _malformed()
    return timestamps[0], digests


def verify(
    *, secret: str, header: str | None, body: bytes, tolerance_seconds: int, now: int | None = None
) -> None:
    """Raise WebhookSignatureInvalid unless `header` signs `body` with `secret`, recently."""
    if not secret:
        raise WebhookSignatureInvalid(_("The webhook secret of this provider is not configured."))
    timestamp, candidates = parse_header(header)
    now = int(time.time()) if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        raise WebhookSignatureInvalid(_("The signature is too old (or from the future)."))
    expected = sign(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    # Every candidate is compared, so the time taken does not tell which one matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected.encode(), candidate.encode())
    if not matched:
        raise WebhookSignatureInvalid()
