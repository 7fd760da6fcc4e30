"""The HTTP SMS gateway backend against a real local HTTP server that behaves as a
gateway does: it answers, fails, refuses, answers slowly, or hangs past the timeout."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.channels import DeliveryFailed, Rendered
from ttms.notifications.channels.sms import HttpSmsBackend
from ttms.notifications.dispatch import DEAD, FAILED, SENT, delivery_resend, delivery_send
from ttms.notifications.models import Delivery
from ttms.notifications.services import Message, outbox_add

TIMEOUT = 0.5


class FakeGateway(ThreadingHTTPServer):
    """Answers each POST as `mode` says: "ok", "fail" (500), "refuse" (400), "busy" (429),
    "slow" (OK after half the timeout), "hang" (nothing until well past the timeout)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = "ok"
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/messages"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        server.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
        mode = server.mode
        if mode == "hang":
            time.sleep(TIMEOUT * 4)
        if mode == "slow":
            time.sleep(TIMEOUT / 2)
        status, answer = {
            "fail": (500, {"error": "internal"}),
            "refuse": (400, {"error": "invalid number"}),
            "busy": (429, {"error": "slow down"}),
        }.get(mode, (201, {"id": f"gw-{len(server.requests)}"}))
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = FakeGateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.TTMS_SMS_HTTP_URL = server.url
    settings.TTMS_SMS_HTTP_TOKEN = "s3cret"
    settings.TTMS_SMS_HTTP_TIMEOUT = TIMEOUT
    yield server
    server.shutdown()
    server.server_close()


def _send(text="PNR 1234567890 confirmed. Seat 14.", key="ttms-7-sms"):
    return HttpSmsBackend().send(to="+250788123456", rendered=Rendered(text=text), dedupe_key=key)


def test_a_sent_sms_returns_the_gateways_id_and_posts_the_message_once(gateway):
    reference = _send()

    assert reference == "gw-1"
    (request,) = gateway.requests
    assert request["path"] == "/messages"
    assert request["body"] == {
        "to": "+250788123456",
        "text": "PNR 1234567890 confirmed. Seat 14.",
        "parts": 1,
        "reference": "ttms-7-sms",
    }
    assert request["headers"]["Authorization"] == "Bearer s3cret"
    assert request["headers"]["Idempotency-Key"] == "ttms-7-sms"


def test_the_parts_are_counted_as_the_network_will(gateway):
    _send(text="a" * 161)
    _send(text="क" * 71)

    assert [r["body"]["parts"] for r in gateway.requests] == [2, 2]


def test_a_slow_answer_within_the_timeout_is_a_success(gateway):
    gateway.mode = "slow"

    assert _send() == "gw-1"


@pytest.mark.parametrize("mode", ["fail", "busy"])
def test_a_server_error_or_a_request_to_slow_down_is_retried(gateway, mode):
    gateway.mode = mode

    with pytest.raises(DeliveryFailed) as failed:
        _send()

    assert failed.value.permanent is False
    assert "answered 500" in str(failed.value) or "answered 429" in str(failed.value)


def test_a_refusal_is_final(gateway):
    gateway.mode = "refuse"

    with pytest.raises(DeliveryFailed) as failed:
        _send()

    assert failed.value.permanent is True
    assert "400" in str(failed.value) and "invalid number" in str(failed.value)


def test_a_gateway_that_hangs_times_out_and_is_retried(gateway):
    gateway.mode = "hang"
    started = time.monotonic()

    with pytest.raises(DeliveryFailed) as failed:
        _send()

    assert time.monotonic() - started < TIMEOUT * 3
    assert failed.value.permanent is False
    assert "timed out" in str(failed.value)


def test_a_gateway_that_is_not_listening_is_retried(settings):
    server = FakeGateway()
    settings.TTMS_SMS_HTTP_URL = server.url
    server.server_close()  # the port is closed: connection refused

    with pytest.raises(DeliveryFailed) as failed:
        _send()

    assert failed.value.permanent is False
    assert "unreachable" in str(failed.value)


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_in_process")
def test_a_failing_gateway_delays_nothing_else_and_its_sms_dies_after_the_retries(
    gateway, settings, django_capture_on_commit_callbacks
):
    settings.TTMS_SMS_BACKEND = "http"
    settings.TTMS_NOTIFY_MAX_ATTEMPTS = 3
    gateway.mode = "fail"
    user = UserFactory(email="aline@example.com", phone="+250788123456")
    payload = {"pnr": "1234567890", "refund": 2500, "currency": "RWF"}

    # The first attempt of each delivery runs at commit (Celery eager here).
    with django_capture_on_commit_callbacks(execute=True):
        outbox_add(messages=[Message("pnr.cancelled", user.pk, payload, dedupe_key="c1")])

    email, sms = Delivery.objects.get(channel="email"), Delivery.objects.get(channel="sms")
    assert email.status == Delivery.Status.SENT and len(mail.outbox) == 1
    assert sms.status == Delivery.Status.QUEUED and sms.attempts == 1
    outcomes = []
    for _ in range(2):
        Delivery.objects.filter(pk=sms.pk).update(next_attempt_at=timezone.now())
        outcomes.append(delivery_send(sms.pk).outcome)
    sms.refresh_from_db()
    assert outcomes == [FAILED, DEAD]
    assert sms.status == Delivery.Status.DEAD and sms.attempts == 3
    assert "answered 500" in sms.last_error
    assert len(gateway.requests) == 3
    assert {r["body"]["reference"] for r in gateway.requests} == {f"ttms-{sms.message_id}-sms"}

    gateway.mode = "ok"
    delivery_resend(sms)
    assert delivery_send(sms.pk).outcome == SENT
    sms.refresh_from_db()
    assert sms.status == Delivery.Status.SENT and sms.provider_ref == "gw-4"
