"""Boarding: a driver scans a ticket (online), or uploads the scans a device made offline.

Every scan is recorded (`BoardingScan`) with its answer. A ticket boards its passenger
once: the scan takes the PNR's row lock (as a cancellation does, so a passenger cannot be
cancelled and boarded at once), and `Boarding` holds one row per passenger. When devices
scanned one ticket offline, each unaware of the other, the earliest scan boards the
passenger and every later scan a device let through is a `BoardingConflict`, reported to
the company's admins. What the QR's text settles is checked first, without a lock
(`scan_checks`); the scan is then recorded under the lock (`recording`).
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from fleet.models import Station, Trip
from ttms.accounts.models import User

from ...exceptions import InvalidScan
from ...locks import bound_lock_waits, lock_timeouts_as_busy
from ...models import Boarding, BoardingConflict, BoardingScan, ScanResult
from .. import ticket_format, ticket_keys
from .recording import ANSWER_BOARDING, ANSWER_PASSENGER, Scan, ScanOutcome, scan_board
from .scan_checks import qr_verify, stations_off_route


@dataclass(frozen=True)
class OfflineScan:
    """A scan a device made offline: its own id for it (`nonce`), the QR text, when and
    where it was made, and what the device answered then."""

    nonce: str
    qr: str
    scanned_at: datetime
    station: Station | None = None
    device_result: str = ""


def _answer(scan: Scan, ring: ticket_format.Keyring) -> ScanOutcome:
    result, message, body = qr_verify(
        qr=scan.qr, trip=scan.trip, scanned_at=scan.scanned_at, station=scan.station, ring=ring
    )
    if result != ScanResult.VALID:
        return ScanOutcome(result, message, scan.record(result, message))
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        return scan_board(scan, body)


def _replays(trip: Trip, nonces: list[str]) -> dict[str, ScanOutcome]:
    """The answers already given to the offline scans `nonces` of this trip, by nonce, as
    they were given (`duplicate`); three queries however many."""
    records = list(
        BoardingScan.objects.filter(trip=trip, nonce__in=nonces).select_related(
            *(f"passenger__{path}" for path in ANSWER_PASSENGER)
        )
    )
    boardings = {
        b.passenger_id: b
        for b in Boarding.objects.filter(
            passenger__in=[r.passenger_id for r in records if r.passenger_id]
        ).select_related(*ANSWER_BOARDING)
    }
    conflicts = {}
    for conflict in BoardingConflict.objects.filter(Q(loser__in=records) | Q(winner__in=records)):
        conflicts.setdefault(conflict.loser_id, conflict)
        conflicts.setdefault(conflict.winner_id, conflict)
    answers = {}
    for record in records:
        boarding = boardings.get(record.passenger_id)
        if boarding is not None:
            boarding.passenger = record.passenger
        answers[record.nonce] = ScanOutcome(
            record.result,
            record.reason,
            record,
            record.passenger,
            boarding,
            duplicate=True,
            conflict=conflicts.get(record.pk),
        )
    return answers


def ticket_scan(
    *,
    trip: Trip,
    driver: User,
    qr: str,
    station: Station | None = None,
    device: str = "",
    now: datetime | None = None,
) -> ScanOutcome:
    """Answer a scan made now on `trip` (a trip `driver` is assigned to; the caller
    checks): valid (the passenger boards, atomically), already_boarded (when, where, by
    whom), cancelled, wrong_trip, not_yet_valid, expired, invalid_signature, malformed.
    Raises InvalidScan, recording nothing, when `station` is not a stop of the trip's
    route; Busy when the PNR's lock is not granted in time."""
    if problem := stations_off_route(trip, [station]).get(0):
        raise InvalidScan(problem, fields={"station": [problem]})
    now = now or timezone.now()
    scan = Scan(
        trip=trip,
        driver=driver,
        qr=qr,
        scanned_at=now,
        now=now,
        station=station,
        device=device,
    )
    return _answer(scan, ticket_keys.keyring())


def scans_upload(
    *,
    trip: Trip,
    driver: User,
    device: str,
    scans: list[OfflineScan],
    now: datetime | None = None,
) -> list[ScanOutcome]:
    """Answer the scans a device made offline on `trip`, in the order they were made.
    Idempotent by each scan's nonce: a scan uploaded again gets its first answer back
    (`duplicate`) and changes nothing. Each scan is checked as it would have been when made
    (its validity window at `scanned_at`; a time later than the upload plus
    `TTMS_SCAN_CLOCK_SKEW_SECONDS` counts as that). A scan the device refused boards
    nobody. Answers come in the order given. A batch naming a station that is not a stop
    of the trip's route is refused whole (InvalidScan, `fields={"scans": {"<index>":
    {"station": [message]}}}`), recording nothing."""
    if off := stations_off_route(trip, [offline.station for offline in scans]):
        raise InvalidScan(
            next(iter(off.values())),
            fields={
                "scans": {str(index): {"station": [problem]} for index, problem in off.items()}
            },
        )
    now = now or timezone.now()
    latest = now + timedelta(seconds=settings.TTMS_SCAN_CLOCK_SKEW_SECONDS)
    ring = ticket_keys.keyring()
    answered = _replays(trip, [offline.nonce for offline in scans])
    for offline in sorted(scans, key=lambda o: (o.scanned_at, o.nonce)):
        if offline.nonce in answered:  # uploaded before, or earlier in this batch
            continue
        scan = Scan(
            trip=trip,
            driver=driver,
            qr=offline.qr,
            scanned_at=min(offline.scanned_at, latest),
            now=now,
            station=offline.station,
            device=device,
            nonce=offline.nonce,
            offline=True,
            device_result=offline.device_result,
        )
        try:
            with transaction.atomic():
                answered[offline.nonce] = _answer(scan, ring)
        except IntegrityError:  # the same nonce, uploaded at this very moment
            answered.update(_replays(trip, [offline.nonce]))
            if offline.nonce not in answered:
                raise
    # Each nonce's first answer once; a nonce given twice in the batch repeats it.
    fresh = {nonce for nonce, outcome in answered.items() if not outcome.duplicate}
    answers = []
    for offline in scans:
        outcome = answered[offline.nonce]
        if offline.nonce in fresh:
            fresh.discard(offline.nonce)
        elif not outcome.duplicate:
            outcome = replace(outcome, duplicate=True)
        answers.append(outcome)
    return answers
