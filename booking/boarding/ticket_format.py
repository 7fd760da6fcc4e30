"""Signed tickets: the QR payload of a seated passenger, and the signed documents scanners
read offline (a trip's revocation list). Pure functions over bytes and keys; no database
(the reasons a ticket is refused are translated, for the driver who reads them).

A ticket is one line of QR-alphanumeric text (upper-case Base32, no padding, dots between
parts), so that the QR encodes it in alphanumeric mode, about a fifth smaller than bytes:

    TT1.<kid>.<body>.<ed25519>.<hmac>

- `TT1`: the format and its version;
- `kid`: the id of the key pair that signed it (keys rotate; several verify at once);
- `body`: Base32 of compact JSON (short keys, see `TicketBody`);
- `ed25519`: Base32 of the 64-byte Ed25519 signature of the ASCII text `TT1.<kid>.<body>`,
  checked offline with the published public key alone;
- `hmac`: Base32 of the 32-byte HMAC-SHA256 of the same text, checked by the server.

Nothing in the body is read before both signatures are checked. Signed documents
(`TR1`, a revocation list) have the same shape without the HMAC part.
"""

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.utils.translation import gettext

TICKET = "TT1"
REVOCATIONS = "TR1"
MAX_LENGTH = 2048
KID_PATTERN = re.compile(r"^[A-Z2-7]{1,16}$")
_BASE32 = re.compile(r"^[A-Z2-7]*$")


class TicketRejected(Exception):
    """A payload that is not a valid ticket: `result` names why (a `ScanResult` value:
    malformed, invalid_signature), `message` says it to a driver."""

    def __init__(self, result: str, message: str) -> None:
        self.result = result
        self.message = message
        super().__init__(message)


def malformed(message: str) -> TicketRejected:
    return TicketRejected("malformed", message)


def bad_signature(message: str) -> TicketRejected:
    return TicketRejected("invalid_signature", message)


# --- Keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    """One key id's secrets: the HMAC secret and the Ed25519 key (the private half only
    where tickets are signed)."""

    kid: str
    hmac_secret: bytes
    public: Ed25519PublicKey
    private: Ed25519PrivateKey | None = None

    @classmethod
    def from_seed(cls, kid: str, *, hmac_secret: bytes, seed: bytes) -> "KeyPair":
        private = Ed25519PrivateKey.from_private_bytes(seed)
        return cls(kid, hmac_secret, private.public_key(), private)

    @property
    def public_bytes(self) -> bytes:
        return self.public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def kid_for(public: bytes) -> str:
    """A key id derived from the public key: 8 Base32 characters of its SHA-256."""
    return b32encode(hashlib.sha256(public).digest()[:5])


@dataclass(frozen=True)
class Keyring:
    """The key that signs (None: signing is not possible here), those that verify, and the
    ids of keys revoked (refused with that reason rather than "unknown")."""

    signing: KeyPair | None
    verifying: dict[str, KeyPair]
    revoked: frozenset[str] = frozenset()

    def get(self, kid: str) -> KeyPair:
        if kid in self.verifying:
            return self.verifying[kid]
        if kid in self.revoked:
            raise bad_signature(
                gettext("The key {kid} that signed this ticket is revoked.").format(kid=kid)
            )
        raise bad_signature(
            gettext("Unknown key id {kid}: not a key of this system.").format(kid=kid)
        )


# --- Encoding ------------------------------------------------------------------------------------


def b32encode(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def b32decode(text: str) -> bytes:
    """Base32 without padding, in its one canonical spelling (unused trailing bits zero,
    so that no two texts carry the same bytes); ValueError when it is not."""
    if not _BASE32.match(text) or len(text) % 8 in (1, 3, 6):
        raise ValueError("not Base32")
    data = base64.b32decode(text + "=" * (-len(text) % 8))
    if b32encode(data) != text:
        raise ValueError("not canonical Base32")
    return data


def _mac(key: KeyPair, signed: bytes) -> bytes:
    return hmac.new(key.hmac_secret, signed, hashlib.sha256).digest()


def seal(kind: str, body: dict, key: KeyPair, *, with_hmac: bool = True) -> str:
    """`kind.kid.body.ed25519[.hmac]` for a JSON body, signed by `key`."""
    if key.private is None:
        raise ValueError(f"Key {key.kid} cannot sign here: it has no private half.")
    encoded = json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    signed = f"{kind}.{key.kid}.{b32encode(encoded)}"
    parts = [signed, b32encode(key.private.sign(signed.encode("ascii")))]
    if with_hmac:
        parts.append(b32encode(_mac(key, signed.encode("ascii"))))
    return ".".join(parts)


def unseal(kind: str, token, keyring: Keyring, *, with_hmac: bool = True) -> dict:
    """The JSON body of a token sealed by `seal`, once its signatures are checked (the HMAC
    in constant time). Raises TicketRejected: malformed (not this kind of token),
    invalid_signature (unknown or revoked key, a signature that does not match)."""
    if not isinstance(token, str):
        raise malformed(gettext("The QR holds no text."))
    token = token.strip()
    if not token:
        raise malformed(gettext("The QR is empty."))
    if len(token) > MAX_LENGTH:
        raise malformed(gettext("The QR is too long to be a ticket."))
    parts = token.split(".")
    if parts[0] != kind:
        raise malformed(
            gettext("Not a TTMS ticket.")
            if not parts[0].startswith("TT")
            else gettext("Unknown ticket format {format}.").format(format=repr(parts[0][:8]))
        )
    if len(parts) != (5 if with_hmac else 4):
        raise malformed(gettext("The ticket is cut short or has extra parts."))
    kid, body_text, signature_text = parts[1], parts[2], parts[3]
    if not KID_PATTERN.match(kid):
        raise malformed(gettext("The ticket's key id is not readable."))
    try:
        body = b32decode(body_text)
        signature = b32decode(signature_text)
        mac = b32decode(parts[4]) if with_hmac else b""
    except ValueError:
        raise malformed(gettext("The ticket is not readable: a part is not Base32.")) from None
    if len(signature) != 64 or (with_hmac and len(mac) != 32):
        raise malformed(gettext("The ticket's signatures have the wrong length."))
    key = keyring.get(kid)
    signed = f"{kind}.{kid}.{body_text}".encode("ascii")
    if with_hmac and not hmac.compare_digest(mac, _mac(key, signed)):
        raise bad_signature(
            gettext("The ticket's HMAC signature does not match: it was altered or forged.")
        )
    try:
        key.public.verify(signature, signed)
    except InvalidSignature:
        raise bad_signature(
            gettext("The ticket's Ed25519 signature does not match: it was altered or forged.")
        ) from None
    try:
        decoded = json.loads(body.decode())
    except (UnicodeDecodeError, ValueError):
        raise malformed(gettext("The ticket's body is not readable.")) from None
    if not isinstance(decoded, dict):
        raise malformed(gettext("The ticket's body is not readable."))
    return decoded


# --- Tickets ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketBody:
    """What a ticket says (JSON key in brackets): PNR (p), passenger id (i) and number on
    the PNR (x), name (n), trip id (t), class (c), coach (h), seat (s), status CNF or RAC
    (st), boarding and alighting station codes (f, d) and stop numbers on the route (fs,
    ds), valid from and until (nb, na: Unix seconds)."""

    pnr: str
    passenger: int
    index: int
    name: str
    trip: int
    class_code: str
    coach: str
    seat: str
    status: str
    origin: str
    destination: str
    origin_sequence: int
    destination_sequence: int
    valid_from: datetime
    valid_until: datetime

    FIELDS = {
        "p": ("pnr", str),
        "i": ("passenger", int),
        "x": ("index", int),
        "n": ("name", str),
        "t": ("trip", int),
        "c": ("class_code", str),
        "h": ("coach", str),
        "s": ("seat", str),
        "st": ("status", str),
        "f": ("origin", str),
        "d": ("destination", str),
        "fs": ("origin_sequence", int),
        "ds": ("destination_sequence", int),
        "nb": ("valid_from", datetime),
        "na": ("valid_until", datetime),
    }

    def as_json(self) -> dict:
        out = {}
        for short, (name, kind) in self.FIELDS.items():
            value = getattr(self, name)
            out[short] = int(value.timestamp()) if kind is datetime else value
        return out

    @classmethod
    def from_json(cls, data: dict) -> "TicketBody":
        values = {}
        for short, (name, kind) in cls.FIELDS.items():
            value = data.get(short)
            wanted = int if kind is datetime else kind
            if type(value) is not wanted:  # bool is an int subclass: refused too
                raise malformed(
                    gettext("The ticket lacks a readable {field}.").format(
                        field=name.replace("_", " ")
                    )
                )
            if kind is datetime:
                try:
                    value = datetime.fromtimestamp(value, UTC)
                except (OverflowError, OSError, ValueError):
                    raise malformed(
                        gettext("The ticket's validity is not a readable time.")
                    ) from None
            values[name] = value
        return cls(**values)


def ticket_sign(body: TicketBody, key: KeyPair) -> str:
    return seal(TICKET, body.as_json(), key)


def ticket_verify(token, keyring: Keyring) -> TicketBody:
    """The ticket a QR holds, with both signatures checked; TicketRejected otherwise."""
    return TicketBody.from_json(unseal(TICKET, token, keyring))
