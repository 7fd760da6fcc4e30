"""The notifications API: the user's in-app list (paginated, `unread` filter), marking read,
and the preferences; only the user's own messages, in the API's one error shape."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.events import EMAIL, IN_APP, SMS
from ttms.notifications.models import OutboxMessage, Preference
from ttms.notifications.services import Message, outbox_add

pytestmark = pytest.mark.django_db

LIST = "/api/v1/notifications/"
PREFS = "/api/v1/notifications/preferences/"


def _tell(user, topic="pnr.cancelled", *, key, payload=None, minutes_ago=0):
    outbox_add(
        messages=[Message(topic, user.pk, payload or {"pnr": "1234567890"}, dedupe_key=key)],
        now=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return OutboxMessage.objects.get(dedupe_key=key)


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_list_answers_the_users_messages_newest_first_in_the_page_envelope():
    asha, ravi = UserFactory(), UserFactory()
    older = _tell(asha, key="a1", minutes_ago=5)
    newer = _tell(asha, "topup.credited", key="a2", payload={"amount": 100, "currency": "INR"})
    _tell(ravi, key="r1")

    response = _api(asha).get(LIST)

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]
    first, second = body["results"]
    assert first["topic"] == "topup.credited"
    assert first["pnr"] is None
    assert second["pnr"] == "1234567890"
    assert second["payload"] == {"pnr": "1234567890"}
    assert second["unread"] is True and second["read_at"] is None
    assert first["title"]


def test_unread_filters_and_a_bad_value_is_a_400():
    asha = UserFactory()
    read = _tell(asha, key="a1")
    unread = _tell(asha, key="a2")
    OutboxMessage.objects.filter(pk=read.pk).update(read_at=timezone.now())

    only_unread = _api(asha).get(LIST, {"unread": "1"})
    every = _api(asha).get(LIST, {"unread": "0"})
    bad = _api(asha).get(LIST, {"unread": "maybe"})

    assert [item["id"] for item in only_unread.json()["results"]] == [unread.pk]
    assert every.json()["count"] == 2
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"
    assert "unread" in bad.json()["error"]["fields"]


def test_marking_one_read_answers_it_and_keeps_the_first_time():
    asha = UserFactory()
    message = _tell(asha, key="a1")
    url = f"{LIST}{message.pk}/read/"

    first = _api(asha).post(url)
    second = _api(asha).post(url)

    assert first.status_code == 200
    assert first.json()["unread"] is False
    assert second.json()["read_at"] == first.json()["read_at"]


def test_someone_elses_message_is_a_404_and_stays_unread():
    asha, ravi = UserFactory(), UserFactory()
    theirs = _tell(ravi, key="r1")

    response = _api(asha).post(f"{LIST}{theirs.pk}/read/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_read_all_marks_only_the_users_and_says_how_many():
    asha, ravi = UserFactory(), UserFactory()
    _tell(asha, key="a1")
    _tell(asha, key="a2")
    theirs = _tell(ravi, key="r1")

    response = _api(asha).post(f"{LIST}read-all/")
    again = _api(asha).post(f"{LIST}read-all/")

    assert response.json() == {"marked": 2}
    assert again.json() == {"marked": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_signed_out_is_a_401():
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().get(PREFS).status_code == 401


def _cell(body, topic, channel):
    row = next(r for r in body["preferences"] if r["topic"] == topic)
    return next(c for c in row["channels"] if c["channel"] == channel)


def test_preferences_answer_every_event_and_channel_with_enabled_and_locked():
    asha = UserFactory()

    body = _api(asha).get(PREFS).json()

    assert _cell(body, "booking.confirmed", EMAIL) == {
        "channel": EMAIL,
        "enabled": True,
        "locked": True,
    }
    assert _cell(body, "trip.reminder", SMS) == {"channel": SMS, "enabled": False, "locked": False}
    row = next(r for r in body["preferences"] if r["topic"] == "trip.reminder")
    assert row["optional"] is True and row["audience"] == "passenger"
    assert not any(r["audience"] == "operator" for r in body["preferences"])


def test_put_sets_the_cells_it_names():
    asha = UserFactory()

    response = _api(asha).put(
        PREFS,
        {
            "preferences": [
                {"topic": "trip.reminder", "channel": SMS, "enabled": True},
                {"topic": "trip.reminder", "channel": IN_APP, "enabled": False},
            ]
        },
        format="json",
    )

    assert response.status_code == 200
    assert _cell(response.json(), "trip.reminder", SMS)["enabled"] is True
    assert _cell(response.json(), "trip.reminder", IN_APP)["enabled"] is False
    assert _cell(response.json(), "trip.reminder", EMAIL)["enabled"] is True
    assert Preference.objects.filter(user=asha).count() == 2


@pytest.mark.parametrize(
    ("item", "code"),
    [
        ({"topic": "booking.confirmed", "channel": EMAIL, "enabled": False}, "mandatory_event"),
        (
            {"topic": "operator.charting_failed", "channel": EMAIL, "enabled": False},
            "unknown_event",
        ),
        ({"topic": "no.such", "channel": EMAIL, "enabled": False}, "unknown_event"),
        ({"topic": "trip.reminder", "channel": "pigeon", "enabled": False}, "invalid"),
        ({"topic": "trip.reminder", "channel": EMAIL}, "invalid"),
    ],
)
def test_put_refusals_are_400s_in_the_error_shape_and_save_nothing(item, code):
    asha = UserFactory()
    fine = {"topic": "trip.reminder", "channel": SMS, "enabled": True}

    response = _api(asha).put(PREFS, {"preferences": [fine, item]}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not Preference.objects.exists()


def test_put_of_a_body_that_is_not_a_list_is_a_400():
    response = _api(UserFactory()).put(PREFS, {"preferences": "all"}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
