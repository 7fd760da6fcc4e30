"""The positions WebSocket never dies on bad input: each bad frame is answered, to its sender
only, with an error frame {"type": "error", "code", "message", "fields"}, and the same
connection then publishes a good fix."""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from rest_framework_simplejwt.tokens import AccessToken

from fleet.models import Trip
from tracking import consumers
from tracking.progress import public_status
from tracking.store import position_store
from ttms.asgi import application

from .world import holder, tracked_trip

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = {"lat": 20.0, "lon": 78.25}


def _position(trip, recorded_at: str) -> dict:
    return {
        "type": "position",
        "trip_id": trip.pk,
        "lat": 20.0,
        "lon": 78.25,
        "recorded_at": recorded_at,
        "speed_kmh": None,
        "heading": None,
        "accuracy_m": None,
        "source": "driver",
        "vehicle_id": trip.vehicle_id,
        "status": public_status(position_store().status(trip.pk)),
    }


NOT_JSON = {
    "type": "error",
    "code": "parse_error",
    "fields": {},
    "message": "Send each position as one JSON object in a text frame.",
}
TOO_DEEP = {
    "type": "error",
    "code": "parse_error",
    "fields": {},
    "message": "JSON nested deeper than 8 levels.",
}
TOO_LARGE = {
    "type": "error",
    "code": "too_large",
    "fields": {},
    "message": "A message is at most 8192 characters.",
}


def _invalid(field: str, message: str) -> dict:
    return {"type": "error", "code": "invalid", "message": message, "fields": {field: [message]}}


BAD_TIME = _invalid("recorded_at", "Use an ISO 8601 time with a UTC offset.")
NOT_A_NUMBER = _invalid("lat", "Must be a number.")
LAT_RANGE = _invalid("lat", "Must be between -90 and 90.")


def _frame(text: str) -> dict:
    return {"type": "websocket.receive", "text": text}


async def _answers(frames: list[dict], trip, passenger) -> tuple[list, dict, dict, bool]:
    """The trip's driver and a passenger; the driver sends `frames` then one good fix.
    Returns the driver's answer to each frame, what each receives for the good fix, and
    whether the passenger received nothing else."""
    driver = trip.driver
    path = f"/ws/trips/{trip.pk}/positions/"
    sender = WebsocketCommunicator(
        application, path, subprotocols=["ttms.v1", f"ttms.bearer.{AccessToken.for_user(driver)}"]
    )
    receiver = WebsocketCommunicator(
        application,
        path,
        subprotocols=["ttms.v1", f"ttms.bearer.{AccessToken.for_user(passenger)}"],
    )
    try:
        assert (await sender.connect(timeout=5))[0]
        assert (await receiver.connect(timeout=5))[0]
        answers = []
        for frame in frames:
            await sender.send_input(frame)
            answers.append(await sender.receive_json_from(timeout=5))
        await sender.send_json_to(GOOD)
        to_sender = await sender.receive_json_from(timeout=5)
        to_receiver = await receiver.receive_json_from(timeout=5)
        return answers, to_sender, to_receiver, await receiver.receive_nothing(timeout=0.2)
    finally:
        await sender.disconnect()
        await receiver.disconnect()


def _check(frames: list[dict]) -> list:
    trip = tracked_trip()
    passenger = holder(trip)
    answers, to_sender, to_receiver, nothing_else = async_to_sync(_answers)(frames, trip, passenger)
    position = _position(trip, to_sender["recorded_at"])
    assert (to_sender, to_receiver, nothing_else) == (position, position, True)
    return answers


def test_frames_that_are_not_json_objects_are_answered_and_the_socket_stays_open():
    frames = [
        _frame("not json"),
        _frame("{"),
        _frame(""),
        _frame("\x00"),
        {"type": "websocket.receive", "bytes": b'{"lat": 1, "lon": 2}'},
        _frame('{"lat": NaN, "lon": 0}'),
        _frame('{"lat": Infinity, "lon": 0}'),
        _frame('{"lat": -Infinity, "lon": 0}'),
        _frame('{"lat": 1' + "0" * 4400 + "}"),
    ]

    assert _check(frames) == [NOT_JSON] * len(frames)


def test_deep_json_is_refused_without_a_recursion_error():
    frames = [
        _frame("[" * 50_000 + "]" * 50_000),
        _frame('{"a":' * 50_000 + "1" + "}" * 50_000),
        _frame("[" * 4000 + "]" * 4000),
        _frame('{"lat": ' + "[" * 20 + "1" + "]" * 20 + ', "lon": 0}'),
    ]

    assert _check(frames) == [TOO_LARGE, TOO_LARGE, TOO_DEEP, TOO_DEEP]


def test_a_huge_frame_is_refused():
    frames = [_frame(json.dumps({**GOOD, "note": "x" * 10_000})), _frame(" " * 8193)]

    assert _check(frames) == [TOO_LARGE, TOO_LARGE]


@pytest.mark.parametrize(
    "recorded_at",
    [
        "2026-13-45T10:00:00+00:00",
        "2026-02-30T10:00:00Z",
        "2026-01-01T25:61:00Z",
        "2026-01-01T10:00:00+99:00",
        "2026-01-01T10:00:00",
        "yesterday",
        1767261600,
        ["x"],
        {"at": "2026-01-01T10:00:00Z"},
        True,
    ],
)
def test_a_bad_recorded_at_is_a_field_error(recorded_at):
    frames = [_frame(json.dumps({"lat": 1, "lon": 2, "recorded_at": recorded_at}))]

    assert _check(frames) == [BAD_TIME]


def test_bad_numbers_are_field_errors():
    frames = [
        _frame('{"lat": "12.5", "lon": 0}'),
        _frame('{"lat": true, "lon": 0}'),
        _frame('{"lat": null, "lon": 0}'),
        _frame('{"lat": [1], "lon": 0}'),
        _frame('{"lat": 1e999, "lon": 0}'),
        _frame('{"lat": -1e999, "lon": 0}'),
        _frame('{"lat": 1' + "0" * 400 + ', "lon": 0}'),
    ]

    assert _check(frames) == [
        NOT_A_NUMBER,
        NOT_A_NUMBER,
        _invalid("lat", "This field is required."),
        NOT_A_NUMBER,
        LAT_RANGE,
        LAT_RANGE,
        LAT_RANGE,
    ]


def test_json_that_is_not_an_object_is_refused():
    refused = {
        "type": "error",
        "code": "invalid",
        "fields": {},
        "message": "A position is a JSON object.",
    }

    assert _check([_frame("[]"), _frame("null"), _frame("1"), _frame('"x"')]) == [refused] * 4


def test_a_fault_while_handling_a_message_is_answered_and_logged_not_fatal(monkeypatch, caplog):
    real = consumers.fix_parse
    calls = []

    def failing_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("a bug")
        return real(**kwargs)

    monkeypatch.setattr(consumers, "fix_parse", failing_once)

    assert _check([_frame(json.dumps(GOOD))]) == [
        {
            "type": "error",
            "code": "server_error",
            "fields": {},
            "message": "This message could not be handled; send the next one.",
        }
    ]
    trip_id = Trip.objects.get().pk
    assert [r.getMessage() for r in caplog.records if r.name == "tracking.consumers"] == [
        f"trip {trip_id}: a positions message could not be handled"
    ]


def test_a_driver_whose_language_is_hindi_is_answered_in_hindi():
    trip = tracked_trip()
    trip.driver.language = "hi"
    trip.driver.save(update_fields=["language"])
    passenger = holder(trip)

    answers, *_ = async_to_sync(_answers)([_frame("not json")], trip, passenger)

    assert answers == [{**NOT_JSON, "message": "हर स्थिति को टेक्स्ट फ़्रेम में एक JSON ऑब्जेक्ट के रूप में भेजें।"}]
