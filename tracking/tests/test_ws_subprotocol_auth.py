"""The access token travels in the Sec-WebSocket-Protocol header (not in the address, which
access logs keep): the client offers `ttms.v1` and `ttms.bearer.<token>`, the server
accepts `ttms.v1` and never echoes the token."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from tracking.progress import public_status
from tracking.store import position_store
from ttms.asgi import application

from .world import holder, tracked_trip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def trip():
    return tracked_trip()


def _path(trip) -> str:
    return f"/ws/trips/{trip.pk}/positions/"


def _protocols(user=None, token: str | None = None) -> list[str]:
    token = token if token is not None else str(AccessToken.for_user(user))
    return ["ttms.v1", f"ttms.bearer.{token}"]


async def _connect(path, subprotocols=None, headers=None):
    """(connected, subprotocol or close code, the handshake's whole answer as text). A
    handshake accepted and then closed at once (the refusal with a code) is not connected."""
    communicator = WebsocketCommunicator(
        application, path, headers=headers or [], subprotocols=subprotocols
    )
    try:
        connected, detail = await communicator.connect(timeout=5)
        if connected and not await communicator.receive_nothing(timeout=0.2):
            output = await communicator.receive_output(timeout=1)
            if output["type"] == "websocket.close":
                connected, detail = False, output["code"]
        return connected, detail, repr((detail, communicator.response_headers))
    finally:
        await communicator.disconnect()


def test_a_token_in_the_subprotocol_header_signs_in_and_only_ttms_v1_is_echoed(trip):
    protocols = _protocols(trip.driver)

    connected, subprotocol, answer = async_to_sync(_connect)(_path(trip), subprotocols=protocols)

    assert (connected, subprotocol) == (True, "ttms.v1")
    assert protocols[1][len("ttms.bearer.") :] not in answer


def test_a_driver_signed_in_by_the_header_publishes_to_a_subscriber(trip):
    passenger = holder(trip)
    path = _path(trip)

    async def exchange():
        sender = WebsocketCommunicator(application, path, subprotocols=_protocols(trip.driver))
        receiver = WebsocketCommunicator(application, path, subprotocols=_protocols(passenger))
        try:
            assert await sender.connect(timeout=5) == (True, "ttms.v1")
            assert await receiver.connect(timeout=5) == (True, "ttms.v1")
            await sender.send_json_to({"lat": 20.0, "lon": 78.25})
            return await receiver.receive_json_from(timeout=5)
        finally:
            await sender.disconnect()
            await receiver.disconnect()

    received = async_to_sync(exchange)()

    assert received == {
        "type": "position",
        "trip_id": trip.pk,
        "lat": 20.0,
        "lon": 78.25,
        "recorded_at": position_store().latest(trip.pk).as_message()["recorded_at"],
        "speed_kmh": None,
        "heading": None,
        "accuracy_m": None,
        "source": "driver",
        "vehicle_id": trip.vehicle_id,
        "status": public_status(position_store().status(trip.pk)),
    }


def test_a_bad_token_in_the_header_is_refused_even_with_a_session_cookie(client, trip):
    user = holder(trip)
    client.force_login(user)
    headers = [
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        (b"origin", b"http://testserver"),
    ]

    refused = async_to_sync(_connect)(
        _path(trip), subprotocols=_protocols(token="garbage"), headers=headers
    )

    assert refused[:2] == (False, 4401)


def test_the_token_without_ttms_v1_is_accepted_without_a_subprotocol(trip):
    token = str(AccessToken.for_user(trip.driver))

    connected, subprotocol, answer = async_to_sync(_connect)(
        _path(trip), subprotocols=[f"ttms.bearer.{token}"]
    )

    assert (connected, subprotocol) == (True, None)
    assert token not in answer


def test_ttms_v1_alone_without_a_token_or_session_is_refused(trip):
    assert async_to_sync(_connect)(_path(trip), subprotocols=["ttms.v1"])[:2] == (False, 4401)


def test_the_query_string_token_still_works_and_ttms_v1_is_echoed_when_offered(trip):
    token = str(AccessToken.for_user(trip.driver))
    path = _path(trip)

    plain = async_to_sync(_connect)(f"{path}?token={token}")
    offered = async_to_sync(_connect)(f"{path}?token={token}", subprotocols=["ttms.v1"])

    assert plain[:2] == (True, None)
    assert offered[:2] == (True, "ttms.v1")
