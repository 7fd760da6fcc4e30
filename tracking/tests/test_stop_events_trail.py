"""A recorded trail on a 4-stop route, with GPS jitter, a GPS gap and a stop passed without
stopping: progress, delay, ETAs and stop events, and the trip's status moving with them."""

import math
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from fleet.models import TripEvent, TripStatus
from fleet.tests.factories import CompanyFactory, StationFactory, TripFactory, make_route
from tracking.fixes import Fix
from tracking.models import StopVisit
from tracking.progress import progress_advance, route_geometry
from tracking.services.publish import fix_publish, trip_info_get
from tracking.services.stops import stop_events_record
from tracking.store import position_store
from ttms.celery import app as celery_app

pytestmark = pytest.mark.django_db

T0 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
DEGREE_M = math.radians(1) * 6_371_008.8
# GPS error (metres along the road) cycled over the fixes taken at a stop.
JITTER = [0.0, -25.0, 15.0, -10.0, 20.0, -30.0]


def at(minutes: float, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


@pytest.fixture
def geofence(settings):
    settings.TTMS_GEOFENCE_RADIUS_M = 150
    settings.TTMS_GEOFENCE_DWELL_SECONDS = 20


@pytest.fixture
def trip(geofence):
    """Four stops 0.09° (10.0 km) apart due north of Kigali's latitude: 10 minutes' run
    between stops, 2 minutes at each; leaves at 08:00 UTC, due at the last at 08:34."""
    position_store().clear()
    company = CompanyFactory()
    stations = [
        StationFactory(latitude=-2.0 + 0.09 * i, longitude=30.0, time_zone="Africa/Kigali")
        for i in range(4)
    ]
    route = make_route(
        company,
        [
            (stations[0], Decimal("0"), None, 0),
            (stations[1], Decimal("10"), 10, 12),
            (stations[2], Decimal("20"), 22, 24),
            (stations[3], Decimal("30"), 34, None),
        ],
    )
    return TripFactory(
        route=route,
        service_date=date(2030, 1, 7),
        departure_at=T0,
        arrival_at=at(34),
        status=TripStatus.BOARDING,
    )


def recorded_trail(geometry):
    """(seconds after 08:00, metres along the route, metres of error) every 10 seconds.

    At the first stop from 07:55 and leaves 10 minutes late (08:10); runs at the timetable's
    pace (10.0 km in 10 minutes) to the second stop, one fix jumping 167 m back on the
    way; 2 minutes at the second stop (08:20-08:22); passes the third at speed (08:32) and
    loses GPS from 08:33:20 to 08:38:20; 1 minute at the last stop from 08:42."""
    leg = geometry.stop_m[1]
    speed = leg / 600
    trail = []
    for t in range(-300, 2581, 10):
        if t <= 600:
            metres, error = 0.0, JITTER[(t // 10) % len(JITTER)]
        elif t <= 1200:
            metres, error = (t - 600) * speed, (-166.8 if t == 1100 else 0.0)
        elif t <= 1320:
            metres, error = leg, JITTER[(t // 10) % len(JITTER)]
        elif t <= 2520:
            metres, error = leg + (t - 1320) * speed, 0.0
            if 2000 < t < 2300:
                continue  # the GPS gap
        else:
            metres, error = geometry.stop_m[3], JITTER[(t // 10) % len(JITTER)]
        trail.append((t, metres, error))
    return trail


def fix_at(geometry, trip_id: int, seconds: int, metres: float) -> Fix:
    lat, lon = geometry.point_at(metres)
    # A few metres across the road too.
    lon += 8.0 / (DEGREE_M * math.cos(math.radians(lat))) * (1 if seconds % 20 else -1)
    return Fix(trip_id=trip_id, lat=lat, lon=lon, recorded_at=T0 + timedelta(seconds=seconds))


def run(trip, *, until: int | None = None):
    """Feed the trail (up to `until` seconds after 08:00) through progress, keeping each fix
    and status in the position store and recording stop events as the publish path does;
    returns each fix's status and the trip's status after each fix's events."""
    info = trip_info_get(trip.pk)
    geometry = route_geometry(info.stops)
    store = position_store()
    statuses, trip_statuses, events = {}, [], []
    status = None
    for seconds, metres, error in recorded_trail(geometry):
        if until is not None and seconds > until:
            break
        fix = fix_at(geometry, trip.pk, seconds, max(0.0, metres + error))
        status = progress_advance(
            trip=info, fix=fix, previous=status, now=fix.recorded_at + timedelta(seconds=1)
        )
        store.fix_store(fix, sample_every_s=30)
        store.status_store(trip.pk, status)
        statuses[seconds] = status
        if status["events"]:
            events.extend(status["events"])
            stop_events_record(trip_id=trip.pk, events=status["events"])
            trip.refresh_from_db()
            trip_statuses.append(trip.status)
    return statuses, trip_statuses, events


def test_a_jittery_trail_with_a_gap_and_a_stop_passed_gives_each_stop_one_event_in_order(trip):
    statuses, _trip_statuses, events = run(trip)

    progress = [s["progress_m"] for s in statuses.values()]
    assert progress == sorted(progress)
    assert events == [
        {"kind": "arrived", "sequence": 1, "at": at(-5).isoformat()},
        {"kind": "departed", "sequence": 1, "at": at(10, 10).isoformat()},
        {"kind": "arrived", "sequence": 2, "at": at(20).isoformat()},
        {"kind": "departed", "sequence": 2, "at": at(22, 10).isoformat()},
        {"kind": "skipped", "sequence": 3, "at": at(32, 10).isoformat()},
        {"kind": "arrived", "sequence": 4, "at": at(42).isoformat()},
    ]
    visits = [
        (v.sequence, v.arrived_at, v.departed_at, v.skipped)
        for v in StopVisit.objects.filter(trip=trip).order_by("sequence")
    ]
    assert visits == [
        (1, at(-5), at(10, 10), False),
        (2, at(20), at(22, 10), False),
        (3, None, None, True),
        (4, at(42), None, False),
    ]


def test_the_trip_departs_on_leaving_its_first_stop_and_arrives_at_its_last(trip):
    _statuses, trip_statuses, _events = run(trip)

    assert trip_statuses == [
        TripStatus.BOARDING,  # arrived at the first stop
        TripStatus.DEPARTED,  # left it
        TripStatus.DEPARTED,
        TripStatus.DEPARTED,
        TripStatus.DEPARTED,
        TripStatus.ARRIVED,
    ]
    moves = list(
        TripEvent.objects.filter(trip=trip, action="status")
        .order_by("pk")
        .values_list("from_status", "to_status")
    )
    assert moves == [
        (TripStatus.BOARDING, TripStatus.DEPARTED),
        (TripStatus.DEPARTED, TripStatus.ARRIVED),
    ]


def test_ten_minutes_late_the_delay_and_etas_are_the_timetable_shifted_by_ten_minutes(trip):
    statuses, _trip_statuses, _events = run(trip)

    halfway = statuses[900]  # 08:15, 5.0 km out, due there at 08:05
    assert halfway["delay_seconds"] == 600
    assert halfway["last_stop_sequence"] == 1
    assert halfway["next_stop_sequence"] == 2
    assert halfway["distance_to_next_m"] == 5003.8
    assert halfway["etas"] == [
        {"sequence": 2, "eta": at(20).isoformat()},
        {"sequence": 3, "eta": at(32).isoformat()},
        {"sequence": 4, "eta": at(44).isoformat()},
    ]
    waiting = statuses[0]  # at the first stop at 08:00, due to leave now
    assert waiting["delay_seconds"] == 0
    assert waiting["at_stop"] == 1
    assert [e["eta"] for e in waiting["etas"]] == [
        at(10).isoformat(),
        at(22).isoformat(),
        at(34).isoformat(),
    ]
    at_second = statuses[1260]  # at the second stop, 10 minutes late
    assert at_second["at_stop"] == 2
    assert at_second["delay_seconds"] == 540  # due out at 08:12; 08:21 now
    arrived = statuses[2580]
    assert arrived["last_stop_sequence"] == 4
    assert arrived["next_stop_sequence"] is None
    assert arrived["etas"] == []


def test_replaying_the_stop_events_writes_nothing_new(trip):
    _statuses, _trip_statuses, events = run(trip)
    visits_before = list(StopVisit.objects.filter(trip=trip).order_by("sequence").values())
    trip_events_before = TripEvent.objects.filter(trip=trip).count()

    stop_events_record(trip_id=trip.pk, events=events)
    stop_events_record(trip_id=trip.pk, events=list(reversed(events)))

    assert list(StopVisit.objects.filter(trip=trip).order_by("sequence").values()) == (
        visits_before
    )
    assert TripEvent.objects.filter(trip=trip).count() == trip_events_before
    trip.refresh_from_db()
    assert trip.status == TripStatus.ARRIVED


def test_the_publish_path_records_the_same_stop_visits_and_statuses(trip, monkeypatch):
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # as when embedded
    info = trip_info_get(trip.pk)
    geometry = route_geometry(info.stops)

    for seconds, metres, error in recorded_trail(geometry):
        fix = fix_at(geometry, trip.pk, seconds, max(0.0, metres + error))
        fix_publish(trip=info, fix=fix, now=fix.recorded_at + timedelta(seconds=1))

    visits = [
        (v.sequence, v.arrived_at, v.departed_at, v.skipped)
        for v in StopVisit.objects.filter(trip=trip).order_by("sequence")
    ]
    assert visits == [
        (1, at(-5), at(10, 10), False),
        (2, at(20), at(22, 10), False),
        (3, None, None, True),
        (4, at(42), None, False),
    ]
    trip.refresh_from_db()
    assert trip.status == TripStatus.ARRIVED
    assert position_store().status(trip.pk)["last_stop_sequence"] == 4
