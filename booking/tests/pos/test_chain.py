"""The offline records' hash chain and the batch's signature (booking.pos.chain)."""

import base64
import hashlib
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from booking.pos.chain import (
    ALTERED,
    BAD_SIGNATURE,
    BROKEN_LINK,
    DUPLICATE_UUID,
    DUPLICATED,
    FORKED,
    GAP,
    GENESIS,
    MALFORMED,
    OTHER_DEVICE,
    REORDERED,
    batch_signed_bytes,
    batch_verify,
    canonical,
    record_hash,
)

DEVICE = "POS-KGL-01"
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = KEY.public_key().public_bytes_raw()


def _sale(n: int) -> dict:
    return {
        "trip": 101,
        "from": "NYB",
        "to": "MSZ",
        "class": "STD",
        "quota": "GENERAL",
        "passengers": [{"name": f"Passenger {n}", "age": 30, "gender": "F"}],
        "buyer": {"name": "Aline Uwase", "phone": "+250788123456"},
        "amount": 2500,
        "currency": "RWF",
        "cash_given": 5000,
    }


def chain(count: int, *, device: str = DEVICE, start: int = 1, prev: str = GENESIS) -> list:
    records = []
    for seq in range(start, start + count):
        record = {
            "client_uuid": str(uuid.UUID(int=seq)),
            "device_id": device,
            "seq": seq,
            "device_time": f"2026-12-03T08:{seq % 60:02d}:00Z",
            "sale": _sale(seq),
            "prev_hash": prev,
        }
        record["hash"] = record_hash(record)
        prev = record["hash"]
        records.append(record)
    return records


def sign(records: list, device: str = DEVICE, key=KEY) -> str:
    return base64.b64encode(key.sign(batch_signed_bytes(device, records))).decode()


def verify(records, *, held=None, signature=None, device=DEVICE, known_uuids=frozenset()):
    return batch_verify(
        device_id=device,
        records=records,
        signature=sign(records, device) if signature is None else signature,
        public_key=PUBLIC,
        held=held or {},
        known_uuids=known_uuids,
    )


def test_the_hash_is_sha256_of_the_canonical_record_without_its_hash():
    record = chain(1)[0]
    content = {k: v for k, v in record.items() if k != "hash"}

    # RFC 8785: keys sorted, no whitespace, UTF-8.
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    assert record["hash"] == hashlib.sha256(canonical(content)).hexdigest()
    assert len(record["hash"]) == 64


def test_an_honest_first_batch_is_all_new():
    verdict = verify(chain(5))
    assert (verdict.ok, verdict.new, verdict.known) == (True, (0, 1, 2, 3, 4), ())


def test_the_same_batch_sent_again_is_all_known():
    records = chain(5)
    held = {r["seq"]: r["hash"] for r in records}

    verdict = verify(records, held=held)

    assert (verdict.ok, verdict.new, verdict.known) == (True, (), (0, 1, 2, 3, 4))


def test_a_batch_overlapping_what_is_held_is_known_then_new():
    records = chain(6)
    held = {r["seq"]: r["hash"] for r in records[:4]}

    verdict = verify(records[2:], held=held)

    assert (verdict.ok, verdict.known, verdict.new) == (True, (0, 1), (2, 3))


def test_a_batch_following_what_is_held_links_to_its_last_record():
    records = chain(6)
    held = {r["seq"]: r["hash"] for r in records[:3]}

    assert verify(records[3:], held=held).new == (0, 1, 2)
    # The same records after a different chain: the first does not link.
    other = {r["seq"]: r["hash"] for r in chain(3, device="POS-OTHER")}
    assert (verify(records[3:], held=other).reason, verify(records[3:], held=other).bad_index) == (
        BROKEN_LINK,
        0,
    )


def _resigned(records):
    """Tampering by someone who also holds the key: the signature verifies, the chain
    must not."""
    return records, sign(records)


@pytest.mark.parametrize(
    "tamper, reason, index",
    [
        ("alter", ALTERED, 2),
        ("alter_and_rehash", BROKEN_LINK, 3),
        ("remove", GAP, 2),
        ("duplicate", DUPLICATED, 3),
        ("swap", REORDERED, 2),
        ("other_device", OTHER_DEVICE, 1),
        ("uuid_again", DUPLICATE_UUID, 4),
    ],
)
def test_a_tampered_batch_is_refused_naming_its_first_bad_record(tamper, reason, index):
    records = chain(6)
    if tamper == "alter":
        records[2]["sale"]["amount"] = 25
    elif tamper == "alter_and_rehash":
        records[2]["sale"]["amount"] = 25
        records[2]["hash"] = record_hash(records[2])
    elif tamper == "remove":
        del records[2]
    elif tamper == "duplicate":
        records.insert(3, dict(records[2]))
    elif tamper == "swap":
        records[2], records[3] = records[3], records[2]
    elif tamper == "other_device":
        records[1]["device_id"] = "POS-OTHER"
        records[1]["hash"] = record_hash(records[1])
    elif tamper == "uuid_again":
        records = chain(6)
        records[4]["client_uuid"] = records[0]["client_uuid"]
        prev = records[3]["hash"]
        for record in records[4:]:
            record["prev_hash"] = prev
            record["hash"] = record_hash(record)
            prev = record["hash"]

    verdict = verify(records)

    assert (verdict.ok, verdict.reason, verdict.bad_index) == (False, reason, index)


def test_a_record_the_server_holds_otherwise_is_a_fork():
    held = {r["seq"]: r["hash"] for r in chain(4)}
    forked = chain(4, device=DEVICE)
    forked[2]["sale"]["amount"] = 2400
    prev = forked[1]["hash"]
    for record in forked[2:]:
        record["prev_hash"] = prev
        record["hash"] = record_hash(record)
        prev = record["hash"]

    verdict = verify(forked, held=held)

    assert (verdict.ok, verdict.reason, verdict.bad_index) == (False, FORKED, 2)


def test_a_batch_starting_after_a_record_the_server_lacks_is_a_gap():
    records = chain(6)
    held = {r["seq"]: r["hash"] for r in records[:2]}

    verdict = verify(records[3:], held=held)

    assert (verdict.reason, verdict.bad_index) == (GAP, 0)


def test_a_sale_the_server_holds_from_another_record_is_refused():
    records = chain(2)
    verdict = verify(records, known_uuids=frozenset({records[1]["client_uuid"]}))
    assert (verdict.reason, verdict.bad_index) == (DUPLICATE_UUID, 1)


@pytest.mark.parametrize(
    "signature",
    ["", "not base64!", base64.b64encode(b"x" * 64).decode(), sign(chain(2), "POS-OTHER")],
)
def test_a_batch_whose_signature_does_not_verify_is_refused(signature):
    verdict = verify(chain(2), signature=signature)
    assert (verdict.ok, verdict.reason, verdict.bad_index) == (False, BAD_SIGNATURE, None)


def test_a_batch_signed_by_another_key_is_refused():
    records = chain(2)
    other = base64.b64encode(Ed25519PrivateKey.generate().sign(batch_signed_bytes(DEVICE, records)))
    assert verify(records, signature=other.decode()).reason == BAD_SIGNATURE


@pytest.mark.parametrize(
    "records",
    [[], "records", [{"seq": 1}], [{**chain(1)[0], "seq": 0}], [{**chain(1)[0], "seq": True}]],
)
def test_a_batch_that_is_not_records_is_malformed(records):
    verdict = batch_verify(
        device_id=DEVICE, records=records, signature="", public_key=PUBLIC, held={}
    )
    assert (verdict.ok, verdict.reason) == (False, MALFORMED)


OPERATIONS = st.sampled_from(["alter", "remove", "duplicate", "swap", "relink"])


@given(
    count=st.integers(min_value=2, max_value=12),
    held_count=st.integers(min_value=0, max_value=12),
    operation=OPERATIONS,
    at=st.integers(min_value=0, max_value=11),
)
def test_any_change_to_an_honest_batch_is_refused_and_nothing_is_new(
    count, held_count, operation, at
):
    """Whatever one change is made to an honest batch (re-signed, as a thief with the
    device's key could), it is refused: no record of it would be booked."""
    records = chain(count)
    held = {r["seq"]: r["hash"] for r in records[: min(held_count, count - 1)]}
    at = at % count
    tampered = [dict(r, sale=dict(r["sale"])) for r in records]
    if operation == "alter":
        tampered[at]["sale"]["amount"] += 1
    elif operation == "remove":
        if at in (0, count - 1):
            return  # a shorter honest batch, not a tampered one
        del tampered[at]
    elif operation == "duplicate":
        tampered.insert(at, dict(tampered[at]))
    elif operation == "swap":
        if at == count - 1:
            return
        tampered[at], tampered[at + 1] = tampered[at + 1], tampered[at]
    elif operation == "relink":
        # Altered, and its hash and every later link recomputed to hide it.
        tampered[at]["sale"]["amount"] += 1
        prev = tampered[at]["prev_hash"]
        for record in tampered[at:]:
            record["prev_hash"] = prev
            record["hash"] = record_hash(record)
            prev = record["hash"]
        if at >= len(held):
            # Past what the server holds, a rewritten tail is an honest-looking chain of
            # its own: only the device's key could have signed it, as here. What the
            # server holds must still never be rewritten.
            return

    verdict = verify(tampered, held=held)

    assert not verdict.ok
    assert verdict.new == ()
    assert verify(records, held=held).ok
