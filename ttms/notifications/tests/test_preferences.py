"""The preferences page: the user's events by channel, the mandatory ones' email and in-app
on and locked; what is saved is what later messages go by."""

import pytest
from django.test import Client
from django.urls import reverse

from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.events import EMAIL, EVENTS, IN_APP, OPERATOR, SMS
from ttms.notifications.exceptions import MandatoryEvent, UnknownEvent
from ttms.notifications.models import Delivery, OutboxMessage, Preference
from ttms.notifications.preferences import preferences_save
from ttms.notifications.selectors import preference_table
from ttms.notifications.services import Message, outbox_add

pytestmark = pytest.mark.django_db

PAGE = "/notifications/preferences/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cells(user) -> dict:
    return {
        (row.event.topic, cell.channel): (cell.enabled, cell.locked)
        for row in preference_table(user=user)
        for cell in row.cells
    }


def _defaults_posted(user) -> dict:
    """What the page posts untouched: each enabled, unlocked box."""
    return {
        f"{topic}:{channel}": "on"
        for (topic, channel), (enabled, locked) in _cells(user).items()
        if enabled and not locked
    }


def test_the_table_shows_defaults_and_locks_the_mandatory_events_email_and_in_app():
    asha = UserFactory(phone="+919876543210")

    cells = _cells(asha)

    assert cells[("booking.confirmed", EMAIL)] == (True, True)
    assert cells[("booking.confirmed", IN_APP)] == (True, True)
    assert cells[("booking.confirmed", SMS)] == (True, False)
    assert cells[("trip.reminder", SMS)] == (False, False)
    assert cells[("trip.reminder", EMAIL)] == (True, False)
    assert not any(topic.startswith("operator.") for topic, _ in cells)


def test_company_staff_see_the_operators_events_too():
    admin = UserFactory(role=Role.COMPANY_ADMIN)
    driver = UserFactory(role=Role.DRIVER)

    staff_topics = {row.event.topic for row in preference_table(user=admin)}
    driver_topics = {row.event.topic for row in preference_table(user=driver)}

    operator = {t for t, e in EVENTS.items() if e.audience == OPERATOR}
    assert operator <= staff_topics
    assert not operator & driver_topics


def test_the_page_renders_checked_and_disabled_boxes():
    asha = UserFactory()

    response = _client(asha).get(PAGE)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="booking.confirmed:email" id="id_booking.confirmed:email"' in body
    box = body.split('name="booking.confirmed:email"')[1].split(">")[0]
    assert "checked" in box and "disabled" in box
    assert 'data-testid="no-phone"' in body
    assert reverse("accounts:account") in body


def test_saving_turns_an_optional_event_off_and_another_channel_on():
    asha = UserFactory(phone="+919876543210")
    posted = _defaults_posted(asha)
    del posted["trip.reminder:email"]
    posted["trip.delayed:email"] = "on"

    response = _client(asha).post(PAGE, posted)

    assert response.status_code == 302
    assert set(Preference.objects.filter(user=asha).values_list("topic", "channel", "enabled")) == {
        ("trip.reminder", EMAIL, False),
        ("trip.delayed", EMAIL, True),
    }


def test_a_post_cannot_turn_off_a_mandatory_events_email_or_in_app():
    asha = UserFactory()
    posted = _defaults_posted(asha)
    # A disabled box is not posted, and a forged post of "off" is the same: nothing.
    posted.pop("booking.confirmed:email", None)

    _client(asha).post(PAGE, posted)

    assert not Preference.objects.filter(user=asha, topic="booking.confirmed").exists()
    assert _cells(asha)[("booking.confirmed", EMAIL)] == (True, True)


def test_going_back_to_the_default_removes_the_row():
    asha = UserFactory()
    preferences_save(user=asha, choices={("trip.reminder", EMAIL): False})

    preferences_save(user=asha, choices={("trip.reminder", EMAIL): True})

    assert not Preference.objects.filter(user=asha).exists()


def test_the_saved_choice_decides_the_channels_of_the_next_message():
    asha = UserFactory(phone="+919876543210")
    _client(asha).post(PAGE, {**_defaults_posted(asha), "trip.reminder:sms": "on"})
    posted = _defaults_posted(asha)
    del posted["trip.reminder:in_app"]
    _client(asha).post(PAGE, posted)

    outbox_add(messages=[Message("trip.reminder", asha.pk, {"pnr": "1234567890"}, "k1")])

    message = OutboxMessage.objects.get(dedupe_key="k1")
    assert set(Delivery.objects.filter(message=message).values_list("channel", flat=True)) == {
        EMAIL,
        SMS,
    }


def test_refusals_write_nothing():
    asha = UserFactory()

    with pytest.raises(MandatoryEvent):
        preferences_save(
            user=asha,
            choices={("trip.reminder", EMAIL): False, ("booking.confirmed", EMAIL): False},
        )
    with pytest.raises(UnknownEvent):
        preferences_save(user=asha, choices={("operator.charting_failed", EMAIL): False})

    assert not Preference.objects.exists()


def test_signed_out_the_page_sends_to_sign_in():
    response = Client().get(PAGE)

    assert response.status_code == 302
