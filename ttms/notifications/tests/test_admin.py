"""The outbox in the admin: platform admins only; a message shows its deliveries; the
deliveries' list filters by status and channel, searches by topic and email, shows times
in UTC, named; "Send again" queues dead and sent deliveries anew, audited, and leaves the
others as they are."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse

from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry
from ttms.notifications.models import Delivery, OutboxMessage

pytestmark = pytest.mark.django_db

DELIVERIES = "admin:notifications_delivery_changelist"
WRITTEN = datetime(2030, 1, 7, 2, 5, tzinfo=UTC)


@pytest.fixture
def platform(client):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, email="root@ttms.test")
    client.force_login(admin)
    return admin


def _message(email="asha@example.com", topic="pnr.cancelled") -> OutboxMessage:
    user = UserFactory(email=email, phone="+919876543210")
    return OutboxMessage.objects.create(
        topic=topic, user=user, language="en", payload={"pnr": "1"}, created_at=WRITTEN
    )


def _delivery(message, channel, status, **fields) -> Delivery:
    return Delivery.objects.create(message=message, channel=channel, status=status, **fields)


def test_company_staff_and_passengers_do_not_see_the_outbox(client):
    message = _message()
    staff = UserFactory(role=Role.COMPANY_ADMIN, is_staff=True, email="admin@alpha.test")
    client.force_login(staff)

    assert client.get(reverse(DELIVERIES)).status_code == 403
    change = reverse("admin:notifications_outboxmessage_change", args=[message.pk])
    assert client.get(change).status_code == 403
    assert b"notifications" not in client.get(reverse("admin:index")).content.lower()


def test_a_message_shows_its_deliveries_read_only_with_times_named(client, platform):
    message = _message()
    _delivery(
        message,
        "email",
        Delivery.Status.SENT,
        attempts=1,
        sent_at=WRITTEN,
        provider_ref="<ttms-1-email@ttms.localhost>",
    )
    _delivery(
        message,
        "sms",
        Delivery.Status.QUEUED,
        attempts=2,
        next_attempt_at=datetime(2030, 1, 7, 2, 9, 30, tzinfo=UTC),
        last_error="DeliveryFailed: gateway answered 503",
    )

    page = client.get(reverse("admin:notifications_outboxmessage_change", args=[message.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "07 Jan 2030 02:05:00 UTC" in html  # written, and the email's sending
    assert "07 Jan 2030 02:09:30 UTC" in html  # the SMS's next attempt
    assert "DeliveryFailed: gateway answered 503" in html
    assert "&lt;ttms-1-email@ttms.localhost&gt;" in html
    assert 'name="deliveries-0-status"' not in html  # nothing editable
    assert "Save" not in html


def test_the_deliveries_list_filters_by_status_and_channel_and_searches(client, platform):
    asha, ravi = _message("asha@example.com"), _message("ravi@example.com", "trip.cancelled")
    dead_sms = _delivery(asha, "sms", Delivery.Status.DEAD, attempts=6, last_error="timeout")
    _delivery(asha, "email", Delivery.Status.SENT, attempts=1, sent_at=WRITTEN)
    ravi_sms = _delivery(ravi, "sms", Delivery.Status.DEAD, attempts=6)
    _delivery(ravi, "email", Delivery.Status.QUEUED)

    def listed(query):
        page = client.get(reverse(DELIVERIES), query)
        assert page.status_code == 200
        return sorted(d.pk for d in page.context["cl"].result_list)

    assert listed({"status__exact": "dead"}) == [dead_sms.pk, ravi_sms.pk]
    assert listed({"status__exact": "dead", "channel__exact": "sms", "q": "asha"}) == [dead_sms.pk]
    assert listed({"q": "trip.cancelled"}) == sorted(d.pk for d in ravi.deliveries.all())
    failing = _delivery(_message("dev@example.com"), "sms", Delivery.Status.QUEUED, attempts=2)
    assert listed({"tried": "failing"}) == [failing.pk]
    page = client.get(reverse(DELIVERIES), {"status__exact": "sent"})
    assert "07 Jan 2030 02:05:00 UTC" in page.content.decode()


def test_send_again_queues_dead_and_sent_deliveries_anew_and_records_who(
    client, platform, django_capture_on_commit_callbacks, monkeypatch
):
    from ttms.celery import app

    # The delivery's task runs at commit in this process, with or without a broker.
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    message = _message()
    dead = _delivery(message, "email", Delivery.Status.DEAD, attempts=6, last_error="refused")
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=WRITTEN)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(DELIVERIES),
            {"action": "send_again", "_selected_action": [dead.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "1 delivery is queued to be sent again." in response.content.decode()
    dead.refresh_from_db()
    # Its task ran at commit: sent this time, by one new attempt.
    assert (dead.status, dead.attempts, dead.last_error) == ("sent", 1, "")
    assert [m.to for m in mail.outbox] == [["asha@example.com"]]
    entry = AuditEntry.objects.get(action="notifications.delivery_resent")
    assert (entry.actor_id, entry.target_id) == (platform.pk, str(dead.pk))
    assert entry.data == {"status": "dead", "attempts": 6, "last_error": "refused"}


def test_send_again_leaves_queued_deliveries_as_they_are(client, platform):
    message = _message()
    queued = _delivery(message, "sms", Delivery.Status.QUEUED, attempts=2, last_error="503")

    response = client.post(
        reverse(DELIVERIES),
        {"action": "send_again", "_selected_action": [queued.pk]},
        follow=True,
    )

    assert "only dead or sent deliveries are sent again" in response.content.decode()
    queued.refresh_from_db()
    assert (queued.status, queued.attempts, queued.last_error) == ("queued", 2, "503")
    assert not AuditEntry.objects.filter(action="notifications.delivery_resent").exists()
