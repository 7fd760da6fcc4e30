"""POST /api/v1/assistant/search/: the query understood, the trips with availability, fares
and seat-map links, or one question; bad input a 400 in the error shape; throttled; in the
OpenAPI schema."""

from datetime import timedelta

import pytest
from django.core.cache import cache

URL = "/api/v1/assistant/search/"

pytestmark = pytest.mark.django_db


def test_the_api_answers_with_the_query_and_the_trips(api_client, buses, travel_day):
    response = api_client.post(
        URL,
        {
            "text": "bus kigali to musanze tomorow evening for 2",
            "date": (travel_day - timedelta(days=1)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["query"] == {
        "origin": "KGL",
        "destination": "MSZ",
        "date": travel_day.isoformat(),
        "after": "17:00",
        "before": "21:00",
        "class": None,
        "quota": None,
        "passengers": 2,
        "sort": None,
        "direct": False,
    }
    assert body["question"] is None
    assert body["unknown"] == []
    assert body["other_departures"] is True
    assert body["message"].endswith(
        ", leaving 17:00–21:00, for 2 passengers: nothing leaves then; "
        "3 other departures that day, the nearest first:"
    )
    assert [trip["id"] for trip in body["trips"]] == [t.pk for t in reversed(buses)]
    assert body["notes"] == []
    first = body["trips"][2]
    assert first["departure"] == f"{travel_day.isoformat()}T08:00:00+02:00"
    assert first["arrival"] == f"{travel_day.isoformat()}T10:00:00+02:00"
    assert first["duration_minutes"] == 120
    assert first["classes"] == [
        {
            "class": "STANDARD",
            "class_name": "Standard",
            "status": "41 seats free",
            "free": 41,
            "fits": True,
            "fare": 2500,
            "currency": "RWF",
            "fare_text": "RWF\xa02,500",
            "url": f"/trips/{buses[0].pk}/?from=KGL&to=MSZ&class=STANDARD&passengers=2",
        }
    ]
    assert body["origin"]["code"] == "KGL"
    assert body["results_url"] == f"/trips/?from=KGL&to=MSZ&date={travel_day.isoformat()}"


def test_a_question_comes_back_with_no_trips(api_client, buses, travel_day):
    response = api_client.post(
        URL,
        {"text": "to musanze tomorrow", "date": (travel_day - timedelta(days=1)).isoformat()},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["question"] == {
        "field": "origin",
        "text": "Where do you leave from?",
        "choices": [],
    }
    assert body["trips"] == []
    assert body["message"] == "Where do you leave from?"


def test_answers_re_ask_with_the_choice_applied(api_client, buses, travel_day):
    response = api_client.post(
        URL,
        {
            "text": "to musanze tomorrow",
            "date": (travel_day - timedelta(days=1)).isoformat(),
            "answers": {"origin": "KGL"},
        },
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["query"]["origin"] == "KGL"
    assert len(response.json()["trips"]) == 3


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({}, "text", "This field is required."),
        ({"text": ""}, "text", "This field may not be blank."),
        ({"text": "   "}, "text", "This field may not be blank."),
        ({"text": "x" * 301}, "text", "Ensure this field has no more than 300 characters."),
        ({"text": "kigali to musanze", "date": "soon"}, "date", None),
        ({"text": "to musanze", "answers": {"origin": "NOPE"}}, "answers", None),
        ({"text": "to musanze", "answers": "KGL"}, "answers", None),
    ],
)
def test_bad_input_is_a_400_in_the_error_shape(api_client, db, payload, field, message):
    response = api_client.post(URL, payload, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    if message:
        assert error["fields"][field] == [message]


def test_questions_are_throttled_per_client(api_client, db, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "assistant": "2/min",
        },
    }
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    rates = ScopedRateThrottle.THROTTLE_RATES
    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        statuses = [
            api_client.post(URL, {"text": "to nowhere"}, format="json").status_code
            for _ in range(3)
        ]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = rates
        cache.clear()

    assert statuses == [200, 200, 429]


def test_the_endpoint_is_in_the_openapi_schema(api_client, db):
    schema = api_client.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/assistant/search/"]["post"]
    assert {"200", "400", "429"} <= set(operation["responses"])
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AssistantSearchRequest"
    }
    assert "AssistantAnswer" in schema["components"]["schemas"]
    assert "AssistantTrip" in schema["components"]["schemas"]
