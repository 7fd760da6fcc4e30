"""The positions WebSocket in process: who may connect, publish and watch, what is refused
and what reaches whom."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings

from fleet.models import Company, Trip, TripStatus
from tracking.models import PositionSample
from tracking.progress import public_status
from tracking.store import position_store
from ttms.asgi import application

from .world import LAT, LON0, world, ws_path

pytestmark = pytest.mark.django_db(transaction=True)


# How long a subscriber hearing nothing more has received all: Redis takes longer.
QUIET = 1.0 if settings.REDIS_URL else 0.3


def _at(seconds_ago: float = 0) -> datetime:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).replace(microsecond=0)


def _fix(lon: float = LON0, seconds_ago: float = 0, **extra) -> dict:
    return {"lat": LAT, "lon": lon, "recorded_at": _at(seconds_ago).isoformat(), **extra}


async def _open(path: str) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path)
    connected, _detail = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _refusal(path: str):
    """The close code and reason a refused handshake ends with."""
    communicator = WebsocketCommunicator(application, path)
    connected, detail = await communicator.connect(timeout=5)
    try:
        if not connected:
            return detail, None
        closed = await communicator.receive_output(timeout=5)
        return (
            (closed["code"], closed.get("reason"))
            if closed["type"] == "websocket.close"
            else closed
        )
    finally:
        await communicator.disconnect()


async def _publish(sender_user, subscriber_users, frames, trip_id):
    """Subscribers connect, the sender sends `frames` one by one; returns what the sender
    got for each frame, then what each subscriber received (all of it)."""
    sender = await _open(ws_path(trip_id, sender_user))
    subscribers = [await _open(ws_path(trip_id, user)) for user in subscriber_users]
    try:
        answers = []
        for frame in frames:
            await sender.send_json_to(frame)
            answers.append(await sender.receive_json_from(timeout=5))
        received = []
        for subscriber in subscribers:
            got = []
            while not await subscriber.receive_nothing(timeout=QUIET):
                got.append(await subscriber.receive_json_from(timeout=5))
            received.append(got)
        return answers, received
    finally:
        for communicator in [sender, *subscribers]:
            await communicator.disconnect()


def test_a_driver_fix_reaches_a_confirmed_and_an_rac_passenger_and_the_staff():
    w = world()
    frame = _fix(speed_kmh=48, accuracy_m=8)

    answers, received = async_to_sync(_publish)(
        w.driver, [w.cnf, w.rac, w.staff], [frame], w.trip.pk
    )

    status = public_status(position_store().status(w.trip.pk))
    expected = {
        "type": "position",
        "trip_id": w.trip.pk,
        "lat": LAT,
        "lon": LON0,
        "recorded_at": frame["recorded_at"].replace("Z", "+00:00"),
        "speed_kmh": 48.0,
        "heading": None,
        "accuracy_m": 8.0,
        "source": "driver",
        "vehicle_id": w.trip.vehicle_id,
        "status": status,
    }
    assert status["progress_m"] == 0.0
    assert answers == [expected]
    assert received == [[expected], [expected], [expected]]


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("other_driver", 4403),
        ("other_passenger", 4403),
        ("cancelled", 4403),
        ("waitlisted", 4403),
        ("stranger", 4403),
        (None, 4401),
    ],
)
def test_who_may_not_watch_is_refused_at_the_handshake_with_a_code_and_reason(who, code):
    w = world()
    user = getattr(w, who) if who else None

    closed_code, reason = async_to_sync(_refusal)(ws_path(w.trip.pk, user))

    assert closed_code == code
    assert (
        reason
        == {
            4401: "Sign in to follow this trip.",
            4403: "Only this trip's driver, passengers and staff follow it.",
        }[code]
    )


def test_a_trip_that_does_not_exist_is_closed_4404():
    w = world()

    assert async_to_sync(_refusal)(ws_path(w.trip.pk + 1000, w.driver)) == (
        4404,
        "There is no such trip.",
    )


def test_anyone_even_signed_out_watches_an_operator_whose_positions_are_public():
    w = world()
    Company.objects.filter(pk=w.trip.route.company_id).update(positions_public=True)

    answers, received = async_to_sync(_publish)(w.driver, [None, w.stranger], [_fix()], w.trip.pk)

    assert answers[0]["type"] == "position"
    assert received == [answers, answers]


def test_a_subscriber_sending_a_fix_is_answered_permission_denied_and_stays_connected():
    w = world()

    answers, received = async_to_sync(_publish)(
        w.cnf, [w.rac], [_fix(), {"type": "ping"}], w.trip.pk
    )

    assert answers == [
        {
            "type": "error",
            "code": "permission_denied",
            "message": "Only the trip's driver publishes its positions.",
            "fields": {},
        },
        {"type": "pong"},
    ]
    assert received == [[]]
    assert position_store().latest(w.trip.pk) is None


def test_the_driver_of_a_trip_not_boarding_or_running_is_refused_each_fix():
    w = world()
    Trip.objects.filter(pk=w.trip.pk).update(status=TripStatus.SCHEDULED)

    answers, received = async_to_sync(_publish)(w.driver, [w.cnf], [_fix()], w.trip.pk)

    assert [(a["type"], a["code"]) for a in answers] == [("error", "trip_not_running")]
    assert received == [[]]


def test_stale_future_and_impossible_speed_fixes_are_refused_and_never_broadcast():
    w = world()
    frames = [
        _fix(LON0, seconds_ago=60),
        _fix(LON0, seconds_ago=90),  # older than the last
        _fix(LON0, seconds_ago=60),  # as old as the last
        _fix(LON0, seconds_ago=-120),  # two minutes ahead
        _fix(LON0 + 0.1, seconds_ago=30),  # 10.45 km (less 50 m of GPS error) in 30 s
        {"lat": 95, "lon": 0},
    ]

    answers, received = async_to_sync(_publish)(w.driver, [w.cnf], frames, w.trip.pk)

    assert [a.get("code", a["type"]) for a in answers] == [
        "position",
        "stale",
        "stale",
        "in_future",
        "impossible_speed",
        "invalid",
    ]
    assert answers[4]["message"] == (
        "This fix is 1248 km/h from the last one; a train goes at most 200 km/h."
    )
    assert received == [[answers[0]]]
    assert position_store().latest(w.trip.pk).recorded_at.isoformat() == (frames[0]["recorded_at"])
    assert PositionSample.objects.filter(trip=w.trip).count() == 1


def test_a_sender_over_the_rate_limit_has_messages_dropped_not_the_connection(settings):
    settings.TTMS_WS_RATE_PER_SECOND = 0.001
    settings.TTMS_WS_RATE_BURST = 3
    w = world()

    answers, received = async_to_sync(_publish)(
        w.driver, [w.cnf], [{"type": "ping"}] * 3 + [_fix()] * 2, w.trip.pk
    )

    assert [a.get("code", a["type"]) for a in answers] == [
        "pong",
        "pong",
        "pong",
        "rate_limited",
        "rate_limited",
    ]
    assert answers[3]["message"] == (
        "Too many messages: at most 0.001 a second. This one was dropped."
    )
    assert received == [[]]


def test_the_server_pings_an_idle_client(settings):
    settings.TTMS_WS_PING_SECONDS = 0.2
    w = world()

    async def idle():
        communicator = await _open(ws_path(w.trip.pk, w.cnf))
        try:
            return [await communicator.receive_json_from(timeout=2) for _ in range(2)]
        finally:
            await communicator.disconnect()

    assert async_to_sync(idle)() == [{"type": "ping"}, {"type": "ping"}]


def test_a_subscriber_connecting_later_first_gets_the_latest_position():
    w = world()
    answers, _ = async_to_sync(_publish)(w.driver, [], [_fix()], w.trip.pk)

    async def late():
        communicator = await _open(ws_path(w.trip.pk, w.rac))
        try:
            return await communicator.receive_json_from(timeout=5)
        finally:
            await communicator.disconnect()

    assert async_to_sync(late)() == answers[0]


def test_anonymous_and_bad_token_connections_are_closed_4401():
    w = world()
    path = ws_path(w.trip.pk)

    assert async_to_sync(_refusal)(path)[0] == 4401
    assert async_to_sync(_refusal)(f"{path}?token=garbage")[0] == 4401


def test_session_cookie_counts_only_from_an_allowed_origin(client):
    w = world()
    client.force_login(w.cnf)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def connect(origin: bytes):
        communicator = WebsocketCommunicator(
            application, ws_path(w.trip.pk), headers=[(b"cookie", cookie), (b"origin", origin)]
        )
        await communicator.connect(timeout=5)
        try:
            return await communicator.receive_nothing(timeout=0.3)  # not closed: watching
        finally:
            await communicator.disconnect()

    assert async_to_sync(connect)(b"http://testserver") is True
    assert async_to_sync(connect)(b"https://evil.example.net") is False


@pytest.mark.services
def test_a_fix_travels_through_the_real_redis_channel_layer():
    assert type(get_channel_layer()).__name__ == "RedisPubSubChannelLayer"
    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    # Reads may wait longer than redis-py 8's default 5 s socket timeout.
    assert (host["address"], host["socket_timeout"]) == (settings.REDIS_URL, 15)
    w = world()

    answers, received = async_to_sync(_publish)(w.driver, [w.cnf], [_fix()], w.trip.pk)

    assert answers[0]["type"] == "position"
    assert received == [answers]


@pytest.mark.services
def test_the_channel_layer_delivers_after_more_than_5_s_of_silence():
    """redis-py 8's default socket_timeout (5 s) would cut a subscription's read; the
    configured layer is still subscribed after 7 s of silence and delivers the next
    message."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    async def wait_idle():
        config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
        layer = RedisPubSubChannelLayer(hosts=config["hosts"], prefix="ttms:test-idle:")
        channel = await layer.new_channel()
        await layer.group_add("idle", channel)
        try:
            waiting = asyncio.ensure_future(layer.receive(channel))
            await asyncio.sleep(7)
            idle = "still waiting" if not waiting.done() else "ended"
            await layer.group_send("idle", {"type": "position.message", "n": 1})
            return idle, await asyncio.wait_for(waiting, 5)
        finally:
            await layer.flush()

    assert async_to_sync(wait_idle)() == (
        "still waiting",
        {"type": "position.message", "n": 1},
    )
