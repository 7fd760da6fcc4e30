"""The offline sale records of a POS device and their hash chain (docs/pos.md, "Offline
sync: the records and their chain", specifies the bytes for device developers).

A device records each sale it makes offline as a record: its own `client_uuid`, the
`device_id`, a `seq` counting 1, 2, 3... on the device, its `device_time`, what was sold,
and `prev_hash`, the `hash` of the device's previous record (`GENESIS` before the first).
A record's `hash` is the SHA-256, in lowercase hex, of the record without its `hash` key,
encoded by the JSON Canonicalization Scheme (RFC 8785). A batch is the records of one device
in `seq` order, signed by the device's Ed25519 key over the canonical encoding of
{"device_id", "records"}.

`batch_verify` checks a batch against what the server already holds of the device's chain
(the hashes of the records it has, by seq) and answers which records are new, or the first
bad record and why. Pure: no database, no clock.
"""

import base64
import binascii
import hashlib
from dataclasses import dataclass

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64

# What a batch is refused for; each names the first record that shows it.
MALFORMED = "malformed"  # not a record of the expected shape
OTHER_DEVICE = "other_device"  # a record names another device
ALTERED = "altered"  # its hash is not the hash of its content
BROKEN_LINK = "broken_link"  # its prev_hash is not the previous record's hash
GAP = "gap"  # its seq does not follow the previous one (a record removed)
REORDERED = "reordered"  # the batch holds the records out of seq order
DUPLICATED = "duplicated"  # the same record twice in the batch
FORKED = "forked"  # the server holds another record at its seq
DUPLICATE_UUID = "duplicate_uuid"  # its client_uuid is another record's
BAD_SIGNATURE = "bad_signature"  # the batch's signature does not verify

RECORD_KEYS = frozenset(
    {"client_uuid", "device_id", "seq", "device_time", "sale", "prev_hash", "hash"}
)


def canonical(value) -> bytes:
    """The RFC 8785 encoding of a JSON value (UTF-8 bytes)."""
    return rfc8785.dumps(value)


def record_hash(record: dict) -> str:
    """The hash of a record: SHA-256 of the canonical encoding of the record without its
    `hash` key, as 64 lowercase hex digits."""
    content = {key: value for key, value in record.items() if key != "hash"}
    return hashlib.sha256(canonical(content)).hexdigest()


def batch_signed_bytes(device_id: str, records: list[dict]) -> bytes:
    """What a device signs for a batch."""
    return canonical({"device_id": device_id, "records": records})


@dataclass(frozen=True)
class Verdict:
    """A batch's verification: `ok`, with `new` (the indexes of the records the server does
    not hold yet, in order) and `known` (those it holds already: a batch synced again);
    or not, with `reason` and `bad_index`, the index in the batch of the first bad record
    (None for the signature or the batch's shape)."""

    ok: bool
    new: tuple = ()
    known: tuple = ()
    reason: str = ""
    bad_index: int | None = None


def _refused(reason: str, index: int | None) -> Verdict:
    return Verdict(False, reason=reason, bad_index=index)


def _well_formed(record) -> bool:
    return (
        isinstance(record, dict)
        and set(record) == RECORD_KEYS
        and isinstance(record["seq"], int)
        and not isinstance(record["seq"], bool)
        and record["seq"] >= 1
        and all(
            isinstance(record[key], str)
            for key in ("client_uuid", "device_id", "prev_hash", "hash")
        )
        and isinstance(record["sale"], dict)
        and isinstance(record["device_time"], str)
    )


def signature_valid(public_key: bytes, signature_b64: str, signed: bytes) -> bool:
    """Whether `signature_b64` (base64 of 64 bytes) is the Ed25519 signature of `signed` by
    the raw 32-byte `public_key`. Never raises on bad input."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, signed)
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    return True


def batch_verify(
    *,
    device_id: str,
    records,
    signature: str,
    public_key: bytes,
    held: dict[int, str],
    known_uuids: frozenset = frozenset(),
) -> Verdict:
    """Verify a batch of `device_id`'s records signed with `signature`, against `held`, the
    hashes of the device's records the server holds by seq (all of them, or at least those
    from the batch's first seq back to one before it), and `known_uuids`, the client UUIDs
    of sales the server holds from any of the device's records.

    A record the server holds, byte for byte, is `known` (a batch sent again books nothing
    twice). Any other difference refuses the whole batch, naming its first bad record."""
    if not isinstance(records, list) or not records:
        return _refused(MALFORMED, None)
    for index, record in enumerate(records):
        if not _well_formed(record):
            return _refused(MALFORMED, index)
    if not signature_valid(public_key, signature, batch_signed_bytes(device_id, records)):
        return _refused(BAD_SIGNATURE, None)
    last_seq = max(held, default=0)
    new, known, uuids = [], [], set()
    previous_seq = records[0]["seq"] - 1
    previous_hash = GENESIS if previous_seq == 0 else held.get(previous_seq)
    for index, record in enumerate(records):
        seq = record["seq"]
        if record["device_id"] != device_id:
            return _refused(OTHER_DEVICE, index)
        if record_hash(record) != record["hash"]:
            return _refused(ALTERED, index)
        if seq == previous_seq and record["hash"] == previous_hash:
            return _refused(DUPLICATED, index)
        if seq != previous_seq + 1:
            later = any(r["seq"] == previous_seq + 1 for r in records[index + 1 :])
            return _refused(REORDERED if later or seq < previous_seq else GAP, index)
        if seq <= last_seq:
            # Held already: the same record, or a fork of the chain.
            if held.get(seq) != record["hash"]:
                return _refused(FORKED, index)
            known.append(index)
        else:
            if previous_hash is None:
                # The batch starts after a record the server does not hold.
                return _refused(GAP, index)
            if record["prev_hash"] != previous_hash:
                return _refused(BROKEN_LINK, index)
            if record["client_uuid"] in uuids or record["client_uuid"] in known_uuids:
                return _refused(DUPLICATE_UUID, index)
            new.append(index)
        uuids.add(record["client_uuid"])
        previous_seq, previous_hash = seq, record["hash"]
    return Verdict(True, new=tuple(new), known=tuple(known))
