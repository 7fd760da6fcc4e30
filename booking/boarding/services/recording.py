"""Recording a scan: every scan is a `BoardingScan` with its answer; under the PNR's row lock
(as a cancellation takes it, so a passenger cannot be cancelled and boarded at once) the
first scan that boards a passenger writes their `Boarding`, and two scans that both let one
ticket in write a `BoardingConflict`, reported to the company's admins."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext

from fleet.models import CompanyMembership, Station, Trip
from ttms.accounts.models import Role, User
from ttms.notifications.services import Message, outbox_add

from ...locks import pnr_lock
from ...models import (
    SEATED_STATUSES,
    Boarding,
    BoardingConflict,
    BoardingScan,
    Passenger,
    ScanResult,
)
from .. import ticket_format
from .scan_checks import local_time

# What an answer shows of its passenger and boarding (read with them, not one by one).
ANSWER_PASSENGER = ("pnr__origin", "pnr__destination", "seat__coach")
ANSWER_BOARDING = ("boarded_by", "station", "scan")


@dataclass
class ScanOutcome:
    """The answer to one scan: the result and a sentence for the driver, the scan as
    recorded, the ticket's passenger when the QR named one of this trip, their boarding
    (valid, already_boarded), whether the scan was a repeat of one already uploaded
    (`duplicate`), and the conflict it raised, if any."""

    result: str
    message: str
    scan: BoardingScan
    passenger: Passenger | None = None
    boarding: Boarding | None = None
    duplicate: bool = False
    conflict: BoardingConflict | None = None


@dataclass
class Scan:
    """One scan being answered (what `BoardingScan` will record)."""

    trip: Trip
    driver: User
    qr: str
    scanned_at: datetime
    now: datetime
    station: Station | None = None
    device: str = ""
    nonce: str = ""
    offline: bool = False
    device_result: str = ""

    def record(self, result: str, message: str, passenger: Passenger | None = None) -> BoardingScan:
        return BoardingScan.objects.create(
            trip=self.trip,
            passenger=passenger,
            scanned_by=self.driver,
            scanned_at=self.scanned_at,
            received_at=self.now,
            station=self.station,
            device=self.device[:64],
            nonce=self.nonce,
            offline=self.offline,
            device_result=self.device_result,
            result=result,
            reason=message[:300],
            payload_digest=hashlib.sha256(self.qr.encode("utf-8", "replace")).hexdigest(),
        )

    @property
    def accepted_by_device(self) -> bool:
        """Did the device let the passenger in? Offline: what it says it answered (an
        answer left out counts as yes); online scans are answered here."""
        return self.offline and self.device_result in ("", ScanResult.VALID)


def _conflict(
    scan: Scan, passenger: Passenger, *, winner: BoardingScan, loser: BoardingScan
) -> BoardingConflict:
    """Record that two scans let one ticket in, and tell the company's admins (outbox, in
    the scan's transaction)."""
    conflict = BoardingConflict.objects.create(
        trip=scan.trip, passenger=passenger, winner=winner, loser=loser, created_at=scan.now
    )
    admins = CompanyMembership.objects.filter(
        company_id=scan.trip.route.company_id,
        role=Role.COMPANY_ADMIN,
    ).values_list("user_id", flat=True)
    payload = {
        "trip": scan.trip.pk,
        "pnr": passenger.pnr.number,
        "passenger": passenger.pk,
        "winner_scan": winner.pk,
        "loser_scan": loser.pk,
    }
    key = f"boarding.conflict:{conflict.pk}"
    outbox_add(
        messages=[
            Message("boarding.conflict", user_id, payload, dedupe_key=f"{key}:{user_id}")
            for user_id in admins
        ]
        or [Message("boarding.conflict", None, payload, dedupe_key=key)],
        now=scan.now,
    )
    return conflict


def _boarded_tell(passenger: Passenger, boarding: Boarding, *, now: datetime) -> None:
    """ "passenger.boarded" to the PNR's holder, in the scan's transaction: once per
    passenger (a later, earlier-dated scan that takes the boarding over tells nobody)."""
    outbox_add(
        messages=[
            Message(
                "passenger.boarded",
                passenger.pnr.user_id,
                {
                    "pnr": passenger.pnr.number,
                    "passenger": passenger.index,
                    "name": passenger.name,
                    "station": boarding.station.name if boarding.station else "",
                    "at": boarding.boarded_at.isoformat(),
                },
                dedupe_key=f"passenger.boarded:{passenger.pk}",
            )
        ],
        now=now,
    )


def _already_boarded(boarding: Boarding, passenger: Passenger) -> str:
    """When, where and by whom the passenger was boarded, for the driver."""
    at = local_time(boarding.boarded_at, boarding.station or passenger.pnr.origin)
    by = boarding.boarded_by.full_name or boarding.boarded_by.email
    if boarding.station:
        return gettext("Already boarded at {at} at {station}, scanned by {by}.").format(
            at=at, station=boarding.station.name, by=by
        )
    return gettext("Already boarded at {at}, scanned by {by}.").format(at=at, by=by)


def scan_board(scan: Scan, body: ticket_format.TicketBody) -> ScanOutcome:
    """Record `scan` of a ticket whose text checked out (`scan_checks.qr_verify`), under the
    PNR's lock (taken here; the caller holds the transaction): refuse a cancelled passenger,
    answer already_boarded after the first scan, else board. Offline scans: the earliest
    scan wins, and a later one the device let through is a conflict."""
    pnr_lock(number=body.pnr)
    passenger = (
        Passenger.objects.select_related(*ANSWER_PASSENGER)
        .filter(pk=body.passenger, pnr__number=body.pnr, pnr__trip=scan.trip)
        .first()
    )
    if passenger is None:
        message = gettext("This ticket's passenger is not on this trip any more.")
        return ScanOutcome(
            ScanResult.CANCELLED, message, scan.record(ScanResult.CANCELLED, message)
        )
    if passenger.status not in SEATED_STATUSES:
        message = gettext(
            "{name} (PNR {pnr}, passenger {index}) is {status}: the ticket is void."
        ).format(
            name=passenger.name,
            pnr=passenger.pnr.number,
            index=passenger.index,
            status=passenger.get_status_display().lower(),
        )
        return ScanOutcome(
            ScanResult.CANCELLED,
            message,
            scan.record(ScanResult.CANCELLED, message, passenger),
            passenger,
        )
    boarding = Boarding.objects.select_related(*ANSWER_BOARDING).filter(passenger=passenger).first()
    if boarding is not None:
        boarding.passenger = passenger
    if scan.offline and not scan.accepted_by_device:
        # The device turned the passenger away (its revocation list, its clock, an earlier
        # scan of its own): this scan boarded nobody and takes nothing from another.
        result = ScanResult(scan.device_result)
        message = gettext(
            "Refused offline on the device ({result}): {name} did not board with this scan."
        ).format(result=result.label.lower(), name=passenger.name)
        return ScanOutcome(
            result, message, scan.record(result, message, passenger), passenger, boarding
        )
    if boarding is None:
        record = scan.record(
            ScanResult.VALID, gettext("{name} boards.").format(name=passenger.name), passenger
        )
        boarding = Boarding.objects.create(
            passenger=passenger,
            trip=scan.trip,
            scan=record,
            boarded_at=scan.scanned_at,
            boarded_by=scan.driver,
            station=scan.station,
        )
        _boarded_tell(passenger, boarding, now=scan.now)
        return ScanOutcome(ScanResult.VALID, record.reason, record, passenger, boarding)
    if scan.offline and scan.scanned_at < boarding.boarded_at:
        # An earlier scan, uploaded late: it is the one that boarded the passenger.
        record = scan.record(
            ScanResult.VALID,
            gettext("{name} boards (the earliest scan of this ticket).").format(
                name=passenger.name
            ),
            passenger,
        )
        conflict = _conflict(scan, passenger, winner=record, loser=boarding.scan)
        boarding.scan, boarding.boarded_at = record, scan.scanned_at
        boarding.boarded_by, boarding.station = scan.driver, scan.station
        boarding.save(update_fields=["scan", "boarded_at", "boarded_by", "station"])
        return ScanOutcome(
            ScanResult.VALID, record.reason, record, passenger, boarding, conflict=conflict
        )
    message = _already_boarded(boarding, passenger)
    record = scan.record(ScanResult.ALREADY_BOARDED, message, passenger)
    conflict = (
        _conflict(scan, passenger, winner=boarding.scan, loser=record)
        if scan.accepted_by_device
        else None
    )
    return ScanOutcome(
        ScanResult.ALREADY_BOARDED, message, record, passenger, boarding, conflict=conflict
    )
