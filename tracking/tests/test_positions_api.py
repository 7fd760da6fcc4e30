"""The REST fallback: a driver posts fixes (one, or an offline batch); watchers read the
latest position."""

from datetime import UTC, datetime, timedelta

import pytest

from fleet.models import Company
from tracking.models import PositionSample
from tracking.progress import PUBLIC_STATUS_KEYS
from tracking.store import position_store

from .world import LAT, LON0, world

pytestmark = pytest.mark.django_db


def _at(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).replace(microsecond=0).isoformat()


def _post(api_client, user, trip_id, body):
    api_client.force_authenticate(user)
    return api_client.post(f"/api/v1/driver/trips/{trip_id}/positions/", body, format="json")


def test_a_batch_is_applied_in_device_time_order_and_sent_twice_changes_nothing(api_client):
    w = world()
    fixes = [
        {"lat": LAT, "lon": LON0 + 0.01, "recorded_at": _at(60)},
        {"lat": LAT, "lon": LON0, "recorded_at": _at(120)},
        {"lat": LAT, "lon": LON0 + 0.02, "recorded_at": _at(0)},
    ]

    first = _post(api_client, w.driver, w.trip.pk, {"fixes": fixes})
    again = _post(api_client, w.driver, w.trip.pk, {"fixes": fixes})

    assert first.status_code == 200
    assert [(r["index"], r["result"]) for r in first.json()["results"]] == [
        (0, "accepted"),
        (1, "accepted"),
        (2, "accepted"),
    ]
    assert (first.json()["accepted"], first.json()["duplicates"], first.json()["refused"]) == (
        3,
        0,
        0,
    )
    assert again.json()["duplicates"] == 3
    assert [r["result"] for r in again.json()["results"]] == ["duplicate"] * 3
    assert [f.lon for f in position_store().recent(w.trip.pk)] == [LON0, LON0 + 0.01, LON0 + 0.02]
    # Sampled at most once per TTMS_TRAIL_SAMPLE_SECONDS (30) of device time: all three.
    assert PositionSample.objects.filter(trip=w.trip).count() == 3


def test_refused_fixes_in_a_batch_carry_their_reason_and_the_rest_are_taken(api_client):
    w = world()
    body = {
        "fixes": [
            {"lat": LAT, "lon": LON0, "recorded_at": _at(60)},
            {"lat": 95, "lon": LON0},
            {"lat": LAT, "lon": LON0 + 1, "recorded_at": _at(30)},  # 104 km in 30 s
            {"lat": LAT, "lon": LON0, "recorded_at": _at(-600)},
        ]
    }

    response = _post(api_client, w.driver, w.trip.pk, body)

    assert [(r["result"], r["code"]) for r in response.json()["results"]] == [
        ("accepted", None),
        ("refused", "invalid"),
        ("refused", "impossible_speed"),
        ("refused", "in_future"),
    ]
    assert response.json()["results"][1]["fields"] == {"lat": ["Must be between -90 and 90."]}
    assert len(position_store().recent(w.trip.pk)) == 1


@pytest.mark.parametrize("who", ["other_driver", "cnf", "staff"])
def test_only_the_assigned_driver_posts_fixes(api_client, who):
    w = world()

    response = _post(api_client, getattr(w, who), w.trip.pk, {"lat": LAT, "lon": LON0})

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "You are not assigned to a trip with this id."
    assert position_store().latest(w.trip.pk) is None
    assert not PositionSample.objects.exists()


def test_one_fix_is_answered_as_a_batch_of_one(api_client):
    w = world()

    response = _post(api_client, w.driver, w.trip.pk, {"lat": LAT, "lon": LON0})

    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    assert position_store().latest(w.trip.pk).lon == LON0


@pytest.mark.parametrize("who", ["cnf", "rac", "staff", "driver"])
def test_watchers_read_the_latest_position_with_its_age_and_status(api_client, who):
    w = world()
    _post(api_client, w.driver, w.trip.pk, {"lat": LAT, "lon": LON0, "recorded_at": _at(10)})
    api_client.force_authenticate(getattr(w, who))

    response = api_client.get(f"/api/v1/trips/{w.trip.pk}/position/")

    body = response.json()
    assert response.status_code == 200
    assert body["position"] == position_store().latest(w.trip.pk).as_message()
    assert 10 <= body["age_seconds"] < 15
    stored = position_store().status(w.trip.pk)
    assert body["status"] == {key: stored[key] for key in PUBLIC_STATUS_KEYS}
    # Progress's memory between fixes stays on the server.
    assert {"visit", "backward", "handled_sequence"} <= stored.keys()
    assert not {"visit", "backward", "handled_sequence"} & body["status"].keys()


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [
        ("other_passenger", 403, "permission_denied"),
        ("cancelled", 403, "permission_denied"),
        (None, 401, "not_authenticated"),
    ],
)
def test_others_may_not_read_the_position(api_client, who, status, code):
    w = world()
    if who:
        api_client.force_authenticate(getattr(w, who))

    response = api_client.get(f"/api/v1/trips/{w.trip.pk}/position/")

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


def test_a_public_operator_s_position_is_read_by_anyone_and_none_yet_is_404(api_client):
    w = world()
    Company.objects.filter(pk=w.trip.route.company_id).update(positions_public=True)

    response = api_client.get(f"/api/v1/trips/{w.trip.pk}/position/")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No position of this trip is known yet."
