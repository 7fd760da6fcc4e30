"""A local HTTP server that behaves like the mobile-money provider (see
providers/mobilemoney.py): request to pay (202, 409 for a reference it already has, 400 for
a payer it does not know), status queries (404 for a reference it never received), an
optional delay before answering (the client times out, but the request has arrived), and
signed callbacks built for the tests to deliver (twice, late, out of order)."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from payments.topups.providers import signing

PATH = "/collection/v1_0/requesttopay"


class FakeMobileMoney:
    def __init__(self, *, api_key: str, secret: str) -> None:
        self.api_key, self.secret = api_key, secret
        self.payments: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.unknown_payers: set[str] = set()
        self.delay_ms = 0
        self.fail_with: int | None = None
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        # A short poll interval: stopping the server waits for at most one.
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    def start(self) -> "FakeMobileMoney":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- What the payer does on their phone -------------------------------------------

    def approve(self, reference: str) -> None:
        self.payments[reference].update(
            status="SUCCESSFUL", financialTransactionId=uuid.uuid4().hex[:12]
        )

    def decline(self, reference: str, reason: str = "APPROVAL_REJECTED") -> None:
        self.payments[reference].update(status="FAILED", reason=reason)

    def callback(
        self,
        reference: str,
        *,
        event_id: str | None = None,
        status: str | None = None,
        amount: str | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """The signed callback the provider posts for `reference` (its current status,
        unless `status` says otherwise)."""
        payment = self.payments[reference]
        body = json.dumps(
            {
                "event_id": event_id or f"cb_{uuid.uuid4().hex}",
                "referenceId": reference,
                "externalId": payment["externalId"],
                "status": status or payment["status"],
                "amount": amount or payment["amount"],
                "currency": payment["currency"],
                "financialTransactionId": payment.get("financialTransactionId"),
                "reason": payment.get("reason"),
            }
        ).encode()
        signature = signing.sign(secret=secret or self.secret, body=body)
        return body, {"X-Signature": signature}

    # --- The HTTP side ------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _answer(self, status: int, payload: dict | None = None) -> None:
                body = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    self._answer(401, {"message": "invalid key"})
                    return False
                return True

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(("POST", self.path, payload))
                if not self._authorised():
                    return
                if self.path != PATH:
                    return self._answer(404, {"message": "not found"})
                if fake.fail_with:
                    return self._answer(fake.fail_with, {"message": "unavailable"})
                reference = self.headers.get("X-Reference-Id", "")
                if payload["payer"]["partyId"] in fake.unknown_payers:
                    return self._answer(400, {"reason": "PAYER_NOT_FOUND"})
                with fake._lock:
                    if reference in fake.payments:
                        duplicate = True
                    else:
                        duplicate = False
                        fake.payments[reference] = {
                            "status": "PENDING",
                            "amount": payload["amount"],
                            "currency": payload["currency"],
                            "externalId": payload["externalId"],
                            "payer": payload["payer"]["partyId"],
                        }
                # The request is recorded before the (slow) answer: a client that times
                # out does not know whether it arrived. It did.
                if fake.delay_ms:
                    time.sleep(fake.delay_ms / 1000)
                self._answer(
                    409 if duplicate else 202,
                    {"message": "duplicate reference"} if duplicate else None,
                )

            def do_GET(self):
                fake.requests.append(("GET", self.path, {}))
                if not self._authorised():
                    return
                reference = self.path.removeprefix(PATH + "/")
                if fake.delay_ms:
                    time.sleep(fake.delay_ms / 1000)
                payment = fake.payments.get(reference)
                if payment is None:
                    return self._answer(404, {"code": "RESOURCE_NOT_FOUND"})
                self._answer(
                    200,
                    {k: v for k, v in payment.items() if k != "payer"}
                    | {"payer": {"partyIdType": "MSISDN", "partyId": payment["payer"]}},
                )

        return Handler
