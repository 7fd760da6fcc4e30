"""The in-app list: the user's messages that reached the app, newest first, the unread
marked; opening one marks it read; "mark all read"; the header's unread badge."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.context_processors import unread
from ttms.notifications.events import IN_APP
from ttms.notifications.models import OutboxMessage, Preference
from ttms.notifications.rendering import render
from ttms.notifications.services import Message, outbox_add

pytestmark = pytest.mark.django_db

INBOX = "/notifications/"


def _tell(user, topic="pnr.cancelled", *, key, payload=None, minutes_ago=0):
    outbox_add(
        messages=[Message(topic, user.pk, payload or {"pnr": "1234567890"}, dedupe_key=key)],
        now=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return OutboxMessage.objects.get(dedupe_key=key)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_the_users_in_app_messages_newest_first_with_a_link_to_the_pnr():
    asha, ravi = UserFactory(), UserFactory()
    older = _tell(asha, key="a1", minutes_ago=10)
    newer = _tell(asha, "topup.credited", key="a2", payload={"amount": 5000, "currency": "INR"})
    _tell(ravi, key="r1")

    response = _client(asha).get(INBOX)

    assert response.status_code == 200
    items = response.context["items"]
    assert [item.id for item in items] == [newer.pk, older.pk]
    assert items[0].title == render(newer, IN_APP).subject
    assert items[0].pnr_url == ""
    assert items[1].pnr_url == reverse("booking:pnr", args=["1234567890"])
    body = response.content.decode()
    assert 'href="/bookings/1234567890/"' in body
    assert body.count('class="inbox-item unread"') == 2


def test_a_message_that_did_not_go_in_app_is_not_listed():
    asha = UserFactory()
    Preference.objects.create(user=asha, topic="trip.reminder", channel=IN_APP, enabled=False)
    _tell(asha, "trip.reminder", key="rem")

    response = _client(asha).get(INBOX)

    assert response.context["items"] == []
    assert 'data-testid="inbox-empty"' in response.content.decode()


def test_a_malformed_pnr_in_a_payload_shows_no_link_and_no_error():
    asha = UserFactory()
    _tell(asha, key="bad", payload={"pnr": "not/a pnr"})

    response = _client(asha).get(INBOX)

    assert response.status_code == 200
    assert response.context["items"][0].pnr_url == ""


def test_the_list_is_paginated_twenty_a_page():
    asha = UserFactory()
    for n in range(23):
        _tell(asha, key=f"m{n}", minutes_ago=n)

    first = _client(asha).get(INBOX)
    second = _client(asha).get(INBOX, {"page": 2})

    assert len(first.context["items"]) == 20
    assert len(second.context["items"]) == 3
    assert 'rel="next"' in first.content.decode()


def test_opening_a_message_marks_it_read_and_keeps_the_first_reading():
    asha = UserFactory()
    message = _tell(asha, key="a1")
    client = _client(asha)

    response = client.get(reverse("notifications:message", args=[message.pk]))
    message.refresh_from_db()
    first_read = message.read_at
    client.get(reverse("notifications:message", args=[message.pk]))
    message.refresh_from_db()

    assert response.status_code == 200
    assert first_read is not None
    assert message.read_at == first_read
    assert 'class="inbox-item unread"' not in client.get(INBOX).content.decode()


def test_someone_elses_message_is_a_404_and_stays_unread():
    asha, ravi = UserFactory(), UserFactory()
    message = _tell(ravi, key="r1")

    response = _client(asha).get(reverse("notifications:message", args=[message.pk]))

    assert response.status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_all_read_marks_only_the_users_unread_messages():
    asha, ravi = UserFactory(), UserFactory()
    _tell(asha, key="a1")
    _tell(asha, key="a2")
    theirs = _tell(ravi, key="r1")

    response = _client(asha).post(reverse("notifications:read-all"))

    assert response.status_code == 302
    assert response["Location"] == INBOX
    assert OutboxMessage.objects.filter(user=asha, read_at__isnull=True).count() == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_needs_a_post_with_the_csrf_token():
    asha = UserFactory()
    _tell(asha, key="a1")
    client = Client(enforce_csrf_checks=True)
    client.force_login(asha)

    get = client.get(reverse("notifications:read-all"))
    post = client.post(reverse("notifications:read-all"))

    assert (get.status_code, post.status_code) == (405, 403)
    assert OutboxMessage.objects.filter(read_at__isnull=True).count() == 1


def test_signed_out_the_pages_send_to_sign_in():
    response = Client().get(INBOX)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_header_badge_counts_the_unread_in_one_query(django_assert_num_queries):
    asha = UserFactory()
    _tell(asha, key="a1")
    _tell(asha, key="a2")
    read = _tell(asha, key="a3")
    OutboxMessage.objects.filter(pk=read.pk).update(read_at=timezone.now())
    client = _client(asha)

    request = client.get("/").wsgi_request

    with django_assert_num_queries(1):
        assert int(str(unread(request)["notifications_unread"])) == 2
    body = client.get("/").content.decode()
    assert '<span class="notify-badge" data-testid="unread-badge">2</span>' in body


def test_no_badge_when_all_is_read_and_none_signed_out():
    asha = UserFactory()
    _tell(asha, key="a1")
    client = _client(asha)
    client.post(reverse("notifications:read-all"))

    signed_in = client.get("/").content.decode()
    signed_out = Client().get("/").content.decode()

    assert 'data-testid="notifications-link"' in signed_in
    assert "unread-badge" not in signed_in
    assert 'data-testid="notifications-link"' not in signed_out
