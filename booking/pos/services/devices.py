"""POS devices: enrolled to one station agent of a company with the Ed25519 public key
their offline batches are signed with (docs/pos.md), and revoked when lost or misused."""

import base64
import binascii
import re
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from fleet.models import Company
from ttms.accounts.models import User
from ttms.audit.services import audit_record
from ttms.exceptions import DomainError

from ...exceptions import PosRefused
from ...models import Device
from ...models.pos import AuditCase
from .sales import agent_membership

DEVICE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
REASON_MAX = 200


class InvalidDevice(DomainError):
    """The enrolment names a bad device id or key: nothing is enrolled."""

    code = "invalid"
    status_code = 400


def public_key_parse(public_key_b64: str) -> bytes:
    """The raw 32 bytes of an Ed25519 public key given in base64; InvalidDevice otherwise."""
    try:
        raw = base64.b64decode((public_key_b64 or "").strip(), validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidDevice(
            gettext("The public key must be the base64 of a raw 32-byte Ed25519 key."),
            fields={"public_key": [gettext("Not a base64 Ed25519 public key.")]},
        ) from None
    return raw


def device_enrol(
    *,
    company: Company,
    agent: User,
    device_id: str,
    public_key_b64: str,
    name: str = "",
    by: User | None,
    now: datetime | None = None,
) -> Device:
    """Enrol a device for `agent`, a station agent of `company` (PosRefused otherwise),
    with its public key (base64 of the raw 32 bytes). Audited as `pos.device_enrolled`."""
    agent_membership(agent, company.pk)
    device_id = (device_id or "").strip()
    if not DEVICE_ID.fullmatch(device_id):
        raise InvalidDevice(
            gettext("A device id is 1 to 64 letters, digits, dots, dashes or underscores."),
            fields={"device_id": [gettext("Not a device id.")]},
        )
    raw = public_key_parse(public_key_b64)
    try:
        with transaction.atomic():
            device = Device.objects.create(
                company=company,
                agent=agent,
                device_id=device_id,
                name=(name or "").strip()[:80],
                public_key=raw,
                enrolled_at=now or timezone.now(),
            )
            audit_record(
                actor=by,
                action="pos.device_enrolled",
                target=device,
                data={"device_id": device_id, "agent": agent.pk, "name": device.name},
            )
    except IntegrityError:
        raise InvalidDevice(
            gettext("A device with the id {device_id} is enrolled already.").format(
                device_id=device_id
            ),
            fields={"device_id": [gettext("Taken.")]},
        ) from None
    return device


def device_revoke(
    *, device: Device, by: User | None, reason: str, now: datetime | None = None
) -> Device:
    """Revoke `device`: its batches are refused from now on (and open an audit case).
    Revoking a revoked device changes nothing. Audited as `pos.device_revoked`."""
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise InvalidDevice(
            gettext("Say why the device is revoked."),
            fields={"reason": [gettext("This field is required.")]},
        )
    with transaction.atomic():
        device = Device.objects.select_for_update().get(pk=device.pk)
        if device.revoked:
            return device
        device.revoked_at = now or timezone.now()
        device.save(update_fields=["revoked_at"])
        audit_record(
            actor=by,
            action="pos.device_revoked",
            target=device,
            data={"device_id": device.device_id, "reason": reason},
        )
    return device


def device_for_agent(*, device_id: str, agent: User) -> Device:
    """`agent`'s device `device_id`; PosRefused when there is none of theirs by that id."""
    device = Device.objects.filter(device_id=device_id, agent=agent).first()
    if device is None:
        raise PosRefused(gettext("No device of yours is enrolled with this id."))
    return device


NOTE_MAX = 2_000


def audit_case_resolve(
    *, case: AuditCase, by: User | None, note: str, now: datetime | None = None
) -> AuditCase:
    """Resolve an audit case with `note` (what was found). Resolving a resolved case
    changes nothing. Audited as `pos.audit_case_resolved`."""
    note = (note or "").strip()[:NOTE_MAX]
    if not note:
        raise InvalidDevice(
            gettext("Say what was found: the note is kept with the case."),
            fields={"note": [gettext("This field is required.")]},
        )
    with transaction.atomic():
        case = AuditCase.objects.select_for_update().get(pk=case.pk)
        if case.resolved_at:
            return case
        case.resolved_at = now or timezone.now()
        case.resolved_by = by
        case.note = note
        case.save(update_fields=["resolved_at", "resolved_by", "note"])
        audit_record(actor=by, action="pos.audit_case_resolved", target=case, data={"note": note})
    return case
