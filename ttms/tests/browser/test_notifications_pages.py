"""The notifications in a real browser at phone and desktop width: the header's unread
badge, the in-app list and "mark all read" (with JavaScript through htmx, and without),
and the preferences table. The screenshots (notifications-*.png) show them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ttms.accounts.tests.factories import PASSWORD, UserFactory
from ttms.notifications.models import OutboxMessage, Preference
from ttms.notifications.services import Message, outbox_add

from .support import assert_page_basics, expect, shot, sign_in

pytestmark = pytest.mark.browser


def _asha_with_three_unread():
    asha = UserFactory(email="asha@example.com", full_name="Asha Rao", phone="+919876543210")
    now = timezone.now()
    outbox_add(
        messages=[
            Message("booking.confirmed", asha.pk, {"pnr": "4213098765"}, dedupe_key="b1"),
        ],
        now=now - timedelta(hours=26),
    )
    outbox_add(
        messages=[
            Message(
                "passenger.promoted",
                asha.pk,
                {
                    "pnr": "4213098765",
                    "passenger": 1,
                    "name": "Asha Rao",
                    "from": "RAC",
                    "to": "CNF",
                    "coach": "B1",
                    "seat": "23",
                    "berth": "LB",
                },
                dedupe_key="p1",
            ),
        ],
        now=now - timedelta(hours=3),
    )
    outbox_add(
        messages=[
            Message(
                "topup.credited",
                asha.pk,
                {"amount": 250_000, "currency": "INR", "reference": "T-1"},
                dedupe_key="t1",
            ),
        ],
        now=now - timedelta(minutes=5),
    )
    return asha


def test_the_badge_counts_the_unread_and_mark_all_read_clears_it(page):
    asha = _asha_with_three_unread()
    sign_in(page, email="asha@example.com", password=PASSWORD)

    expect(page.get_by_test_id("unread-badge")).to_have_text("3")
    page.get_by_test_id("notifications-link").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_test_id("inbox-item")).to_have_count(3)
    expect(page.locator(".inbox-item.unread")).to_have_count(3)
    expect(page.get_by_role("link", name="PNR 4213098765", exact=True)).to_have_count(2)
    assert_page_basics(page)
    shot(page, "notifications-inbox")

    page.get_by_test_id("read-all").click()

    expect(page.get_by_test_id("unread-badge")).to_have_count(0)
    expect(page.locator(".inbox-item.unread")).to_have_count(0)
    expect(page.get_by_text("3 notifications marked read.")).to_be_visible()
    assert OutboxMessage.objects.filter(user=asha, read_at__isnull=True).count() == 0
    shot(page, "notifications-inbox-read")


def test_opening_one_marks_it_read_without_javascript(new_context):
    _asha_with_three_unread()
    page = new_context("phone", java_script_enabled=False).new_page()
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.get_by_label("Email").fill("asha@example.com")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    page.goto("/notifications/")

    page.locator(".inbox-item.unread .inbox-title").first.click()
    expect(page.get_by_role("link", name="All notifications")).to_be_visible()
    page.get_by_role("link", name="All notifications").click()

    expect(page.get_by_test_id("unread-badge")).to_have_text("2")
    page.get_by_test_id("read-all").click()
    expect(page.get_by_test_id("unread-badge")).to_have_count(0)


def test_the_preferences_table_saves_what_is_ticked(page):
    asha = _asha_with_three_unread()
    sign_in(page, email="asha@example.com", password=PASSWORD)

    page.goto("/notifications/preferences/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Notification preferences")
    locked = page.get_by_role("checkbox", name="Booking confirmed by Email")
    expect(locked).to_be_checked()
    expect(locked).to_be_disabled()
    assert_page_basics(page)
    shot(page, "notifications-preferences")

    page.get_by_role("checkbox", name="Departure reminder by Email").uncheck()
    page.get_by_role("checkbox", name="Departure reminder by SMS").check()
    page.get_by_role("button", name="Save preferences").click()

    expect(page.get_by_text("Your notification preferences have been saved.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Departure reminder by SMS")).to_be_checked()
    assert set(Preference.objects.filter(user=asha).values_list("topic", "channel", "enabled")) == {
        ("trip.reminder", "email", False),
        ("trip.reminder", "sms", True),
    }
