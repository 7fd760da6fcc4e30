"""Pages of live tracking: a trip's running status (its map and its table of stops), a PNR's
live map, and the driver's page (today's trips, their status, sharing the phone's position,
scanning tickets).

The pages draw what the database knows when they load; the browser then follows the trip's
WebSocket (`/ws/trips/{id}/positions/`), and polls `GET /api/v1/trips/{id}/position/` while
the socket is down (static/js/tracking-map.js)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from booking.boarding.selectors import driver_trip_get, driver_trips
from booking.models import SEATED_STATUSES, Passenger, Pnr
from booking.sales.selectors.pnrs import pnr_get_for_user
from fleet.exceptions import FleetError
from fleet.models import Trip, TripStatus
from fleet.selectors import company_ids_for_user
from fleet.services import trip_advance
from ttms.accounts.models import Role

from .models import StopVisit

RUNNING = (TripStatus.BOARDING, TripStatus.DEPARTED)
# A scheduled trip is "today's" from this long before it leaves: its live map is offered.
LIVE_AHEAD = timedelta(hours=6)


def trip_is_live(trip: Trip, now: datetime | None = None) -> bool:
    """Boarding or under way, or leaving within LIVE_AHEAD: worth a live map."""
    now = now or timezone.now()
    if trip.status in RUNNING:
        return True
    return trip.status == TripStatus.SCHEDULED and trip.departure_at - LIVE_AHEAD <= now


def trip_watchable_by(user, trip: Trip) -> bool:
    """The WebSocket's rule for subscribers: anyone when the company's positions are public;
    else passengers holding a CNF or RAC ticket on the trip, the company's staff, its
    assigned drivers and platform admins."""
    company = trip.route.company
    if company.positions_public:
        return True
    if not user.is_authenticated:
        return False
    companies = company_ids_for_user(user)
    if companies is None or company.pk in companies:
        return True
    if trip.drivers.filter(pk=user.pk).exists():
        return True
    return Passenger.objects.filter(
        pnr__trip=trip, pnr__user=user, status__in=SEATED_STATUSES
    ).exists()


@dataclass(frozen=True)
class StopRow:
    """One stop of the running-status table; times are aware datetimes (None: not known),
    shown in the station's own zone."""

    sequence: int
    code: str
    name: str
    zone: str
    lat: float | None
    lon: float | None
    scheduled_arrival: datetime | None
    scheduled_departure: datetime | None
    actual_arrival: datetime | None
    actual_departure: datetime | None
    skipped: bool
    highlight: str = ""  # "board", "alight" or ""

    @property
    def scheduled(self) -> datetime | None:
        return self.scheduled_arrival or self.scheduled_departure

    @property
    def actual(self) -> datetime | None:
        return self.actual_arrival or self.actual_departure

    @property
    def delay_minutes(self) -> int | None:
        if self.actual is None or self.scheduled is None:
            return None
        return round((self.actual - self.scheduled).total_seconds() / 60)


def _stop_rows(trip: Trip, *, board: int | None = None, alight: int | None = None):
    """The route's stops with their timetable and the actual times recorded so far."""
    visits = {visit.sequence: visit for visit in StopVisit.objects.filter(trip=trip)}
    rows = []
    for stop in trip.route.stops.select_related("station").order_by("sequence"):
        station = stop.station
        visit = visits.get(stop.sequence)

        def at(offset):
            return None if offset is None else trip.departure_at + timedelta(minutes=offset)

        rows.append(
            StopRow(
                sequence=stop.sequence,
                code=station.code,
                name=station.name,
                zone=station.time_zone,
                lat=station.latitude,
                lon=station.longitude,
                scheduled_arrival=at(stop.arrival_offset),
                scheduled_departure=at(stop.departure_offset),
                actual_arrival=visit.arrived_at if visit else None,
                actual_departure=visit.departed_at if visit else None,
                skipped=bool(visit and visit.skipped),
                highlight="board"
                if stop.sequence == board
                else "alight"
                if stop.sequence == alight
                else "",
            )
        )
    return rows


def _status_context(request, trip: Trip, *, pnr: Pnr | None = None) -> dict:
    board = alight = None
    if pnr is not None:
        sequences = {
            stop.station_id: stop.sequence for stop in trip.route.stops.all().order_by("sequence")
        }
        board, alight = sequences.get(pnr.origin_id), sequences.get(pnr.destination_id)
    vehicle = trip.vehicle
    return {
        "trip": trip,
        "route": trip.route,
        "company": trip.route.company,
        "pnr": pnr,
        "stops": _stop_rows(trip, board=board, alight=alight),
        "vehicle_kind": "train" if vehicle is None or vehicle.kind == "train" else "bus",
        "tile_url": settings.TTMS_MAP_TILE_URL,
        "ws_path": f"/ws/trips/{trip.pk}/positions/",
        "position_url": f"/api/v1/trips/{trip.pk}/position/",
    }


def _trip_or_404(pk: int) -> Trip:
    try:
        return Trip.objects.select_related("route__company", "vehicle").get(pk=pk)
    except Trip.DoesNotExist:
        raise Http404(_("No trip has this id.")) from None


@never_cache
@require_GET
def trip_status(request, pk: int):
    """`/trips/{id}/status/`: the running status of a trip, for those who may watch it
    (`trip_watchable_by`); anyone else signed in gets a 404, a visitor the sign-in page."""
    trip = _trip_or_404(pk)
    if not trip_watchable_by(request.user, trip):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        raise Http404(_("No trip has this id."))
    return render(request, "tracking/trip_status.html", _status_context(request, trip))


@login_required
@never_cache
@require_GET
def pnr_live(request, pnr: str):
    """`/bookings/{pnr}/live/`: the PNR's trip on the live map, its boarding and alighting
    stops marked; 404 for anyone else's PNR, 403 when none of its tickets is CNF or RAC."""
    try:
        found = pnr_get_for_user(request.user, pnr)
    except Pnr.DoesNotExist:
        raise Http404(_("You have no PNR with this number.")) from None
    trip = _trip_or_404(found.trip_id)
    if not trip_watchable_by(request.user, trip):
        raise PermissionDenied(_("None of this PNR's tickets is confirmed or RAC."))
    return render(request, "tracking/trip_status.html", _status_context(request, trip, pnr=found))


# --- The driver's page ------------------------------------------------------------------------


def _driver_required(request) -> None:
    if request.user.role != Role.DRIVER:
        raise PermissionDenied(_("This page is for drivers."))


def _todays(trips, now: datetime) -> list[Trip]:
    """Trips under way or boarding, and those leaving today or that arrived within 12 hours."""
    today = []
    for trip in trips:
        first = min(trip.route.stops.all(), key=lambda stop: stop.sequence).station
        local_day = now.astimezone(first.tzinfo).date()
        if trip.status in RUNNING or trip.departure_at.astimezone(first.tzinfo).date() == local_day:
            today.append(trip)
    return today


@login_required
@never_cache
@require_GET
def driver_home(request):
    """`/driver/`: the signed-in driver's trips today with their status and actions (open
    boarding, start, complete), sharing the phone's position and the ticket scanner."""
    _driver_required(request)
    now = timezone.now()
    trips = _todays(driver_trips(request.user, now=now), now)
    return render(
        request,
        "tracking/driver.html",
        {
            "trips": trips,
            "running": [trip for trip in trips if trip.status in RUNNING],
            "scan_url": reverse("driver-scan"),
        },
    )


_ACTIONS = {
    "boarding": (TripStatus.BOARDING, ()),
    "start": (TripStatus.DEPARTED, (TripStatus.BOARDING,)),
    "complete": (TripStatus.ARRIVED, ()),
}


@login_required
@require_POST
def driver_trip_action(request, pk: int, action: str):
    """Open boarding, start or complete one of the driver's trips through fleet's
    `trip_advance`, as the driver API does; the refusal, if any, shown on the page."""
    _driver_required(request)
    if action not in _ACTIONS:
        raise Http404
    try:
        trip = driver_trip_get(request.user, pk)
    except Trip.DoesNotExist:
        raise Http404(_("You are not assigned to a trip with this id.")) from None
    to_status, via = _ACTIONS[action]
    try:
        trip_advance(trip=trip, to_status=to_status, via=via, by=request.user)
    except FleetError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(trip)s is now %(status)s.")
            % {"trip": trip.route.number, "status": TripStatus(to_status).label},
        )
    return redirect("tracking:driver")
