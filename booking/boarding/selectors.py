"""Read-side queries of boarding (they never write): the PNR whose tickets a user may see,
drivers' trips and the boarding sheet."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from fleet.models import (
    CompanyMembership,
    RouteStop,
    Station,
    Trip,
    TripStatus,
)
from fleet.selectors import company_ids_for_user
from ttms.accounts.models import Role

from ..models import (
    SEATED_STATUSES,
    Boarding,
    BoardingConflict,
    BoardingScan,
    Passenger,
    PassengerStatus,
    Pnr,
    ScanResult,
)


def pnr_get_for_ticket(user, number: str) -> Pnr:
    """A PNR whose tickets `user` may see: their own; any of a company where they are an
    admin, scheduler or agent; one of a trip they drive (platform admins: any).
    Pnr.DoesNotExist otherwise, so that numbers cannot be probed."""
    pnrs = Pnr.objects.select_related("trip__route__company", "origin", "destination")
    if company_ids_for_user(user) is None:
        return pnrs.get(number=number)
    offices = (
        CompanyMembership.objects.filter(user=user).exclude(role=Role.DRIVER).values("company_id")
    )
    return pnrs.get(
        Q(user=user)
        | Q(trip__route__company_id__in=offices)
        | Q(trip__in=Trip.objects.filter(drivers=user).values("pk")),
        number=number,
    )


def _count(queryset: QuerySet, group: str) -> Subquery:
    """COUNT(*) of a correlated queryset, as a subquery (no join that multiplies rows)."""
    return Coalesce(
        Subquery(queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]), 0
    )


def _with_counts(trips: QuerySet[Trip]) -> QuerySet[Trip]:
    """Each trip with its count of tickets (CNF and RAC passengers) and of boardings."""
    return trips.annotate(
        tickets=_count(
            Passenger.objects.filter(pnr__trip=OuterRef("pk"), status__in=SEATED_STATUSES),
            "pnr__trip",
        ),
        boarded=_count(Boarding.objects.filter(trip=OuterRef("pk")), "trip"),
    )


def _driven_by(user) -> QuerySet[Trip]:
    """The trips `user` is assigned to drive."""
    return Trip.objects.filter(drivers=user).select_related("route__company", "vehicle")


def _detailed(trips: QuerySet[Trip]) -> QuerySet[Trip]:
    """Trips as a driver's app lists them: their stops, and counts of tickets and
    boardings."""
    return _with_counts(trips).prefetch_related("route__stops__station")


def driver_trips(user, *, now: datetime | None = None) -> QuerySet[Trip]:
    """The trips `user` drives that are today's or ahead: those boarding or under way, and
    those arriving no earlier than 12 hours ago and leaving within 7 days; soonest first;
    `_detailed`."""
    now = now or timezone.now()
    return (
        _detailed(_driven_by(user))
        .filter(
            Q(status__in=[TripStatus.BOARDING, TripStatus.DEPARTED])
            | Q(arrival_at__gte=now - timedelta(hours=12), departure_at__lt=now + timedelta(days=7))
        )
        .order_by("departure_at", "pk")
    )


def driver_trip_get(user, pk: int, *, detail: bool = False) -> Trip:
    """A trip `user` is assigned to drive (`detail`: with its stops and counts, as
    `driver_trips`); Trip.DoesNotExist (a 404) for any other."""
    trips = _driven_by(user)
    return (_detailed(trips) if detail else trips).get(pk=pk)


# --- Boarding sheet ------------------------------------------------------------------------


def _sheet_time(moment: datetime, station: Station | None) -> str:
    """07 Jan 2030 07:35 IST: `moment` in the station's time zone (UTC without one)."""
    local = moment.astimezone(station.tzinfo if station else UTC)
    return f"{local:%d %b %Y %H:%M} {local.tzname()}"


@dataclass(frozen=True)
class ScanLine:
    """A scan, or the boarding it made, as printed: when (in the local time of the station
    it was made at; the passenger's boarding station when the device named none), by whom,
    where, from which device, and whether it was uploaded from an offline queue."""

    at: str
    by: str
    where: str
    device: str
    offline: bool

    def __str__(self) -> str:
        device = gettext("{device} (offline)").format(device=self.device) if self.offline else ""
        parts = [self.at, self.by, self.where, device or self.device]
        return " · ".join(part for part in parts if part)


def _scan_line(
    *, at: datetime, by, station: Station | None, device: str, offline: bool, passenger: Passenger
) -> ScanLine:
    return ScanLine(
        at=_sheet_time(at, station or passenger.pnr.origin),
        by=by.full_name or by.email,
        where=f"{station.name} ({station.code})" if station else "",
        device=device,
        offline=offline,
    )


def scan_line_of(scan: BoardingScan, passenger: Passenger) -> ScanLine:
    """A scan as the boarding sheet and the conflicts list print it."""
    return _scan_line(
        at=scan.scanned_at,
        by=scan.scanned_by,
        station=scan.station,
        device=scan.device,
        offline=scan.offline,
        passenger=passenger,
    )


@dataclass(frozen=True)
class BoardingRow:
    """One passenger of a trip's boarding sheet, and their boarding (None: not boarded)."""

    passenger: Passenger
    boarded: ScanLine | None


@dataclass(frozen=True)
class ConflictRow:
    """Two scans that both let one ticket in: the earlier boarded the passenger."""

    conflict: BoardingConflict
    passenger: Passenger
    winner: ScanLine
    loser: ScanLine
    reported: str  # when the later scan reached the server, in the boarding station's time


def _boarding_row(passenger: Passenger) -> BoardingRow:
    boarding: Boarding | None = getattr(passenger, "boarding", None)
    if boarding is None:
        return BoardingRow(passenger, None)
    return BoardingRow(
        passenger,
        _scan_line(
            at=boarding.boarded_at,
            by=boarding.boarded_by,
            station=boarding.station,
            device=boarding.scan.device,
            offline=boarding.scan.offline,
            passenger=passenger,
        ),
    )


def boarding_sheet(trip: Trip) -> dict:
    """A trip's boarding sheet, as the admin's boarding page renders it: its heading (times
    in its first stop's zone); its seated passengers (CNF, RAC) in coach and berth order,
    each boarded (when, by whom, where) or not; its cancelled passengers (any boarding they
    made before); the conflicts; the counts. Four queries, however many passengers."""
    first = (
        RouteStop.objects.filter(route_id=trip.route_id)
        .order_by("sequence")
        .select_related("station")
        .first()
    )
    departure = _sheet_time(trip.departure_at, first.station if first else None)
    passengers = (
        Passenger.objects.filter(
            pnr__trip=trip, status__in=[*SEATED_STATUSES, PassengerStatus.CANCELLED]
        )
        .select_related(
            "pnr__origin",
            "pnr__destination",
            "seat__coach",
            "boarding__boarded_by",
            "boarding__station",
            "boarding__scan",
        )
        .order_by(
            F("seat__coach__position").asc(nulls_last=True),
            "seat__coach__code",
            "seat__row",
            "seat__column",
            "seat_id",
            "half",
            "pnr__origin_sequence",
            "pk",
        )
    )
    rows = [_boarding_row(p) for p in passengers]
    seated = [row for row in rows if row.passenger.status in SEATED_STATUSES]
    cancelled = [row for row in rows if row.passenger.status == PassengerStatus.CANCELLED]
    conflicts = [
        ConflictRow(
            c,
            c.passenger,
            scan_line_of(c.winner, c.passenger),
            scan_line_of(c.loser, c.passenger),
            _sheet_time(c.created_at, c.passenger.pnr.origin),
        )
        for c in BoardingConflict.objects.filter(trip=trip)
        .select_related(
            "passenger__pnr__origin",
            "passenger__seat__coach",
            "winner__scanned_by",
            "winner__station",
            "loser__scanned_by",
            "loser__station",
        )
        .order_by("created_at", "pk")
    ]
    by_result = dict(
        BoardingScan.objects.filter(trip=trip)
        .values_list("result")
        .annotate(n=Count("pk"))
        .order_by()
    )
    boarded = sum(1 for row in seated if row.boarded)
    return {
        "trip": trip,
        "trip_number": trip.route.number,
        "trip_name": trip.route.name,
        "origin": first.station.name if first else "",
        "departure": departure,
        "rows": seated,
        "cancelled": cancelled,
        "conflicts": conflicts,
        "counts": {
            "tickets": len(seated),
            "boarded": boarded,
            "not_boarded": len(seated) - boarded,
            "conflicts": len(conflicts),
        },
        "scans": [
            (label, by_result[value]) for value, label in ScanResult.choices if value in by_result
        ],
    }
