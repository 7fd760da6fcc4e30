"""The one small interface every payment provider implements."""

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from django.utils.translation import gettext as _

from ...exceptions import WebhookPayloadInvalid

if TYPE_CHECKING:
    from ...models import Payment

# Statuses a provider reports, mapped by each adapter onto these three.
PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


class ProviderTemporaryError(Exception):
    """The provider did not answer usefully (timeout, connection refused, 5xx): the outcome
    is unknown, and asking again later (same reference) is safe."""


class ProviderRefused(Exception):
    """The provider refused the request for good (invalid payer, limit exceeded)."""


def _storable(text: str) -> bool:
    """False for text PostgreSQL refuses (a NUL, a lone surrogate), in a column or a jsonb."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def webhook_json_load(body: bytes) -> dict:
    """A webhook body as a JSON object: numbers with a fraction stay strings (never a float),
    and every key and string in it can be stored. Raises WebhookPayloadInvalid otherwise,
    including for JSON nested too deep to read."""
    try:
        payload = json.loads(body, parse_float=str)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise WebhookPayloadInvalid() from exc
    if not isinstance(payload, dict):
        raise WebhookPayloadInvalid()
    # Walked with a stack: json.loads already bounded the depth, a recursion here would not.
    stack: list = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and not _storable(value):
            raise WebhookPayloadInvalid(
                _(
                    "The event holds text that cannot be stored (a NUL character or an "
                    "unpaired surrogate)."
                )
            )
    return payload


def webhook_event_id(value: object) -> str:
    """A provider's event id as text: a non-empty string (or an integer) without control
    characters. Raises WebhookPayloadInvalid otherwise. Its length is not limited: events
    are recognised by a digest of it (see WebhookEvent.event_key)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if (
        not isinstance(value, str)
        or not value
        or not _storable(value)
        or any(unicodedata.category(char) == "Cc" for char in value)
    ):
        raise WebhookPayloadInvalid(
            _("The event id must be non-empty text without control characters.")
        )
    return value


@dataclass(frozen=True)
class ProviderEvent:
    """What a provider says happened to a payment, from a callback or a status poll."""

    event_id: str
    event_type: str
    status: str
    payment_id: str = ""
    provider_reference: str = ""
    amount: int | None = None
    currency: str = ""
    reason: str = ""
    payload: dict = field(default_factory=dict)


class PaymentProvider:
    """A payment provider. Network methods are called outside database transactions."""

    name: ClassVar[str]
    label: ClassVar[str]
    # True when the provider must be asked to collect (request to pay) after the payment is
    # created; False when the payer acts on a page (the sandbox checkout).
    sends_requests: ClassVar[bool] = False
    # True when the provider answers status queries (the poll task asks it).
    pollable: ClassVar[bool] = False

    def validate_payer(self, payer: str) -> str:
        """Return the payer identifier normalised, or raise a DomainError."""
        return payer

    def new_reference(self) -> str:
        """The provider reference given to a new payment ("" when the payment id is used)."""
        return ""

    def next_action(self, payment: "Payment", *, request=None) -> dict | None:
        """What the client does next for a pending payment (local, no network)."""
        return None

    def request_payment(self, payment: "Payment") -> None:
        """Ask the provider to collect. Raises ProviderRefused or ProviderTemporaryError."""

    def fetch_status(self, payment: "Payment") -> ProviderEvent | None:
        """The provider's view of the payment, or None when it has no record of it.

        Raises ProviderTemporaryError.
        """
        return None

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify the signature and read the event. Raises WebhookSignatureInvalid or
        WebhookPayloadInvalid."""
        raise NotImplementedError
