"""The built-in sandbox provider: a checkout page where the payer approves or declines, then
a signed webhook, exactly as a hosted-checkout provider would send it.

Event body: {"id": "evt_…", "type": "payment.succeeded" | "payment.failed",
"created": <unix seconds>, "data": {"payment_id", "amount", "currency", "reason"}};
header `X-Sandbox-Signature: t=…,v1=…` (see signing.py).
"""

import json
import time
import uuid
from collections.abc import Mapping

from django.conf import settings
from django.urls import reverse

from ...exceptions import WebhookPayloadInvalid
from . import signing
from .base import (
    FAILED,
    SUCCEEDED,
    PaymentProvider,
    ProviderEvent,
    webhook_event_id,
    webhook_json_load,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"
_STATUSES = {"payment.succeeded": SUCCEEDED, "payment.failed": FAILED}


class SandboxProvider(PaymentProvider):
    name = "sandbox"
    label = "Sandbox (test payments, no real money)"

    def next_action(self, payment, *, request=None) -> dict | None:
        if payment.is_final:
            return None
        url = reverse("payments-sandbox-checkout", kwargs={"payment_id": payment.pk})
        return {"type": "redirect", "url": request.build_absolute_uri(url) if request else url}

    def build_event(
        self, *, payment, approve: bool, event_id: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The signed webhook (body and headers) the sandbox sends for this outcome."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        body = json.dumps(
            {
                "id": event_id or f"evt_{uuid.uuid4().hex}",
                "type": "payment.succeeded" if approve else "payment.failed",
                "created": timestamp,
                "data": {
                    "payment_id": str(payment.pk),
                    "amount": payment.amount,
                    "currency": payment.currency,
                    "reason": "" if approve else "Declined by the payer on the sandbox checkout.",
                },
            },
            separators=(",", ":"),
        ).encode()
        signature = signing.sign(
            secret=settings.TTMS_SANDBOX_WEBHOOK_SECRET, body=body, timestamp=timestamp
        )
        return body, {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        signing.verify(
            secret=settings.TTMS_SANDBOX_WEBHOOK_SECRET,
            header=headers.get(SIGNATURE_HEADER),
            body=body,
            tolerance_seconds=settings.TTMS_WEBHOOK_TOLERANCE_SECONDS,
        )
        payload = webhook_json_load(body)
        event_id = webhook_event_id(payload.get("id"))
        try:
            data = payload["data"]
            status = _STATUSES[payload["type"]]
            amount = data["amount"]
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise TypeError("amount")
            return ProviderEvent(
                event_id=event_id,
                event_type=payload["type"],
                status=status,
                payment_id=str(data["payment_id"]),
                amount=amount,
                currency=str(data["currency"]),
                reason=str(data.get("reason", ""))[:200],
                payload=payload,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookPayloadInvalid() from exc
