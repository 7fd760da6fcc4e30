"""JSON bodies are parsed with a nesting limit: a body nested deeper than the limit, or
deeper than Python can recurse, is a 400 in the error shape, never a 500."""

import io

import pytest
from rest_framework.exceptions import ParseError

from ttms.accounts.models import User
from ttms.api.parsers import JSONParser
from ttms.jsonlimits import MAX_JSON_DEPTH, JSONTooDeep, json_loads_limited

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"


def nested(depth: int) -> str:
    """`depth` arrays, one inside the other, around the number 1."""
    return "[" * depth + "1" + "]" * depth


def nested_value(depth: int) -> list | int:
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def body(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8", "surrogatepass"))


def test_the_limit_is_32_levels():
    assert MAX_JSON_DEPTH == 32


def test_json_at_the_limit_is_read():
    assert json_loads_limited('{"a": ' + nested(31) + "}") == {"a": nested_value(31)}
    assert json_loads_limited(b'{"a": [1, {"b": null}], "c": "[[[["}') == {
        "a": [1, {"b": None}],
        "c": "[[[[",
    }


def test_json_one_level_deeper_is_refused():
    with pytest.raises(JSONTooDeep) as exc:
        json_loads_limited('{"a": ' + nested(32) + "}")

    assert isinstance(exc.value, ValueError)
    assert str(exc.value) == "JSON nested deeper than 32 levels."


def test_json_deeper_than_python_recurses_is_a_value_error():
    with pytest.raises(JSONTooDeep):
        json_loads_limited(nested(50_000))


def test_a_smaller_limit_may_be_asked_for():
    assert json_loads_limited(nested(2), max_depth=2) == [[1]]
    with pytest.raises(JSONTooDeep):
        json_loads_limited(nested(3), max_depth=2)


def test_loads_options_are_passed_on():
    assert json_loads_limited('{"amount": 1.10}', parse_float=str) == {"amount": "1.10"}


@pytest.mark.parametrize("text", ["{not json", "", "[1,]"])
def test_invalid_json_is_a_value_error(text):
    with pytest.raises(ValueError):
        json_loads_limited(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{not json",
            "JSON parse error - Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
        ("", "JSON parse error - Expecting value: line 1 column 1 (char 0)"),
        ("[NaN]", "JSON parse error - Out of range float values are not JSON compliant: 'NaN'"),
        (
            "\ud800",
            "JSON parse error - 'utf-8' codec can't decode byte 0xed in position 0: "
            "invalid continuation byte",
        ),
        (nested(33), "JSON nested deeper than 32 levels."),
        (nested(50_000), "JSON nested deeper than 32 levels."),
    ],
)
def test_the_parser_turns_every_failure_into_a_parse_error(text, message):
    with pytest.raises(ParseError) as exc:
        JSONParser().parse(body(text), parser_context={"encoding": "utf-8"})

    assert str(exc.value.detail) == message


def test_the_parser_reads_json_in_the_declared_encoding():
    data = JSONParser().parse(
        io.BytesIO('{"name": "Zoë"}'.encode("utf-16")), parser_context={"encoding": "utf-16"}
    )

    assert data == {"name": "Zoë"}


def test_a_body_nested_50000_deep_gets_400_in_error_shape(api_client):
    response = api_client.post(TOKEN, data=nested(50_000), content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "parse_error",
            "message": "JSON nested deeper than 32 levels.",
            "fields": {},
        }
    }


def test_a_body_one_level_over_the_limit_gets_400_and_writes_nothing(api_client):
    body = (
        '{"email": "deep@example.com", "password": "a-long-travel-pass", '
        '"full_name": ' + nested(32) + "}"
    )

    response = api_client.post(REGISTER, data=body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert not User.objects.exists()


def test_a_body_at_the_limit_reaches_the_view(api_client):
    body = (
        '{"email": "deep@example.com", "password": "a-long-travel-pass", '
        '"full_name": ' + nested(31) + "}"
    )

    response = api_client.post(REGISTER, data=body, content_type="application/json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == ["full_name"]
    assert not User.objects.exists()


def test_json_is_the_project_parser_by_default():
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_PARSER_CLASSES[0] is JSONParser
