"""`simulate_trips --once` publishes through the real publish path (embedded store)."""

import asyncio
import json
import random
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management import call_command
from django.utils import timezone

from fleet.models import TripEvent, TripStatus, Vehicle
from fleet.tests.factories import (
    CompanyFactory,
    StationFactory,
    TripFactory,
    VehicleFactory,
    make_route,
)
from tracking.services.publish import trip_group, trip_info_get
from tracking.services.simulation import simulation_lifespan
from tracking.simulator import plan_draw, waypoints_from_stops
from tracking.store import position_store

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_store():
    position_store().clear()
    yield
    position_store().clear()


def _trip(*, departed_minutes_ago: int, status=TripStatus.SCHEDULED):
    company = CompanyFactory(slug="volcano", time_zone="Africa/Kigali")
    # Kigali, Musanze, Rubavu: 80 minutes, a 10-minute halt, 70 minutes.
    stations = [
        StationFactory(code="KGL", latitude=-1.9441, longitude=30.0619, time_zone="Africa/Kigali"),
        StationFactory(code="MUS", latitude=-1.4996, longitude=29.6347, time_zone="Africa/Kigali"),
        StationFactory(code="RUB", latitude=-1.6775, longitude=29.2564, time_zone="Africa/Kigali"),
    ]
    route = make_route(
        company,
        [(stations[0], 0, None, 0), (stations[1], 95, 80, 90), (stations[2], 160, 160, None)],
    )
    departure = timezone.now() - timedelta(minutes=departed_minutes_ago)
    return TripFactory(
        route=route,
        departure_at=departure,
        arrival_at=departure + timedelta(minutes=160),
        vehicle=VehicleFactory(company=company, kind=Vehicle.Kind.BUS),
        status=status,
    )


def test_once_drives_a_due_trip_and_its_fix_is_accepted_where_the_plan_puts_it():
    trip = _trip(departed_minutes_ago=30)

    call_command("simulate_trips", "--once", "--seed", "7", "--noise-m", "0", verbosity=0)

    trip.refresh_from_db()
    assert trip.status == TripStatus.DEPARTED
    assert list(
        TripEvent.objects.filter(trip=trip, action="status").values_list("from_status", "to_status")
    ) == [("scheduled", "boarding"), ("boarding", "departed")]
    fix = position_store().latest(trip.pk)
    assert fix is not None
    assert (fix.source, fix.vehicle_id, fix.accuracy_m) == ("simulator", trip.vehicle_id, None)
    info = trip_info_get(trip.pk)
    plan = plan_draw(
        waypoints=waypoints_from_stops(info.stops),
        departure_at=info.departure_at,
        delay_max_s=600,
        rng=random.Random(f"7:{trip.pk}"),
    )
    expected = plan.state_at(fix.recorded_at)
    assert (fix.lat, fix.lon) == (round(expected.lat, 7), round(expected.lon, 7))
    assert fix.speed_kmh == round(expected.speed_kmh, 1)
    assert position_store().status(trip.pk) is not None


def test_once_leaves_alone_trips_not_due_and_other_operators_trips():
    later = _trip(departed_minutes_ago=-60)

    call_command("simulate_trips", "--once", "--company", "volcano", verbosity=0)
    call_command("simulate_trips", "--once", "--company", "elsewhere", verbosity=0)

    later.refresh_from_db()
    assert later.status == TripStatus.SCHEDULED
    assert position_store().latest(later.pk) is None
    assert not TripEvent.objects.filter(trip=later).exists()


def test_once_only_opens_boarding_before_the_departure():
    trip = _trip(departed_minutes_ago=-10)

    call_command("simulate_trips", "--once", "--seed", "1", "--noise-m", "0", verbosity=0)

    trip.refresh_from_db()
    assert trip.status == TripStatus.BOARDING
    fix = position_store().latest(trip.pk)
    assert (fix.lat, fix.lon, fix.speed_kmh) == (-1.9441, 30.0619, 0.0)


@pytest.mark.django_db(transaction=True)
def test_the_servers_lifespan_runs_the_simulator_while_the_setting_is_on(settings):
    settings.TTMS_SIMULATOR = True
    trip = _trip(departed_minutes_ago=30)

    async def serve() -> tuple[dict, list]:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        await layer.group_add(trip_group(trip.pk), channel)
        inbox, sent = asyncio.Queue(), []

        async def send(message):
            sent.append(message)

        await inbox.put({"type": "lifespan.startup"})
        server = asyncio.create_task(simulation_lifespan({"type": "lifespan"}, inbox.get, send))
        event = await asyncio.wait_for(layer.receive(channel), 20)
        await inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(server, 20)
        return json.loads(event["text"]), sent

    message, sent = async_to_sync(serve)()

    assert (message["type"], message["trip_id"], message["source"]) == (
        "position",
        trip.pk,
        "simulator",
    )
    assert sent == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]


def test_the_servers_lifespan_runs_no_simulator_while_the_setting_is_off(settings):
    settings.TTMS_SIMULATOR = False
    trip = _trip(departed_minutes_ago=30)

    async def serve() -> list:
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
        sent = []

        async def receive():
            return next(messages)

        async def send(message):
            sent.append(message)

        await simulation_lifespan({"type": "lifespan"}, receive, send)
        return sent

    assert async_to_sync(serve)() == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]
    trip.refresh_from_db()
    assert trip.status == TripStatus.SCHEDULED
    assert position_store().latest(trip.pk) is None
