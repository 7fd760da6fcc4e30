"""Every parser of outside input, fed anything: it answers, or refuses in the one way its
contract documents, and never raises anything else.

- ticket text (QR payloads and signed revocation lists): `booking.boarding.ticket_format`,
  refusing with TicketRejected (malformed or invalid_signature);
- the webhook signature header, and the body a valid signature lets through:
  `payments.topups.providers.signing`, refusing with WebhookSignatureInvalid, and each provider's
  `parse_webhook`, refusing with WebhookPayloadInvalid;
- WebSocket frames of the tracking consumer: `message_decode` refusing with
  MessageRefused, `fix_parse` with ValidationError, and a position it accepts can be
  sent on (JSON);
- offline scan uploads (`driver/trips/{id}/scans/`): a 200 with one answer per scan, or a
  400 in the error shape that wrote nothing.
"""

import hmac
import json
import string
from datetime import UTC, datetime, timedelta
from hashlib import sha256

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from booking.boarding.services.issue import tickets_issue
from booking.boarding.ticket_format import (
    REVOCATIONS,
    TICKET,
    KeyPair,
    Keyring,
    TicketBody,
    TicketRejected,
    b32encode,
    kid_for,
    seal,
    ticket_sign,
    ticket_verify,
    unseal,
)
from booking.models import BoardingScan
from booking.sales.services.create import booking_create
from booking.tests.factories import adult, funded_user, make_trip
from fleet.tests.factories import staff_user
from payments.exceptions import WebhookPayloadInvalid, WebhookSignatureInvalid
from payments.topups.providers import mobilemoney, sandbox
from payments.topups.providers.base import ProviderEvent
from payments.topups.providers.signing import parse_header, sign, verify
from tracking.consumers import MessageRefused, message_decode
from tracking.fixes import Fix, fix_parse
from ttms.accounts.models import Role

# Any text a JSON string can carry, lone surrogates and NUL included.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=300)
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def _json(text):
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | text,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5),
        max_leaves=20,
    )


JSON = _json(ANY_TEXT)
# What a signer can put in a body: text that UTF-8 can carry (no lone surrogates).
SIGNABLE_JSON = _json(st.text(max_size=300))
PURE = hypothesis_settings(max_examples=400, deadline=None)


def _pair(n: int) -> KeyPair:
    seed = bytes([n]) * 32
    public = KeyPair.from_seed("X", hmac_secret=b"s" * 32, seed=seed).public_bytes
    return KeyPair.from_seed(kid_for(public), hmac_secret=bytes([n]) * 32, seed=seed)


SIGNING, REVOKED = _pair(1), _pair(2)
RING = Keyring(signing=SIGNING, verifying={SIGNING.kid: SIGNING}, revoked=frozenset({REVOKED.kid}))
BODY = TicketBody(
    pnr="1234567890",
    passenger=7,
    index=1,
    name="Asha",
    trip=3,
    class_code="SL",
    coach="S1",
    seat="12",
    status="CNF",
    origin="NDLS",
    destination="HWH",
    origin_sequence=1,
    destination_sequence=4,
    valid_from=datetime(2030, 1, 7, tzinfo=UTC),
    valid_until=datetime(2030, 1, 8, tzinfo=UTC),
)
GOOD = ticket_sign(BODY, SIGNING)


# --- Ticket text ----------------------------------------------------------------------------


def _shaped(parts: list[str]) -> str:
    return ".".join(parts)


TOKENS = st.one_of(
    ANY_TEXT,
    # Ticket-shaped: the right kind and part count, parts of Base32 and anything else.
    st.lists(st.text(BASE32 + ".=\n -", max_size=120), min_size=1, max_size=7).map(
        lambda parts: _shaped([TICKET, *parts])
    ),
    # A real ticket, edited: one character replaced, inserted or removed, or cut short.
    st.tuples(
        st.integers(0, len(GOOD)), st.sampled_from(["replace", "insert", "delete", "cut"]), ANY_CHAR
    ).map(
        lambda edit: {
            "replace": GOOD[: edit[0]] + edit[2] + GOOD[edit[0] + 1 :],
            "insert": GOOD[: edit[0]] + edit[2] + GOOD[edit[0] :],
            "delete": GOOD[: edit[0]] + GOOD[edit[0] + 1 :],
            "cut": GOOD[: edit[0]],
        }[edit[1]]
    ),
    # Properly signed, by the signing key or a revoked one, around any JSON.
    st.tuples(SIGNABLE_JSON, st.sampled_from([SIGNING, REVOKED])).map(
        lambda signed: seal(
            TICKET, signed[0] if isinstance(signed[0], dict) else {"v": signed[0]}, signed[1]
        )
    ),
    # Properly signed ticket fields of any value.
    st.dictionaries(
        st.sampled_from(sorted(TicketBody.FIELDS)), SIGNABLE_JSON, max_size=len(TicketBody.FIELDS)
    ).map(lambda fields: seal(TICKET, {**BODY.as_json(), **fields}, SIGNING)),
    # Signed bytes that are not JSON, or not UTF-8.
    st.binary(max_size=60).map(lambda raw: _signed_raw(raw)),
    st.none() | st.integers() | st.binary(max_size=20) | st.lists(st.integers(), max_size=3),
)


def _signed_raw(raw: bytes) -> str:
    """A token whose body is `raw`, with both signatures right."""
    signed = f"{TICKET}.{SIGNING.kid}.{b32encode(raw)}"
    return ".".join(
        [
            signed,
            b32encode(SIGNING.private.sign(signed.encode())),
            b32encode(hmac.new(SIGNING.hmac_secret, signed.encode(), sha256).digest()),
        ]
    )


def test_the_unedited_ticket_verifies():
    assert ticket_verify(GOOD, RING) == BODY


@PURE
@given(token=TOKENS)
def test_ticket_text_is_a_ticket_or_rejected(token):
    try:
        body = ticket_verify(token, RING)
    except TicketRejected as rejected:
        assert rejected.result in ("malformed", "invalid_signature")
        assert rejected.message
    else:
        assert isinstance(body, TicketBody)


@PURE
@given(
    token=TOKENS
    | TOKENS.map(lambda t: t.replace("TT1", REVOCATIONS, 1) if isinstance(t, str) else t)
)
def test_revocation_text_is_a_document_or_rejected(token):
    try:
        body = unseal(REVOCATIONS, token, RING, with_hmac=False)
    except TicketRejected as rejected:
        assert rejected.result in ("malformed", "invalid_signature")
    else:
        assert isinstance(body, dict)


# --- Webhook signatures ---------------------------------------------------------------------

HEX = "0123456789abcdef"
PAIRS = st.one_of(
    st.tuples(
        st.sampled_from(["t", "v1", "v0", "T", "t ", " v1", "", "x"]),
        st.one_of(
            st.text("0123456789", max_size=14), st.text(HEX, min_size=60, max_size=66), ANY_TEXT
        ),
    ).map(lambda pair: f"{pair[0]}={pair[1]}"),
    ANY_TEXT,
)
HEADERS = st.one_of(
    ANY_TEXT,
    st.lists(PAIRS, max_size=12).map(",".join),
    st.integers(0, 10**13).map(lambda t: sign(secret="s", body=b"{}", timestamp=t)),
    st.none(),
)


@PURE
@given(header=HEADERS)
def test_a_signature_header_parses_or_is_refused(header):
    try:
        timestamp, digests = parse_header(header)
    except WebhookSignatureInvalid as refused:
        assert refused.status_code == 401
    else:
        assert isinstance(timestamp, int) and 0 <= timestamp < 10**12
        assert 1 <= len(digests) <= 8
        assert all(len(d) == 64 and set(d) <= set(HEX) for d in digests)


@PURE
@given(header=HEADERS, body=st.binary(max_size=200), now=st.integers(0, 10**13))
def test_a_signature_verifies_or_is_refused(header, body, now):
    try:
        verify(secret="s", header=header, body=body, tolerance_seconds=300, now=now)
    except WebhookSignatureInvalid as refused:
        assert refused.status_code == 401


@pytest.mark.parametrize("provider", [sandbox.SandboxProvider, mobilemoney.MobileMoneyProvider])
@hypothesis_settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=300),
        JSON.map(lambda v: json.dumps(v).encode()),
        st.fixed_dictionaries(
            {},
            optional={
                "id": JSON,
                "type": JSON
                | st.sampled_from(["payment.succeeded", "payment.failed", "SUCCESSFUL", "FAILED"]),
                "data": JSON
                | st.dictionaries(
                    st.sampled_from(["payment_id", "amount", "currency", "reason"]), JSON
                ),
                "externalId": JSON,
                "status": JSON,
                "amount": JSON,
                "currency": JSON,
                "financialTransactionId": JSON,
            },
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_a_signed_webhook_body_is_an_event_or_refused(settings, provider, body):
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = settings.TTMS_MOBILEMONEY_WEBHOOK_SECRET = "s"
    headers = {_header_name(provider): sign(secret="s", body=body)}
    try:
        event = provider().parse_webhook(body=body, headers=headers)
    except WebhookPayloadInvalid as refused:
        assert refused.status_code == 400
    else:
        assert isinstance(event, ProviderEvent)
        assert isinstance(event.event_id, str) and event.event_id


def _header_name(provider) -> str:
    return {
        sandbox.SandboxProvider: sandbox.SIGNATURE_HEADER,
        mobilemoney.MobileMoneyProvider: mobilemoney.SIGNATURE_HEADER,
    }[provider]


# --- WebSocket frames -----------------------------------------------------------------------

FRAMES = st.one_of(
    ANY_TEXT,
    JSON.map(json.dumps),
    st.fixed_dictionaries(
        {},
        optional={
            "lat": JSON | st.floats() | st.integers(),
            "lon": JSON | st.floats() | st.integers(),
            "speed_kmh": JSON | st.floats(),
            "heading": JSON | st.floats(),
            "recorded_at": JSON
            | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
            | st.text("0123456789-:T+Z.", max_size=40),
        },
    ).map(lambda v: json.dumps(v, allow_nan=True)),
    st.integers(1, 40).map(lambda depth: "[" * depth + "]" * depth),
    st.integers(1, 100_000).map(lambda depth: "[" * depth),
    st.just(""),
    st.none(),
)


@PURE
@given(frame=FRAMES)
def test_a_websocket_frame_is_a_position_or_refused(frame):
    try:
        position = fix_parse(trip_id=1, data=message_decode(frame))
    except MessageRefused as refused:
        assert refused.code in ("too_large", "parse_error") and refused.message
    except ValidationError as refused:
        assert refused.messages
    else:
        assert isinstance(position, Fix)
        assert json.loads(json.dumps(position.as_message(), allow_nan=False))


# --- Offline scan uploads -------------------------------------------------------------------


@pytest.fixture
def boarding(db):
    """A trip leaving in an hour, its driver, and the two tickets of one PNR on it."""
    departure = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    trip = make_trip(departure=departure)
    driver = staff_user(trip.route.company, role=Role.DRIVER)
    trip.drivers.add(driver)
    pnr = booking_create(
        user=funded_user(),
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST4",
        class_code="SL",
        quota="GENERAL",
        passengers=[adult("Asha", 34, "F"), adult("Ravi", 36, "M")],
        now=departure - timedelta(days=2),
    )
    tickets = [t.token for t in tickets_issue(pnr, pnr.passengers.order_by("index"))]
    return trip, driver, tickets


def _scans(tickets):
    qr = st.one_of(
        st.sampled_from(tickets),
        ANY_TEXT,
        st.tuples(st.sampled_from(tickets), st.integers(0, 200), ANY_CHAR).map(
            lambda edit: edit[0][: edit[1]] + edit[2] + edit[0][edit[1] + 1 :]
        ),
    )
    moment = st.one_of(
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
        st.text(string.digits + "-:T+Z.", max_size=40),
        JSON,
    )
    scan = st.fixed_dictionaries(
        {
            "nonce": st.text(string.ascii_letters, min_size=1, max_size=8) | ANY_TEXT | JSON,
            "qr": qr | JSON,
            "scanned_at": moment,
        },
        optional={
            "station": st.sampled_from(["ST1", "ST2", "st3", "NOPE", "ST1\x00"]) | ANY_TEXT | JSON,
            "result": st.sampled_from(["", "valid", "malformed", "nonsense"]) | JSON,
        },
    )
    return st.one_of(
        st.fixed_dictionaries(
            {
                "device": st.sampled_from(["phone-1", ""]) | ANY_TEXT | JSON,
                "scans": st.lists(scan | JSON, max_size=4) | JSON,
            }
        ),
        JSON,
    )


@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_an_offline_upload_is_answered_or_refused_whole(api_client, boarding, data):
    trip, driver, tickets = boarding
    api_client.force_authenticate(driver)
    body = data.draw(_scans(tickets))
    before = BoardingScan.objects.count()

    # Encoded as a client would: ASCII JSON, any lone surrogate as its \u escape.
    response = api_client.post(
        f"/api/v1/driver/trips/{trip.pk}/scans/", json.dumps(body), content_type="application/json"
    )

    assert response.status_code in (200, 400), (response.status_code, response.content)
    if response.status_code == 200:
        assert len(response.json()) == len(body["scans"])
    else:
        assert set(response.json()["error"]) == {"code", "message", "fields"}
        assert BoardingScan.objects.count() == before
