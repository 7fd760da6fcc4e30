"""Where ticket keys come from: the environment (`TTMS_TICKET_KEYS`), or else the database,
where the first key is generated on first use and later ones by rotation.

`TTMS_TICKET_KEYS` is a comma-separated list of `KID:HMAC_SECRET:ED25519_SEED` (the two
secrets Base64 of 32 random bytes; `manage.py ticket_keys generate` prints one): the first
signs, all verify. To rotate, put a new entry first and keep the old ones until the
tickets they signed have expired; to revoke, remove one.

Keys are read on each use (a small table), so that a rotation or a revocation made by one
process is seen at once by every other.
"""

import base64
import os
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ttms.accounts.models import User
from ttms.audit.services import audit_record

from ..models import TicketKey
from .ticket_format import KID_PATTERN, KeyPair, Keyring, kid_for


class KeyConfigurationError(ValueError):
    """`TTMS_TICKET_KEYS` cannot be read."""


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=False)


def _b64_text(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


@lru_cache(maxsize=4)
def keyring_from_setting(value: str) -> Keyring:
    """The keyring `TTMS_TICKET_KEYS` describes; KeyConfigurationError naming the entry
    that is wrong."""
    pairs = []
    for number, entry in enumerate((e.strip() for e in value.split(",") if e.strip()), 1):
        try:
            kid, secret, seed = entry.split(":")
            if not KID_PATTERN.match(kid):
                raise ValueError("the key id must be 1-16 characters A-Z or 2-7")
            secret_bytes, seed_bytes = _b64(secret), _b64(seed)
            if len(secret_bytes) < 32 or len(seed_bytes) != 32:
                raise ValueError(
                    "the HMAC secret needs at least 32 bytes, the Ed25519 seed exactly 32"
                )
            pairs.append(KeyPair.from_seed(kid, hmac_secret=secret_bytes, seed=seed_bytes))
        except ValueError as exc:
            raise KeyConfigurationError(
                f"TTMS_TICKET_KEYS entry {number} is not KID:HMAC_SECRET:ED25519_SEED ({exc})."
            ) from None
    if not pairs:
        raise KeyConfigurationError("TTMS_TICKET_KEYS is set but names no key.")
    if len({p.kid for p in pairs}) != len(pairs):
        raise KeyConfigurationError("TTMS_TICKET_KEYS names a key id twice.")
    return Keyring(signing=pairs[0], verifying={p.kid: p for p in pairs})


def _pair(key: TicketKey) -> KeyPair:
    return KeyPair.from_seed(
        key.kid, hmac_secret=_b64(key.hmac_secret), seed=_b64(key.ed25519_private)
    )


def key_generate() -> TicketKey:
    """A new key pair (not saved): 32 random bytes of HMAC secret and of Ed25519 seed."""
    secret, seed = os.urandom(32), os.urandom(32)
    pair = KeyPair.from_seed("X", hmac_secret=secret, seed=seed)
    return TicketKey(
        kid=kid_for(pair.public_bytes),
        hmac_secret=_b64_text(secret),
        ed25519_private=_b64_text(seed),
        ed25519_public=_b64_text(pair.public_bytes),
    )


def _keys_from_database() -> list[TicketKey]:
    keys = list(TicketKey.objects.all())
    if any(k.state == TicketKey.State.ACTIVE for k in keys):
        return keys
    try:  # the first use: two processes may race; the one-active constraint picks one
        with transaction.atomic():
            key_generate().save()
    except IntegrityError:
        pass
    return list(TicketKey.objects.all())


def keyring() -> Keyring:
    """The keys of this deployment: from `TTMS_TICKET_KEYS` when set, else the database's
    (generating the first)."""
    if settings.TTMS_TICKET_KEYS:
        return keyring_from_setting(settings.TTMS_TICKET_KEYS)
    keys = _keys_from_database()
    verifying = {k.kid: _pair(k) for k in keys if k.state != TicketKey.State.REVOKED}
    active = next(k for k in keys if k.state == TicketKey.State.ACTIVE)
    return Keyring(
        signing=verifying[active.kid],
        verifying=verifying,
        revoked=frozenset(k.kid for k in keys if k.state == TicketKey.State.REVOKED),
    )


def public_keys(ring: Keyring | None = None) -> list[dict]:
    """The public half of every key that verifies tickets (of `ring`, else this
    deployment's), the signing one first: {"kid", "algorithm", "public_key" (Base64url,
    32 bytes), "signing"}."""
    ring = ring or keyring()
    ordered = sorted(ring.verifying.values(), key=lambda pair: (pair is not ring.signing, pair.kid))
    return [
        {
            "kid": pair.kid,
            "algorithm": "Ed25519",
            "public_key": _b64_text(pair.public_bytes),
            "signing": pair is ring.signing,
        }
        for pair in ordered
    ]


def _refuse_when_configured() -> None:
    if settings.TTMS_TICKET_KEYS:
        raise KeyConfigurationError(
            "Ticket keys come from TTMS_TICKET_KEYS here: change "
            "that setting to rotate or revoke them."
        )


def key_rotate(*, by: User | str | None = None) -> TicketKey:
    """A new signing key; the one that signed until now keeps verifying its tickets.
    Audited ("ticket_key.rotated": the new key id and the retired ones) as done `by`."""
    _refuse_when_configured()
    with transaction.atomic():
        now = timezone.now()
        active = TicketKey.objects.select_for_update().filter(state=TicketKey.State.ACTIVE)
        retired = sorted(active.values_list("kid", flat=True))
        active.update(state=TicketKey.State.RETIRED, state_changed_at=now)
        key = key_generate()
        key.save()
        audit_record(
            actor=by,
            action="ticket_key.rotated",
            target=key,
            data={"kid": key.kid, "retired": retired},
        )
    return key


def key_revoke(kid: str, *, by: User | str | None = None) -> TicketKey:
    """Refuse every ticket `kid` signed from now on. The signing key cannot be revoked:
    rotate first. Audited ("ticket_key.revoked") as done `by`."""
    _refuse_when_configured()
    with transaction.atomic():
        try:
            key = TicketKey.objects.select_for_update().get(kid=kid)
        except TicketKey.DoesNotExist:
            raise KeyConfigurationError(f"No ticket key has the id {kid}.") from None
        if key.state == TicketKey.State.ACTIVE:
            raise KeyConfigurationError(f"{kid} signs new tickets: rotate first, then revoke it.")
        key.state, key.state_changed_at = TicketKey.State.REVOKED, timezone.now()
        key.save(update_fields=["state", "state_changed_at"])
        audit_record(actor=by, action="ticket_key.revoked", target=key, data={"kid": key.kid})
    return key


def setting_entry_generate() -> str:
    """A new `KID:HMAC_SECRET:ED25519_SEED` entry for `TTMS_TICKET_KEYS`."""
    key = key_generate()
    return f"{key.kid}:{key.hmac_secret}:{key.ed25519_private}"
