"""Offline sync (docs/pos.md, "Offline sync"): a device uploads the sales it recorded while
offline as a signed, hash-chained batch; the server checks the batch against the chain it
holds (`booking.pos.chain.batch_verify`) and either refuses it whole, opening an audit case,
or books each new sale in order and answers each one.

One sync of a device at a time: the device's row is locked for the whole batch, which is
one transaction (each sale in a savepoint of it). A sale that cannot be booked is still
kept in the chain, refused, with the cash the agent gives back.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import OperationalError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ttms.audit.services import audit_record
from ttms.exceptions import DomainError

from ...exceptions import Busy, PosRefused
from ...models import SEATED_STATUSES, Device, SyncRecord
from ...models.pos import AuditCase
from ...sales.services.precheck import PassengerIn
from .. import chain
from .sales import pos_sale_create

# Why a whole batch is refused, besides booking.pos.chain's reasons.
REVOKED = "revoked_device"
# SQLSTATE of a deadlock PostgreSQL broke by failing one of the transactions.
DEADLOCK_DETECTED = "40P01"
SYSTEM_ACTOR = "system:pos_sync"
MAX_RECORDS = 500

REASON_MESSAGES = {
    chain.MALFORMED: _("A record is not of the form docs/pos.md gives."),
    chain.OTHER_DEVICE: _("A record names another device."),
    chain.ALTERED: _("A record was altered after it was made: its hash does not match."),
    chain.BROKEN_LINK: _("A record does not follow the one before it in the chain."),
    chain.GAP: _("A record is missing from the chain."),
    chain.REORDERED: _("The records are out of order."),
    chain.DUPLICATED: _("A record is in the batch twice."),
    chain.FORKED: _("A record differs from the one the server holds at its place in the chain."),
    chain.DUPLICATE_UUID: _("A record's sale id is another record's."),
    chain.BAD_SIGNATURE: _("The batch's signature does not verify with the device's key."),
    REVOKED: _("The device is revoked."),
}


def reason_message(reason: str) -> str:
    return str(REASON_MESSAGES.get(reason, _("The batch is refused.")))


@dataclass(frozen=True)
class SyncAnswer:
    """A sync's answer: `ok` with `records` (the batch's SyncRecords in order, each with
    its result) and `new` (the seqs booked by this sync, the others being answered from a
    previous one); or refused whole with `reason`, `first_bad_seq` and the `case` opened."""

    ok: bool
    device: Device
    records: list = field(default_factory=list)
    new: frozenset = frozenset()
    reason: str = ""
    first_bad_seq: int | None = None
    case: AuditCase | None = None

    @property
    def message(self) -> str:
        return reason_message(self.reason) if self.reason else ""


class _SaleRefused(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def _seq(records, index):
    if index is None or not isinstance(records, list) or not 0 <= index < len(records):
        return None
    record = records[index]
    seq = record.get("seq") if isinstance(record, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) and seq >= 0 else None


def _uuid(value) -> str | None:
    try:
        return str(uuid.UUID(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _case_open(device: Device, reason: str, first_bad_seq, detail: dict, now) -> AuditCase:
    """Open an audit case in a transaction of its own (it outlives the refused batch)."""
    with transaction.atomic():
        case = AuditCase.objects.create(
            company_id=device.company_id,
            device=device,
            agent_id=device.agent_id,
            reason=reason,
            first_bad_seq=first_bad_seq,
            detail=detail,
            opened_at=now,
        )
        audit_record(
            actor=SYSTEM_ACTOR,
            action="pos.audit_case_opened",
            target=case,
            data={"device_id": device.device_id, "reason": reason, "first_bad_seq": first_bad_seq},
        )
    return case


def pos_sync(
    *, device_id: str, records, signature: str, now: datetime | None = None, agent=None
) -> SyncAnswer:
    """Take a batch of `device_id`'s offline records signed with `signature`.

    PosRefused (nothing written) for an unknown device, or one not `agent`'s when `agent`
    is given. A revoked device's batch, or one that fails `batch_verify`, is refused whole:
    nothing booked, an AuditCase opened (committed even so). Otherwise records the server
    holds already are answered as they were, and each new one is booked in order with
    `pos_sale_create` (the device's agent selling) and kept as a SyncRecord: booked,
    waitlisted, or refused with the cash to give back (sold out meanwhile, trip not
    bookable, bad sale fields, the fare now above what was paid). Busy (503: retry, nothing
    written) when a lock wait runs out."""
    now = now or timezone.now()
    device = Device.objects.filter(device_id=str(device_id)[:64]).first() if device_id else None
    if device is None or (agent is not None and device.agent_id != agent.pk):
        raise PosRefused(gettext("No device of yours is enrolled with this id."))
    if isinstance(records, list) and len(records) > MAX_RECORDS:
        raise PosRefused(
            gettext("A batch holds at most {count} records.").format(count=MAX_RECORDS),
            code="batch_too_large",
        )
    try:
        with transaction.atomic():
            answer = _sync_locked(device.pk, records, signature, now)
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == DEADLOCK_DETECTED:
            raise Busy() from exc
        raise
    if answer.ok:
        return answer
    case = _case_open(
        answer.device,
        answer.reason,
        answer.first_bad_seq,
        {
            "records": len(records) if isinstance(records, list) else None,
            "seqs": [_seq(records, i) for i in range(len(records))]
            if isinstance(records, list)
            else [],
            "server_last_seq": answer.device.last_seq,
        },
        now,
    )
    return SyncAnswer(
        ok=False,
        device=answer.device,
        reason=answer.reason,
        first_bad_seq=answer.first_bad_seq,
        case=case,
    )


def _sync_locked(device_pk: int, records, signature, now) -> SyncAnswer:
    device = Device.objects.select_for_update().get(pk=device_pk)
    if device.revoked:
        return SyncAnswer(False, device, reason=REVOKED, first_bad_seq=_seq(records, 0))
    seqs = [
        r["seq"]
        for r in (records if isinstance(records, list) else [])
        if isinstance(r, dict) and isinstance(r.get("seq"), int) and not isinstance(r["seq"], bool)
    ]
    held = {}
    if seqs:
        held = dict(
            SyncRecord.objects.filter(
                device=device, seq__gte=min(seqs) - 1, seq__lte=max(seqs)
            ).values_list("seq", "hash")
        )
    if device.last_seq:
        held[device.last_seq] = device.last_hash
    uuids = {
        r["client_uuid"]: _uuid(r["client_uuid"])
        for r in (records if isinstance(records, list) else [])
        if isinstance(r, dict) and isinstance(r.get("client_uuid"), str)
    }
    stored = {
        str(u)
        for u in SyncRecord.objects.filter(
            client_uuid__in={u for u in uuids.values() if u}
        ).values_list("client_uuid", flat=True)
    }
    verdict = chain.batch_verify(
        device_id=device.device_id,
        records=records,
        signature=signature,
        public_key=bytes(device.public_key),
        held=held,
        known_uuids=frozenset(raw for raw, norm in uuids.items() if norm in stored),
    )
    if verdict.ok:
        for index in verdict.new:
            if uuids.get(records[index]["client_uuid"]) is None:
                verdict = chain.Verdict(False, reason=chain.MALFORMED, bad_index=index)
                break
    if not verdict.ok:
        return SyncAnswer(
            False, device, reason=verdict.reason, first_bad_seq=_seq(records, verdict.bad_index)
        )

    known = {
        r.seq: r
        for r in SyncRecord.objects.filter(
            device=device, seq__in=[records[i]["seq"] for i in verdict.known]
        ).select_related("pnr")
    }
    answered = []
    for index, record in enumerate(records):
        if index in verdict.known:
            answered.append(known[record["seq"]])
        else:
            answered.append(_book(device, record, uuids[record["client_uuid"]], now))
    if verdict.new:
        last = records[verdict.new[-1]]
        device.last_seq, device.last_hash = last["seq"], last["hash"]
        device.save(update_fields=["last_seq", "last_hash"])
        audit_record(
            actor=device.agent,
            action="pos.batch_synced",
            target=device,
            data={
                "first_seq": records[verdict.new[0]]["seq"],
                "last_seq": last["seq"],
                "results": [answered[i].result for i in verdict.new],
            },
        )
    return SyncAnswer(
        True, device, records=answered, new=frozenset(records[i]["seq"] for i in verdict.new)
    )


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _sale_fields(sale: dict) -> dict:
    """The arguments of `pos_sale_create` from a record's `sale`; _SaleRefused if bad."""
    bad = _SaleRefused(gettext("The sale's fields are not valid."))
    passengers = sale.get("passengers")
    buyer = sale.get("buyer")
    if not (isinstance(passengers, list) and passengers and isinstance(buyer, dict)):
        raise bad
    people = []
    for p in passengers:
        if not (
            isinstance(p, dict)
            and isinstance(p.get("name"), str)
            and _int(p.get("age")) is not None
            and isinstance(p.get("gender"), str)
        ):
            raise bad
        people.append(PassengerIn(name=p["name"], age=p["age"], gender=p["gender"]))
    texts = [sale.get(k) for k in ("from", "to", "class", "currency")]
    if _int(sale.get("trip")) is None or not all(isinstance(t, str) and t for t in texts):
        raise bad
    if not (isinstance(buyer.get("name"), str) and isinstance(buyer.get("phone"), str)):
        raise bad
    return {
        "trip_id": sale["trip"],
        "origin_code": sale["from"],
        "destination_code": sale["to"],
        "class_code": sale["class"],
        "quota": sale.get("quota") if isinstance(sale.get("quota"), str) else "GENERAL",
        "passengers": people,
        "buyer_name": buyer["name"],
        "buyer_phone": buyer["phone"],
        "currency": sale["currency"],
    }


def _book(device: Device, record: dict, client_uuid: str, now) -> SyncRecord:
    sale = record["sale"]
    paid = _int(sale.get("amount"))
    paid = paid if paid is not None and paid >= 0 else 0
    device_time = parse_datetime(record["device_time"]) or now
    if timezone.is_naive(device_time):
        device_time = timezone.make_aware(device_time, timezone.UTC)
    kept = SyncRecord(
        device=device,
        seq=record["seq"],
        client_uuid=uuid.UUID(client_uuid),
        hash=record["hash"],
        record=record,
        device_time=device_time,
        received_at=now,
    )
    try:
        with transaction.atomic():
            fields = _sale_fields(sale)
            if _int(sale.get("amount")) is None or sale["amount"] < 0:
                raise _SaleRefused(gettext("The sale's fields are not valid."))
            pnr = pos_sale_create(agent=device.agent, now=now, **fields)
            if pnr.total_fare > paid:
                raise _SaleRefused(
                    gettext("The fare is now higher than the cash taken; nothing was booked.")
                )
    except Busy:
        raise
    except _SaleRefused as refusal:
        return _kept_refused(kept, paid, refusal.reason)
    except DomainError as error:
        return _kept_refused(kept, paid, error.message)
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError):
        return _kept_refused(kept, paid, gettext("The sale's fields are not valid."))
    seated = pnr.passengers.filter(status__in=SEATED_STATUSES).exists()
    kept.pnr = pnr
    kept.result = SyncRecord.Result.BOOKED if seated else SyncRecord.Result.WAITLISTED
    kept.cash_to_return = paid - pnr.total_fare
    kept.save()
    return kept


def _kept_refused(kept: SyncRecord, paid: int, reason: str) -> SyncRecord:
    kept.result = SyncRecord.Result.REFUSED
    kept.cash_to_return = paid
    kept.reason = str(reason)[:200]
    kept.save()
    return kept
