"""The optional language model: `ttms.llm.chat_json` against a local fake OpenAI-compatible
server, and the assistant's use of it: a valid answer fills the query; a malformed one, a
wrong shape, an invented station code or a slow answer fall back to the offline parser; no
text of the model's is ever shown."""

import json
import time
from datetime import timedelta

import pytest

from booking.assistant.answer import assistant_answer
from ttms.llm import chat_json

from .fake_llm import Reply

PHRASE = "kigali to musanze tomorrow"


def offline_query(travel_day) -> dict:
    """What the offline parser makes of PHRASE asked the day before `travel_day`."""
    return {
        "origin": "KGL",
        "destination": "MSZ",
        "date": travel_day.isoformat(),
        "after": None,
        "before": None,
        "class": None,
        "quota": None,
        "passengers": 1,
        "sort": None,
        "direct": False,
    }


def test_chat_json_posts_one_json_mode_completion_and_returns_the_object(fake_llm):
    fake_llm.answer_json({"origin": "KGL"})

    assert chat_json(system="the rules", user="kigali") == {"origin": "KGL"}

    [request] = fake_llm.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer test-key"
    assert request["body"] == {
        "model": "test-model",
        "messages": [
            {"role": "system", "content": "the rules"},
            {"role": "user", "content": "kigali"},
        ],
        "response_format": {"type": "json_object"},
        "temperature": 0,
    }


def test_chat_json_without_a_configured_url_asks_nothing(fake_llm, settings):
    settings.TTMS_LLM_URL = ""

    assert chat_json(system="s", user="u") is None
    assert fake_llm.requests == []


@pytest.mark.parametrize(
    "reply",
    [
        Reply(content="{'origin': 'KGL'"),  # not JSON
        Reply(content='["KGL", "MSZ"]'),  # JSON, not an object
        Reply(body=b'{"choices": []}'),  # no choice
        Reply(body=b'{"error": "overloaded"}'),  # not a completion
        Reply(body=b"<html>bad gateway</html>"),
        Reply(content='{"origin": "KGL"}', status=500),
        Reply(content='{"origin": "KGL"}', status=401),
    ],
    ids=["malformed", "array", "no-choice", "no-choices-key", "html", "http-500", "http-401"],
)
def test_chat_json_answers_none_for_an_unusable_reply(fake_llm, reply, caplog):
    fake_llm.reply = reply

    assert chat_json(system="s", user="u") is None
    assert len(fake_llm.requests) == 1
    assert any(r.name == "ttms.llm" and r.levelname == "WARNING" for r in caplog.records)


def test_chat_json_gives_up_after_the_timeout(fake_llm):
    fake_llm.reply = Reply(content='{"origin": "KGL"}', delay=3)

    started = time.monotonic()
    assert chat_json(system="s", user="u") is None
    assert time.monotonic() - started < 2.5  # TTMS_LLM_TIMEOUT is 1 s in these tests


def test_chat_json_answers_none_when_nothing_listens(settings):
    settings.TTMS_LLM_URL = "http://127.0.0.1:9/v1"  # the discard port: refused

    assert chat_json(system="s", user="u") is None


def test_a_valid_model_answer_fills_the_query(fake_llm, buses, travel_day):
    fake_llm.answer_json({**offline_query(travel_day), "passengers": 3, "sort": "cheapest"})

    answer = assistant_answer(text=PHRASE, today=travel_day - timedelta(days=1))

    assert answer.source == "llm"
    assert answer.query.as_json() == {
        **offline_query(travel_day),
        "passengers": 3,
        "sort": "cheapest",
    }
    assert [row.option.trip.pk for row in answer.trips] == [t.pk for t in buses]
    system = fake_llm.requests[0]["body"]["messages"][0]["content"]
    # The stations the phrase matched, not the whole table.
    assert "- KGL: Kigali Nyabugogo (Kigali)" in system
    assert "- MSZ: Musanze (Musanze)" in system
    assert "RBV" not in system
    assert fake_llm.requests[0]["body"]["messages"][1]["content"] == PHRASE


@pytest.mark.parametrize(
    "reply",
    [
        Reply(content='{"origin": "KGL", "destination": '),  # malformed
        Reply(content='{"origin": ["KGL"], "destination": "MSZ"}'),  # wrong type
        Reply(content='{"origin": "KGL", "destination": "MSZ", "passengers": 40}'),
        Reply(content='{"from": "KGL", "to": "MSZ"}'),  # wrong keys
        Reply(content='{"origin": "KGL", "destination": "XYZ"}'),  # an invented station
        Reply(content='{"origin": "KGL", "destination": "MSZ", "class": "FIRST"}'),
        Reply(content='{"origin": "KGL", "destination": "MSZ", "date": "2001-01-01"}'),
        Reply(content='{"origin": "KGL", "destination": "MSZ"}', delay=3),  # too slow
        Reply(content='{"origin": "KGL", "destination": "MSZ"}', status=503),
    ],
    ids=[
        "malformed",
        "wrong-type",
        "too-many-passengers",
        "wrong-keys",
        "invented-station",
        "unknown-class",
        "past-date",
        "timeout",
        "http-503",
    ],
)
def test_an_unusable_model_answer_falls_back_to_the_offline_parser(
    fake_llm, buses, travel_day, reply
):
    fake_llm.reply = reply

    answer = assistant_answer(text=PHRASE, today=travel_day - timedelta(days=1))

    assert len(fake_llm.requests) == 1
    assert answer.source == "offline"
    assert answer.query.as_json() == offline_query(travel_day)
    assert [row.option.trip.pk for row in answer.trips] == [t.pk for t in buses]


def test_the_models_own_words_are_never_shown(fake_llm, buses, travel_day):
    chatty = {
        **offline_query(travel_day),
        "reply": "Great news! Bus VE1 is free and costs nothing today.",
    }
    fake_llm.reply = Reply(content=json.dumps(chatty))

    answer = assistant_answer(text=PHRASE, today=travel_day - timedelta(days=1))

    assert answer.source == "offline"
    shown = " ".join(
        [answer.message, *(o.status + o.fare_text for row in answer.trips for o in row.classes)]
    )
    assert "Great news" not in shown
    assert "costs nothing" not in shown
