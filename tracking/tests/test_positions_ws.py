import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def _token(user) -> str:
    return str(AccessToken.for_user(user))


def _path(trip_id: int, user=None) -> str:
    query = f"?token={_token(user)}" if user else ""
    return f"/ws/trips/{trip_id}/positions/{query}"


async def _exchange(driver, passenger, message: dict, trip_id: int = 7):
    """Both connect, the driver sends one message; returns what each of them receives."""
    sender = WebsocketCommunicator(application, _path(trip_id, driver))
    receiver = WebsocketCommunicator(application, _path(trip_id, passenger))
    try:
        assert (await sender.connect(timeout=5))[0]
        assert (await receiver.connect(timeout=5))[0]
        await sender.send_json_to(message)
        to_sender = await sender.receive_json_from(timeout=5)
        to_receiver = (
            await receiver.receive_json_from(timeout=5) if to_sender["type"] == "position" else None
        )
        return to_sender, to_receiver, await receiver.receive_nothing(timeout=0.2)
    finally:
        await sender.disconnect()
        await receiver.disconnect()


def _exchange_sync(*args, **kwargs):
    return async_to_sync(_exchange)(*args, **kwargs)


def test_a_driver_position_reaches_a_passenger_on_the_same_trip():
    driver = UserFactory(role=Role.DRIVER)
    passenger = UserFactory(role=Role.PASSENGER)

    to_driver, to_passenger, nothing_more = _exchange_sync(
        driver,
        passenger,
        {"lat": 12.9716, "lon": 77.5946, "speed_kmh": 48, "recorded_at": "2026-11-21T10:00:00Z"},
    )

    expected = {
        "type": "position",
        "trip_id": 7,
        "lat": 12.9716,
        "lon": 77.5946,
        "recorded_at": "2026-11-21T10:00:00+00:00",
        "speed_kmh": 48.0,
        "heading": None,
    }
    assert to_passenger == expected
    assert to_driver == expected
    assert nothing_more


@pytest.mark.services
def test_two_clients_exchange_a_message_through_the_real_redis_channel_layer():
    assert type(get_channel_layer()).__name__ == "RedisChannelLayer"
    assert settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"] == [settings.REDIS_URL]
    driver = UserFactory(role=Role.DRIVER)
    passenger = UserFactory(role=Role.PASSENGER)

    _, to_passenger, _ = _exchange_sync(driver, passenger, {"lat": 19.07, "lon": 72.87}, trip_id=99)

    assert (to_passenger["type"], to_passenger["trip_id"], to_passenger["lat"]) == (
        "position",
        99,
        19.07,
    )


def test_a_passenger_cannot_publish_and_nobody_receives_anything():
    passenger = UserFactory(role=Role.PASSENGER)
    other = UserFactory(role=Role.PASSENGER)

    to_sender, to_other, nothing_more = _exchange_sync(passenger, other, {"lat": 1, "lon": 2})

    assert to_sender == {
        "type": "error",
        "code": "permission_denied",
        "message": "Only drivers publish positions.",
        "fields": {},
    }
    assert to_other is None
    assert nothing_more


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"lat": 91, "lon": 0}, "lat"),
        ({"lat": 0}, "lon"),
        ({"lat": "x", "lon": 0}, "lat"),
        ({"lat": 0, "lon": 0, "recorded_at": "yesterday"}, "recorded_at"),
    ],
)
def test_an_invalid_position_is_refused_with_the_field(message, field):
    driver = UserFactory(role=Role.DRIVER)
    passenger = UserFactory(role=Role.PASSENGER)

    to_sender, to_other, nothing_more = _exchange_sync(driver, passenger, message)

    assert to_sender["type"] == "error"
    assert to_sender["code"] == "invalid"
    assert list(to_sender["fields"]) == [field]
    assert to_other is None and nothing_more


def test_anonymous_and_bad_token_connections_are_closed():
    async def connect(path, headers=None):
        communicator = WebsocketCommunicator(application, path, headers=headers or [])
        connected, code = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected, code

    assert async_to_sync(connect)("/ws/trips/1/positions/") == (False, 4401)
    assert async_to_sync(connect)("/ws/trips/1/positions/?token=garbage") == (False, 4401)


def test_session_cookie_counts_only_from_an_allowed_origin(client):
    user = UserFactory(role=Role.PASSENGER)
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def connect(origin: bytes):
        communicator = WebsocketCommunicator(
            application,
            "/ws/trips/1/positions/",
            headers=[(b"cookie", cookie), (b"origin", origin)],
        )
        connected, _ = await communicator.connect(timeout=5)
        await communicator.disconnect()
        return connected

    assert async_to_sync(connect)(b"http://testserver") is True
    assert async_to_sync(connect)(b"https://evil.example.net") is False
