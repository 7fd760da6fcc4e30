"""A mobile-money collection API in the shape of MTN MoMo's "request to pay".

- Request to pay: `POST {base}/collection/v1_0/requesttopay` with our reference in
  `X-Reference-Id` (the provider deduplicates on it: 202 the first time, 409 after), the
  callback address in `X-Callback-Url`, and {"amount": "123.45", "currency", "externalId",
  "payer": {"partyIdType": "MSISDN", "partyId"}, "payerMessage", "payeeNote"}. The payer
  approves on their phone.
- Status: `GET {base}/collection/v1_0/requesttopay/{reference}` → {"status": "PENDING" |
  "SUCCESSFUL" | "FAILED", "amount", "currency", "financialTransactionId", "reason"}; 404
  when the provider never received the request.
- Callback: the same fields plus "event_id", "referenceId", "externalId", signed with
  HMAC-SHA256 in `X-Signature: t=…,v1=…` (see signing.py).

Amounts cross the wire as decimal strings in major units; they are converted digit by digit
(money.py), never through a float.
"""

import logging
import uuid
from collections.abc import Mapping

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ttms import money
from ttms.accounts.phones import phone_normalize

from ...exceptions import InvalidPayer, WebhookPayloadInvalid
from . import signing
from .base import (
    FAILED,
    PENDING,
    SUCCEEDED,
    PaymentProvider,
    ProviderEvent,
    ProviderRefused,
    ProviderTemporaryError,
    webhook_event_id,
    webhook_json_load,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature"
_STATUSES = {"PENDING": PENDING, "SUCCESSFUL": SUCCEEDED, "FAILED": FAILED}


class MobileMoneyProvider(PaymentProvider):
    name = "mobilemoney"
    label = "Mobile money (approve on your phone)"
    sends_requests = True
    pollable = True

    def validate_payer(self, payer: str) -> str:
        """The payer's phone, typed as people write it, as an MSISDN (E.164 digits)."""
        try:
            phone = phone_normalize(payer, required=True)
        except ValidationError as exc:
            raise InvalidPayer(exc.messages[0], fields={"payer": exc.messages}) from None
        return phone.lstrip("+")

    def new_reference(self) -> str:
        return str(uuid.uuid4())

    def next_action(self, payment, *, request=None) -> dict | None:
        if payment.is_final:
            return None
        return {
            "type": "approve_on_device",
            "message": _("Approve the payment on the phone %(phone)s.") % {"phone": payment.payer},
        }

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=settings.TTMS_MOBILEMONEY_BASE_URL,
            timeout=httpx.Timeout(settings.TTMS_MOBILEMONEY_TIMEOUT_MS / 1000),
            headers={"Authorization": f"Bearer {settings.TTMS_MOBILEMONEY_API_KEY}"},
        )

    def request_payment(self, payment) -> None:
        body = {
            "amount": money.to_major_string(payment.amount, payment.currency),
            "currency": payment.currency,
            "externalId": str(payment.pk),
            "payer": {"partyIdType": "MSISDN", "partyId": payment.payer},
            "payerMessage": "TTMS wallet top-up",
            "payeeNote": f"Top-up {payment.pk}",
        }
        headers = {
            "X-Reference-Id": payment.provider_reference,
            "X-Callback-Url": settings.TTMS_MOBILEMONEY_CALLBACK_URL,
        }
        try:
            with self._client() as client:
                response = client.post("/collection/v1_0/requesttopay", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ProviderTemporaryError(f"request to pay failed: {exc!r}") from exc
        # 409: the provider already has this reference (an earlier attempt got through).
        if response.status_code in (202, 409):
            return
        if response.status_code >= 500 or response.status_code == 429:
            raise ProviderTemporaryError(f"request to pay answered {response.status_code}")
        raise ProviderRefused(_reason(response) or f"refused ({response.status_code})")

    def fetch_status(self, payment) -> ProviderEvent | None:
        try:
            with self._client() as client:
                response = client.get(f"/collection/v1_0/requesttopay/{payment.provider_reference}")
        except httpx.HTTPError as exc:
            raise ProviderTemporaryError(f"status query failed: {exc!r}") from exc
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ProviderTemporaryError(f"status query answered {response.status_code}")
        try:
            payload = webhook_json_load(response.content)
        except WebhookPayloadInvalid as exc:
            raise ProviderTemporaryError(
                "status query answered something not a JSON object"
            ) from exc
        status = payload.get("status")
        try:
            return self._event(
                payload={**payload, "referenceId": payment.provider_reference},
                # A poll result is applied at most once per status it reports.
                event_id=f"poll:{payment.provider_reference}:{status}",
                event_type="status_poll",
            )
        except WebhookPayloadInvalid as exc:
            # A status this adapter does not know (or a malformed answer): the outcome is
            # unknown, and asking again later is safe.
            raise ProviderTemporaryError(f"status answer not understood: {status!r}") from exc

    def parse_webhook(self, *, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        signing.verify(
            secret=settings.TTMS_MOBILEMONEY_WEBHOOK_SECRET,
            header=headers.get(SIGNATURE_HEADER),
            body=body,
            tolerance_seconds=settings.TTMS_WEBHOOK_TOLERANCE_SECONDS,
        )
        payload = webhook_json_load(body)
        event_id = webhook_event_id(payload.get("event_id"))
        return self._event(payload=payload, event_id=event_id, event_type="callback")

    def _event(self, *, payload: dict, event_id: str, event_type: str) -> ProviderEvent:
        try:
            status = _STATUSES[payload["status"]]
            currency = str(payload["currency"])
            # The API sends "150.50"; a JSON number was parsed to its digits (a str) or
            # an int, never to a float.
            amount_text = payload["amount"]
            if isinstance(amount_text, bool) or not isinstance(amount_text, str | int):
                raise TypeError("amount")
            amount = money.from_major_string(str(amount_text), currency)
            return ProviderEvent(
                event_id=event_id,
                event_type=event_type,
                status=status,
                payment_id=str(payload.get("externalId") or ""),
                provider_reference=str(payload["referenceId"]),
                amount=amount,
                currency=currency,
                reason=str(payload.get("reason") or "")[:200],
                payload=payload,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookPayloadInvalid() from exc


def _reason(response: httpx.Response) -> str:
    try:
        return str(response.json().get("reason") or response.json().get("message") or "")
    except (ValueError, AttributeError):
        return ""
