"""One-click unsubscribe: a signed token names a user and an optional event; the link's page
asks, its button (or a mail provider's RFC 8058 post) turns the event off everywhere; a bad
token or a mandatory event is a 400 page."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.events import CHANNELS
from ttms.notifications.models import Preference
from ttms.notifications.tokens import SALT, unsubscribe_read, unsubscribe_token

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return reverse("notifications:unsubscribe", args=[token])


def test_a_token_reads_back_as_its_user_and_topic():
    token = unsubscribe_token(42, "trip.reminder")

    assert unsubscribe_read(token) == (42, "trip.reminder")
    assert "/" not in token


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "",
        signing.Signer(salt="another.salt").sign_object({"u": 1, "t": "trip.reminder"}),
        signing.Signer(salt=SALT).sign_object(["not", "a", "dict"]),
        signing.Signer(salt=SALT).sign_object({"u": "1", "t": "trip.reminder"}),
    ],
)
def test_anything_else_is_a_bad_signature(token):
    with pytest.raises(signing.BadSignature):
        unsubscribe_read(token)


def test_an_altered_token_is_refused():
    token = unsubscribe_token(1, "trip.reminder")

    with pytest.raises(signing.BadSignature):
        unsubscribe_read(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))


def test_the_link_asks_first_and_changes_nothing_on_get():
    asha = UserFactory(email="asha@example.com")

    response = Client().get(_url(unsubscribe_token(asha.pk, "trip.reminder")))

    assert response.status_code == 200
    assert "asha@example.com" in response.content.decode()
    assert not Preference.objects.exists()


def test_the_button_turns_the_event_off_on_every_channel_signed_out():
    asha = UserFactory()

    response = Client(enforce_csrf_checks=True).post(
        _url(unsubscribe_token(asha.pk, "trip.reminder"))
    )

    assert response.status_code == 200
    assert 'data-testid="unsubscribed"' in response.content.decode()
    assert set(Preference.objects.values_list("user", "topic", "channel", "enabled")) == {
        (asha.pk, "trip.reminder", channel, False) for channel in CHANNELS
    }


def test_a_mail_providers_one_click_post_unsubscribes():
    asha = UserFactory()

    response = Client(enforce_csrf_checks=True).post(
        _url(unsubscribe_token(asha.pk, "vehicle.swapped")),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert Preference.objects.filter(user=asha, topic="vehicle.swapped", enabled=False).count() == 3


def test_posting_twice_is_the_same_as_once():
    asha = UserFactory()
    url = _url(unsubscribe_token(asha.pk, "trip.reminder"))

    Client().post(url)
    response = Client().post(url)

    assert response.status_code == 200
    assert Preference.objects.count() == 3


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_mandatory_event_is_a_400_page_and_nothing_changes(method):
    asha = UserFactory()

    response = getattr(Client(), method)(_url(unsubscribe_token(asha.pk, "booking.confirmed")))

    assert response.status_code == 400
    assert 'data-testid="unsubscribe-refused"' in response.content.decode()
    assert not Preference.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_token_is_a_400_page(method):
    response = getattr(Client(), method)(_url("forged-token"))

    assert response.status_code == 400
    assert "not valid" in response.content.decode()


def test_a_token_of_a_user_who_is_gone_or_an_unknown_topic_is_a_400_page():
    asha = UserFactory()
    gone = unsubscribe_token(asha.pk + 1000, "trip.reminder")
    unknown = unsubscribe_token(asha.pk, "no.such_topic")

    assert Client().post(_url(gone)).status_code == 400
    assert Client().post(_url(unknown)).status_code == 400
    assert not Preference.objects.exists()
