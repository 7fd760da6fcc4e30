"""The access token travels in the Sec-WebSocket-Protocol header (not in the address, which
access logs keep): the client offers `ttms.v1` and `ttms.bearer.<token>`, the server
accepts `ttms.v1` and never echoes the token."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/trips/7/positions/"


def _protocols(user=None, token: str | None = None) -> list[str]:
    token = token if token is not None else str(AccessToken.for_user(user))
    return ["ttms.v1", f"ttms.bearer.{token}"]


async def _connect(path=PATH, subprotocols=None, headers=None):
    """(connected, subprotocol or close code, the handshake's whole answer as text)."""
    communicator = WebsocketCommunicator(
        application, path, headers=headers or [], subprotocols=subprotocols
    )
    try:
        connected, detail = await communicator.connect(timeout=5)
        return connected, detail, repr((detail, communicator.response_headers))
    finally:
        await communicator.disconnect()


def test_a_token_in_the_subprotocol_header_signs_in_and_only_ttms_v1_is_echoed():
    driver = UserFactory(role=Role.DRIVER)
    protocols = _protocols(driver)

    connected, subprotocol, answer = async_to_sync(_connect)(subprotocols=protocols)

    assert (connected, subprotocol) == (True, "ttms.v1")
    assert protocols[1][len("ttms.bearer.") :] not in answer


def test_a_driver_signed_in_by_the_header_publishes_to_a_subscriber():
    driver = UserFactory(role=Role.DRIVER)
    passenger = UserFactory(role=Role.PASSENGER)

    async def exchange():
        sender = WebsocketCommunicator(application, PATH, subprotocols=_protocols(driver))
        receiver = WebsocketCommunicator(application, PATH, subprotocols=_protocols(passenger))
        try:
            assert await sender.connect(timeout=5) == (True, "ttms.v1")
            assert await receiver.connect(timeout=5) == (True, "ttms.v1")
            await sender.send_json_to(
                {"lat": 12.5, "lon": 77.25, "recorded_at": "2026-11-21T10:00:00Z"}
            )
            return await receiver.receive_json_from(timeout=5)
        finally:
            await sender.disconnect()
            await receiver.disconnect()

    assert async_to_sync(exchange)() == {
        "type": "position",
        "trip_id": 7,
        "lat": 12.5,
        "lon": 77.25,
        "recorded_at": "2026-11-21T10:00:00+00:00",
        "speed_kmh": None,
        "heading": None,
    }


def test_a_bad_token_in_the_header_is_refused_even_with_a_session_cookie(client):
    user = UserFactory(role=Role.PASSENGER)
    client.force_login(user)
    headers = [
        (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()),
        (b"origin", b"http://testserver"),
    ]

    refused = async_to_sync(_connect)(subprotocols=_protocols(token="garbage"), headers=headers)

    assert refused[:2] == (False, 4401)


def test_the_token_without_ttms_v1_is_accepted_without_a_subprotocol():
    driver = UserFactory(role=Role.DRIVER)
    token = str(AccessToken.for_user(driver))

    connected, subprotocol, answer = async_to_sync(_connect)(subprotocols=[f"ttms.bearer.{token}"])

    assert (connected, subprotocol) == (True, None)
    assert token not in answer


def test_ttms_v1_alone_without_a_token_or_session_is_refused():
    assert async_to_sync(_connect)(subprotocols=["ttms.v1"])[:2] == (False, 4401)


def test_the_query_string_token_still_works_and_ttms_v1_is_echoed_when_offered():
    driver = UserFactory(role=Role.DRIVER)
    token = str(AccessToken.for_user(driver))

    plain = async_to_sync(_connect)(path=f"{PATH}?token={token}")
    offered = async_to_sync(_connect)(path=f"{PATH}?token={token}", subprotocols=["ttms.v1"])

    assert plain[:2] == (True, None)
    assert offered[:2] == (True, "ttms.v1")
