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
from booking.models import Pnr
from booking.sales.selectors.pnrs import pnr_get_for_user
from fleet.exceptions import FleetError
from fleet.models import Trip, TripStatus
from fleet.services import trip_advance
from ttms.accounts.models import Role

from .access import SIGN_IN, trip_access
from .selectors import RunningStatus, running_status_get

RUNNING = (TripStatus.BOARDING, TripStatus.DEPARTED)
# A scheduled trip is "today's" from this long before it leaves: its live map is offered.
LIVE_AHEAD = timedelta(hours=6)


def trip_is_live(trip: Trip, now: datetime | None = None) -> bool:
    """Boarding or under way, or leaving within LIVE_AHEAD: worth a live map."""
    now = now or timezone.now()
    if trip.status in RUNNING:
        return True
    return trip.status == TripStatus.SCHEDULED and trip.departure_at - LIVE_AHEAD <= now


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
    scheduled: datetime | None
    expected: datetime | None
    actual: datetime | None
    skipped: bool
    delay_seconds: int | None
    highlight: str = ""  # "board", "alight" or ""

    @property
    def delay_minutes(self) -> int | None:
        return None if self.delay_seconds is None else round(self.delay_seconds / 60)


def _highlight(sequence: int, board: int | None, alight: int | None) -> str:
    return "board" if sequence == board else "alight" if sequence == alight else ""


def _status_context(running: RunningStatus, *, pnr: Pnr | None = None) -> dict:
    trip = running.trip
    board = alight = None
    if pnr is not None:
        sequences = {stop.station.pk: stop.sequence for stop in running.stops}
        board, alight = sequences.get(pnr.origin_id), sequences.get(pnr.destination_id)
    stops = [
        StopRow(
            sequence=stop.sequence,
            code=stop.station.code,
            name=stop.station.name,
            zone=stop.station.time_zone,
            lat=stop.station.latitude,
            lon=stop.station.longitude,
            scheduled=stop.scheduled_arrival or stop.scheduled_departure,
            expected=stop.expected_arrival,
            actual=stop.actual_arrival or stop.actual_departure,
            skipped=stop.skipped,
            delay_seconds=stop.delay_seconds,
            highlight=_highlight(stop.sequence, board, alight),
        )
        for stop in running.stops
    ]
    vehicle, company = trip.vehicle, trip.route.company
    latest = None
    if running.fix is not None:
        latest = {**running.fix.as_message(), "status": running.status}
    return {
        "trip": trip,
        "route": trip.route,
        "company": company,
        "pnr": pnr,
        "stops": stops,
        "map_stops": [
            {
                "sequence": row.sequence,
                "code": row.code,
                "name": row.name,
                "lat": row.lat,
                "lon": row.lon,
                "highlight": row.highlight,
            }
            for row in stops
        ],
        "latest": latest,
        "delay_minutes": None
        if running.delay_seconds is None
        else round(running.delay_seconds / 60),
        "vehicle_kind": "bus" if (vehicle.kind if vehicle else company.kind) == "bus" else "train",
        "tile_url": settings.TTMS_MAP_TILE_URL,
        "ws_path": f"/ws/trips/{trip.pk}/positions/",
        "position_url": f"/api/v1/trips/{trip.pk}/position/",
    }


@never_cache
@require_GET
def trip_status(request, pk: int):
    """`/trips/{id}/status/`: the running status of a trip, for those the positions socket
    admits (`tracking.access.trip_access`); anyone else signed in gets a 404, a visitor the
    sign-in page."""
    access = trip_access(request.user, pk)
    if access.refusal == SIGN_IN:
        return redirect(f"{reverse('accounts:login')}?next={request.path}")
    if access.role is None:
        raise Http404(_("No trip has this id."))
    running = running_status_get(trip_id=pk)
    return render(request, "tracking/trip_status.html", _status_context(running))


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
    if trip_access(request.user, found.trip_id).role is None:
        raise PermissionDenied(_("None of this PNR's tickets is confirmed or RAC."))
    running = running_status_get(trip_id=found.trip_id)
    return render(request, "tracking/trip_status.html", _status_context(running, pnr=found))


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
