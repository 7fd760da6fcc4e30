"""Boarding: a driver scans a ticket (online), or uploads the scans a device made offline.

Every scan is recorded (`BoardingScan`) with its answer. A ticket boards its passenger
once: the scan takes the PNR's row lock (as a cancellation does, so a passenger cannot be
cancelled and boarded at once), and `Boarding` holds one row per passenger. When devices
scanned one ticket offline, each unaware of the other, the earliest scan boards the
passenger and every later scan a device let through is a `BoardingConflict`, reported to
the company's admins.
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from fleet.models import CompanyMembership, RouteStop, Station, Trip
from ttms.accounts.models import Role, User
from ttms.notifications.services import Message, outbox_add

from ...exceptions import InvalidScan
from ...locks import bound_lock_waits, lock_timeouts_as_busy, pnr_lock
from ...models import (
    SEATED_STATUSES,
    Boarding,
    BoardingConflict,
    BoardingScan,
    Passenger,
    ScanResult,
)
from .. import ticket_format, ticket_keys

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


@dataclass(frozen=True)
class OfflineScan:
    """A scan a device made offline: its own id for it (`nonce`), the QR text, when and
    where it was made, and what the device answered then."""

    nonce: str
    qr: str
    scanned_at: datetime
    station: Station | None = None
    device_result: str = ""


@dataclass
class _Scan:
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


def _local(moment: datetime, station: Station | None) -> str:
    """09:12 on 21 Nov 2026, in the station's time zone (UTC when there is none)."""
    tz = station.tzinfo if station else UTC
    return timezone.localtime(moment, tz).strftime("%H:%M on %d %b %Y")


def _trip_label(trip: Trip) -> str:
    return f"trip {trip.route.number} of {trip.service_date:%d %b %Y}"


def _verify(
    scan: _Scan, ring: ticket_format.Keyring
) -> tuple[str, str, ticket_format.TicketBody | None]:
    """The checks a QR's text alone settles: readable, signed by a known key, for this trip,
    inside its validity window at the moment it was scanned."""
    try:
        body = ticket_format.ticket_verify(scan.qr, ring)
    except ticket_format.TicketRejected as rejected:
        return rejected.result, rejected.message, None
    trip = scan.trip
    if body.trip != trip.pk:
        other = Trip.objects.select_related("route").filter(pk=body.trip).first()
        named = _trip_label(other) if other else f"trip {body.trip}"
        return (
            ScanResult.WRONG_TRIP,
            f"This ticket is for {named}, not {_trip_label(trip)}.",
            body,
        )
    if body.valid_from <= scan.scanned_at <= body.valid_until:
        return ScanResult.VALID, "", body
    # Shown in the boarding station's time, as printed on the ticket.
    origin = Station.objects.filter(code=body.origin).first() or scan.station
    if scan.scanned_at < body.valid_from:
        return (
            ScanResult.NOT_YET_VALID,
            f"Not valid yet: valid from {_local(body.valid_from, origin)}.",
            body,
        )
    return (
        ScanResult.EXPIRED,
        f"Expired: was valid until {_local(body.valid_until, origin)}.",
        body,
    )


def _conflict(
    scan: _Scan, passenger: Passenger, *, winner: BoardingScan, loser: BoardingScan
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
    outbox_add(
        messages=[Message("boarding.conflict", user_id, payload) for user_id in admins]
        or [Message("boarding.conflict", None, payload)],
        now=scan.now,
    )
    return conflict


def _board(scan: _Scan, body: ticket_format.TicketBody) -> ScanOutcome:
    """Under the PNR's lock: refuse a cancelled passenger, answer already_boarded after the
    first scan, else board. Offline scans: the earliest scan wins."""
    pnr_lock(number=body.pnr)
    passenger = (
        Passenger.objects.select_related(*ANSWER_PASSENGER)
        .filter(pk=body.passenger, pnr__number=body.pnr, pnr__trip=scan.trip)
        .first()
    )
    if passenger is None:
        message = "This ticket's passenger is not on this trip any more."
        return ScanOutcome(
            ScanResult.CANCELLED, message, scan.record(ScanResult.CANCELLED, message)
        )
    if passenger.status not in SEATED_STATUSES:
        message = (
            f"{passenger.name} (PNR {passenger.pnr.number}, passenger "
            f"{passenger.index}) is {passenger.get_status_display().lower()}: "
            "the ticket is void."
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
        message = (
            f"Refused offline on the device ({result.label.lower()}): "
            f"{passenger.name} did not board with this scan."
        )
        return ScanOutcome(
            result, message, scan.record(result, message, passenger), passenger, boarding
        )
    if boarding is None:
        record = scan.record(ScanResult.VALID, f"{passenger.name} boards.", passenger)
        boarding = Boarding.objects.create(
            passenger=passenger,
            trip=scan.trip,
            scan=record,
            boarded_at=scan.scanned_at,
            boarded_by=scan.driver,
            station=scan.station,
        )
        return ScanOutcome(ScanResult.VALID, record.reason, record, passenger, boarding)
    if scan.offline and scan.scanned_at < boarding.boarded_at:
        # An earlier scan, uploaded late: it is the one that boarded the passenger.
        record = scan.record(
            ScanResult.VALID,
            f"{passenger.name} boards (the earliest scan of this ticket).",
            passenger,
        )
        conflict = _conflict(scan, passenger, winner=record, loser=boarding.scan)
        boarding.scan, boarding.boarded_at = record, scan.scanned_at
        boarding.boarded_by, boarding.station = scan.driver, scan.station
        boarding.save(update_fields=["scan", "boarded_at", "boarded_by", "station"])
        return ScanOutcome(
            ScanResult.VALID, record.reason, record, passenger, boarding, conflict=conflict
        )
    where = f" at {boarding.station.name}" if boarding.station else ""
    by = boarding.boarded_by.full_name or boarding.boarded_by.email
    message = (
        f"Already boarded at "
        f"{_local(boarding.boarded_at, boarding.station or passenger.pnr.origin)}"
        f"{where}, scanned by {by}."
    )
    record = scan.record(ScanResult.ALREADY_BOARDED, message, passenger)
    conflict = (
        _conflict(scan, passenger, winner=boarding.scan, loser=record)
        if scan.accepted_by_device
        else None
    )
    return ScanOutcome(
        ScanResult.ALREADY_BOARDED, message, record, passenger, boarding, conflict=conflict
    )


def _off_route(trip: Trip, stations: list[Station | None]) -> dict[int, str]:
    """By index in `stations`, why each station named that is not a stop of the trip's
    route cannot be where a scan was made; one query, none when no station is named."""
    named = {station.pk for station in stations if station is not None}
    if not named:
        return {}
    stops = set(
        RouteStop.objects.filter(route_id=trip.route_id, station_id__in=named).values_list(
            "station_id", flat=True
        )
    )
    return {
        index: gettext(
            "{name} ({code}) is not a stop of trip {number} of {date}: scan "
            "at a station the trip calls at."
        ).format(
            name=station.name,
            code=station.code,
            number=trip.route.number,
            date=f"{trip.service_date:%d %b %Y}",
        )
        for index, station in enumerate(stations)
        if station is not None and station.pk not in stops
    }


def _answer(scan: _Scan, ring: ticket_format.Keyring) -> ScanOutcome:
    result, message, body = _verify(scan, ring)
    if result != ScanResult.VALID:
        return ScanOutcome(result, message, scan.record(result, message))
    with transaction.atomic(), lock_timeouts_as_busy():
        bound_lock_waits()
        return _board(scan, body)


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
    if problem := _off_route(trip, [station]).get(0):
        raise InvalidScan(problem, fields={"station": [problem]})
    now = now or timezone.now()
    scan = _Scan(
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
    if off := _off_route(trip, [offline.station for offline in scans]):
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
        scan = _Scan(
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
