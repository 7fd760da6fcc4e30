"""GTFS-Realtime in (`import_gtfs_rt`) and out (`/gtfs-rt/*.pb`) on a small hand-built feed."""

import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from google.protobuf import json_format
from google.transit import gtfs_realtime_pb2
from rest_framework_simplejwt.tokens import AccessToken

from fleet.models import Trip, TripEvent, TripStatus, Vehicle
from fleet.tests.factories import (
    CompanyFactory,
    StationFactory,
    TripFactory,
    make_route,
    staff_user,
)
from tracking.gtfs_rt.read import feed_import
from tracking.store import position_store

pytestmark = pytest.mark.django_db

KIGALI = ZoneInfo("Africa/Kigali")
LEAVES = datetime(2030, 1, 7, 8, 0, tzinfo=KIGALI)
NOW = LEAVES + timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _empty_store():
    position_store().clear()
    yield
    position_store().clear()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def line():
    company = CompanyFactory(
        slug="avl-bus", name="AVL Bus", time_zone="Africa/Kigali", positions_public=True
    )
    a, b, c = (
        StationFactory(
            code=f"AVL-BUS:{code}", time_zone="Africa/Kigali", latitude=-1.95, longitude=lon
        )
        for code, lon in (("STOP_A", 30.00), ("STOP_B", 30.10), ("STOP_C", 30.20))
    )
    route = make_route(
        company,
        [(a, 0, None, 0), (b, 11, 20, 22), (c, 22, 40, None)],
        code="T100",
        number="5",
    )
    trip = TripFactory(
        route=route,
        service_date=date(2030, 1, 7),
        departure_at=LEAVES,
        arrival_at=LEAVES + timedelta(minutes=40),
    )
    return company, route, trip


def _feed(*entities, stamp=NOW) -> gtfs_realtime_pb2.FeedMessage:
    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    message.header.timestamp = int(stamp.timestamp())
    for index, (trip_id, route_id, vehicle_id, lat, lon) in enumerate(entities, start=1):
        entity = message.entity.add()
        entity.id = f"e{index}"
        vp = entity.vehicle
        if trip_id:
            vp.trip.trip_id = trip_id
        if route_id:
            vp.trip.route_id = route_id
        vp.vehicle.id = vehicle_id
        vp.position.latitude = lat
        vp.position.longitude = lon
        vp.position.bearing = 90
        vp.position.speed = 10.0
        vp.timestamp = int((stamp - timedelta(seconds=10)).timestamp())
    return message


ON_ROUTE = ("T100", "", "BUS-7", -1.95, 30.03)


def _write(tmp_path, message) -> str:
    path = tmp_path / "vehicle-positions.pb"
    path.write_bytes(message.SerializeToString())
    return str(path)


def test_import_publishes_matched_vehicle_and_counts_unknown_and_refused(
    line, frozen, tmp_path, capsys
):
    company, route, trip = line
    calls = [
        (stop.station, stop.distance_km, stop.arrival_offset, stop.departure_offset)
        for stop in route.stops.order_by("sequence")
    ]
    other = TripFactory(
        route=make_route(company, calls, code="T200"),
        service_date=date(2030, 1, 7),
        departure_at=LEAVES,
        arrival_at=LEAVES + timedelta(minutes=40),
    )
    feed = _feed(
        ON_ROUTE,
        ("NO-SUCH-TRIP", "", "BUS-8", -1.95, 30.1),
        ("T200", "", "BUS-9", 95, 30),
    )

    call_command("import_gtfs_rt", _write(tmp_path, feed), company=company.slug)

    assert capsys.readouterr().out.splitlines() == [
        "3 entities: 1 accepted, 1 refused, 1 unknown trip, 0 without a position",
        "  refused (invalid): 1",
        "1 scheduled trips moved to boarding",
    ]
    assert Trip.objects.get(pk=other.pk).status == TripStatus.SCHEDULED
    assert position_store().latest(other.pk) is None
    fix = position_store().latest(trip.pk)
    vehicle = Vehicle.objects.get(company=company, code="BUS-7")
    assert (fix.source, fix.vehicle_id) == ("feed", vehicle.pk)
    # GTFS-Realtime positions are 32-bit floats.
    assert (fix.lat, fix.lon) == (pytest.approx(-1.95, abs=1e-6), pytest.approx(30.03, abs=1e-6))
    assert fix.recorded_at == NOW.astimezone(UTC) - timedelta(seconds=10)
    assert fix.heading == 90.0
    assert fix.speed_kmh == pytest.approx(36.0)
    # The feed moves the trip to boarding (leaving the first stop then departs it, through
    # the trail task: inline when embedded, on the worker with services).
    boarding = TripEvent.objects.get(trip=trip, to_status=TripStatus.BOARDING)
    assert (boarding.from_status, boarding.by, boarding.reason) == (
        TripStatus.SCHEDULED,
        None,
        "The operator's GTFS-Realtime feed reports its vehicle.",
    )
    assert not Vehicle.objects.filter(code="BUS-8").exists()


def test_out_of_range_position_is_refused_as_invalid_and_nothing_stored(line, frozen):
    company, _route, trip = line

    result = feed_import(company=company, message=_feed(("T100", "", "BUS-9", 95, 30)))

    assert (result.accepted, dict(result.refused), result.unknown_trip) == (0, {"invalid": 1}, 0)
    assert position_store().latest(trip.pk) is None


def test_same_feed_read_twice_refuses_its_fixes_as_stale(line, frozen):
    company, _route, trip = line
    feed = _feed(ON_ROUTE)

    first = feed_import(company=company, message=feed)
    second = feed_import(company=company, message=feed)

    assert (first.accepted, dict(first.refused)) == (1, {})
    assert (second.accepted, dict(second.refused)) == (0, {"stale": 1})
    assert len(position_store().recent(trip.pk)) == 1


def test_vehicle_laying_over_before_its_named_run_is_refused_until_due(line):
    company, _route, trip = line
    early = LEAVES - timedelta(minutes=61)
    with time_machine.travel(early, tick=False):
        result = feed_import(company=company, message=_feed(ON_ROUTE, stamp=early))

    assert (result.accepted, result.refusals, result.matched, result.boarding) == (
        0,
        {"e1": "trip_not_running"},
        {"e1": trip.pk},
        0,
    )
    assert Trip.objects.get(pk=trip.pk).status == TripStatus.SCHEDULED
    assert position_store().latest(trip.pk) is None


def test_route_id_with_no_run_due_within_an_hour_is_an_unknown_trip(line):
    company, _route, trip = line
    early = LEAVES - timedelta(minutes=61)
    with time_machine.travel(early, tick=False):
        result = feed_import(
            company=company, message=_feed(("", "5", "BUS-7", -1.95, 30.03), stamp=early)
        )

    assert (result.accepted, dict(result.refused), result.unknown_trip) == (0, {}, 1)
    assert Trip.objects.get(pk=trip.pk).status == TripStatus.SCHEDULED
    assert not Vehicle.objects.filter(code="BUS-7").exists()


def test_run_named_by_start_date_and_time_but_not_due_is_refused_as_not_running(line):
    company, _route, trip = line
    early = LEAVES - timedelta(minutes=61)
    feed = _feed(ON_ROUTE, stamp=early)
    feed.entity[0].vehicle.trip.start_date = "20300107"
    feed.entity[0].vehicle.trip.start_time = "08:00:00"
    with time_machine.travel(early, tick=False):
        result = feed_import(company=company, message=feed)

    assert (result.accepted, dict(result.refused), result.matched) == (
        0,
        {"trip_not_running": 1},
        {"e1": trip.pk},
    )
    assert Trip.objects.get(pk=trip.pk).status == TripStatus.SCHEDULED
    assert position_store().latest(trip.pk) is None


def test_entity_naming_only_a_route_id_matches_the_running_trip_of_that_route_number(line, frozen):
    company, route, trip = line
    later = TripFactory(
        route=route,
        service_date=date(2030, 1, 7),
        departure_at=LEAVES + timedelta(minutes=30),
        arrival_at=LEAVES + timedelta(minutes=70),
    )

    result = feed_import(company=company, message=_feed(("", "5", "BUS-7", -1.95, 30.03)))

    assert result.accepted == 1
    assert result.matched == {"e1": trip.pk}
    assert position_store().latest(later.pk) is None


def test_unreadable_feed_is_refused_and_nothing_written(line, tmp_path):
    company, _route, _trip = line
    path = tmp_path / "garbage.pb"
    path.write_bytes(b"\xff\xfe not a protobuf")

    with pytest.raises(CommandError, match="Not a GTFS-Realtime feed"):
        call_command("import_gtfs_rt", str(path), company=company.slug)

    assert not Vehicle.objects.filter(company=company).exists()
    assert position_store().active_trip_ids() == []


def test_unknown_company_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No company with the slug 'nobody'"):
        call_command("import_gtfs_rt", _write(tmp_path, _feed()), company="nobody")


def _published(line):
    company, _route, trip = line
    result = feed_import(company=company, message=_feed(ON_ROUTE))
    assert result.accepted == 1
    return trip


def test_vehicle_positions_pb_carries_the_imported_vehicle_trip_and_position(line, frozen, client):
    trip = _published(line)

    response = client.get("/gtfs-rt/vehicle-positions.pb")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-protobuf"
    assert "max-age=5" in response["Cache-Control"]
    feed = gtfs_realtime_pb2.FeedMessage.FromString(response.content)
    assert feed.header.incrementality == gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    assert feed.header.timestamp == int(NOW.timestamp())
    [entity] = feed.entity
    vp = entity.vehicle
    assert entity.id == str(trip.pk)
    assert (vp.trip.trip_id, vp.trip.start_date, vp.trip.start_time) == (
        "T100",
        "20300107",
        "08:00:00",
    )
    assert (vp.vehicle.id, vp.vehicle.label, vp.vehicle.license_plate) == (
        "BUS-7",
        "BUS-7",
        "BUS-7",
    )
    assert vp.position.latitude == pytest.approx(-1.95, abs=1e-6)
    assert vp.position.longitude == pytest.approx(30.03, abs=1e-6)
    assert vp.position.bearing == 90.0
    assert vp.position.speed == pytest.approx(10.0)
    assert vp.timestamp == int(NOW.timestamp()) - 10
    # 3 km past the first stop, heading for the second.
    assert (vp.current_stop_sequence, vp.current_status) == (
        2,
        gtfs_realtime_pb2.VehiclePosition.IN_TRANSIT_TO,
    )


def test_trip_updates_pb_gives_each_stop_ahead_its_expected_time_and_delay(line, frozen, client):
    trip = _published(line)
    status = position_store().status(trip.pk)
    etas = {e["sequence"]: datetime.fromisoformat(e["eta"]) for e in status["etas"]}

    response = client.get("/gtfs-rt/trip-updates.pb")

    feed = gtfs_realtime_pb2.FeedMessage.FromString(response.content)
    [entity] = feed.entity
    update = entity.trip_update
    assert update.trip.trip_id == "T100"
    assert update.vehicle.id == "BUS-7"
    assert update.delay == status["delay_seconds"]
    assert [u.stop_sequence for u in update.stop_time_update] == sorted(etas)
    scheduled = {2: (20, 22), 3: (40, None)}
    ids = {2: "STOP_B", 3: "STOP_C"}
    for stu in update.stop_time_update:
        eta = etas[stu.stop_sequence]
        arrive, leave = scheduled[stu.stop_sequence]
        assert stu.stop_id == ids[stu.stop_sequence]
        assert stu.arrival.time == int(eta.timestamp())
        assert stu.arrival.delay == int((eta - LEAVES - timedelta(minutes=arrive)).total_seconds())
        if leave is None:
            assert not stu.HasField("departure")
        else:
            departs = max(
                eta + timedelta(minutes=leave - arrive), LEAVES + timedelta(minutes=leave)
            )
            assert stu.departure.time == int(departs.timestamp())
            assert stu.departure.delay == int(
                (departs - LEAVES - timedelta(minutes=leave)).total_seconds()
            )


def test_format_json_gives_the_same_feed_for_people(line, frozen, client):
    _published(line)
    binary = client.get("/gtfs-rt/vehicle-positions.pb").content

    response = client.get("/gtfs-rt/vehicle-positions.pb?format=json")

    assert response["Content-Type"] == "application/json"
    parsed = json_format.Parse(response.content, gtfs_realtime_pb2.FeedMessage())
    assert parsed == gtfs_realtime_pb2.FeedMessage.FromString(binary)
    assert response.json()["entity"][0]["vehicle"]["vehicle"]["id"] == "BUS-7"


def _ids(client, path="/gtfs-rt/vehicle-positions.pb") -> list[str]:
    response = client.get(path)
    assert response.status_code == 200
    return [e.id for e in gtfs_realtime_pb2.FeedMessage.FromString(response.content).entity]


def test_private_operator_feed_is_for_its_staff_only(line, frozen, client):
    company, _route, trip = line
    company.positions_public = False
    company.save(update_fields=["positions_public"])
    _published(line)
    other = CompanyFactory(slug="other-bus")

    assert _ids(client) == []
    assert client.get("/gtfs-rt/vehicle-positions.pb?company=avl-bus").status_code == 404
    client.force_login(staff_user(other))
    assert _ids(client) == []
    assert client.get("/gtfs-rt/trip-updates.pb?company=avl-bus").status_code == 404
    client.force_login(staff_user(company))
    assert _ids(client) == [str(trip.pk)]
    assert _ids(client, "/gtfs-rt/trip-updates.pb?company=avl-bus") == [str(trip.pk)]
    assert "private" in client.get("/gtfs-rt/vehicle-positions.pb")["Cache-Control"]


def test_company_filter_keeps_one_operators_trips(line, frozen, client):
    _published(line)
    CompanyFactory(slug="quiet-bus", positions_public=True)

    assert _ids(client, "/gtfs-rt/vehicle-positions.pb?company=quiet-bus") == []
    assert len(_ids(client, "/gtfs-rt/vehicle-positions.pb?company=avl-bus")) == 1
    assert client.get("/gtfs-rt/vehicle-positions.pb?company=nobody").status_code == 404


def test_staff_signed_in_by_jwt_sees_its_private_operators_feed(line, frozen, client):
    company, _route, trip = line
    company.positions_public = False
    company.save(update_fields=["positions_public"])
    _published(line)
    token = AccessToken.for_user(staff_user(company))

    response = client.get(
        "/gtfs-rt/vehicle-positions.pb?company=avl-bus", HTTP_AUTHORIZATION=f"Bearer {token}"
    )

    assert response.status_code == 200
    feed = gtfs_realtime_pb2.FeedMessage.FromString(response.content)
    assert [e.id for e in feed.entity] == [str(trip.pk)]


@pytest.fixture
def feed_server():
    """A local HTTP server answering every GET with `served["body"]`."""
    served = {"body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.end_headers()
            self.wfile.write(served["body"])

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/vehicle-positions.pb", served
    server.shutdown()
    server.server_close()


def test_import_reads_a_feed_from_an_http_url(line, feed_server, capsys):
    company, _route, trip = line
    url, served = feed_server
    served["body"] = _feed(ON_ROUTE).SerializeToString()

    with time_machine.travel(NOW, tick=False):
        call_command("import_gtfs_rt", url, company=company.slug)
        assert position_store().latest(trip.pk).vehicle_id == Vehicle.objects.get(code="BUS-7").pk

    assert capsys.readouterr().out.splitlines()[0] == (
        "1 entities: 1 accepted, 0 refused, 0 unknown trip, 0 without a position"
    )


def test_loop_reports_an_unreadable_read_and_takes_the_next(line, feed_server, capsys, monkeypatch):
    company, _route, trip = line
    url, served = feed_server
    served["body"] = b"\xff\xfe not a protobuf"
    sleeps = []

    def sleep(seconds):
        # Between reads the operator's system publishes a good feed; the second wait ends
        # the loop as Ctrl-C would.
        sleeps.append(seconds)
        served["body"] = _feed(ON_ROUTE).SerializeToString()
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("tracking.management.commands.import_gtfs_rt.time.sleep", sleep)
    with time_machine.travel(NOW, tick=False):
        call_command("import_gtfs_rt", url, company=company.slug, loop=15)
        assert position_store().latest(trip.pk) is not None

    captured = capsys.readouterr()
    assert sleeps == [15, 15]
    assert captured.err.startswith("Not a GTFS-Realtime feed")
    assert captured.out.splitlines()[0] == (
        "1 entities: 1 accepted, 0 refused, 0 unknown trip, 0 without a position"
    )
