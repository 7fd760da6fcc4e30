"""Every path that changes a password tells its owner ("account.password_changed"): the
account page, the reset link, the admin; once per change, and nothing for a refused one."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from ttms.accounts.models import Role
from ttms.notifications.models import OutboxMessage

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-sleeper-berth"
RESET_LINK = re.compile(r"http://testserver(/accounts/password/reset/[\w-]+/[\w-]+/)")


@pytest.fixture
def sam():
    return UserFactory(email="sam@example.com", full_name="Sam Iyer")


def told(user) -> list[tuple]:
    return list(
        OutboxMessage.objects.filter(topic="account.password_changed")
        .order_by("pk")
        .values_list("user_id", "dedupe_key", "payload")
    )


def test_changing_the_password_on_the_account_page_tells_the_owner_once(client, sam):
    client.force_login(sam)
    form = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}

    response = client.post("/accounts/password/", form)

    assert response.status_code == 302
    sam.refresh_from_db()
    ((user_id, key, payload),) = told(sam)
    assert user_id == sam.pk
    assert key.startswith(f"account.password_changed:{sam.pk}:")
    assert set(payload) == {"at"}
    assert sam.check_password(NEW_PASSWORD)


def test_a_refused_change_tells_nobody(client, sam):
    client.force_login(sam)
    form = {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}

    assert client.post("/accounts/password/", form).status_code == 400

    assert told(sam) == []


def test_a_reset_by_email_tells_the_owner(client, sam):
    client.post("/accounts/password/reset/", {"email": "sam@example.com"})
    link = RESET_LINK.search(mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]

    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert [u for u, _, _ in told(sam)] == [sam.pk]


def test_a_password_set_in_the_admin_tells_its_owner_and_each_change_is_its_own(client, sam):
    owner = UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)
    client.force_login(owner)
    url = reverse("admin:auth_user_password_change", args=[sam.pk])

    for password in (NEW_PASSWORD, NEW_PASSWORD + "-2"):
        response = client.post(
            url, {"password1": password, "password2": password, "usable_password": "true"}
        )
        assert response.status_code == 302, response.content

    keys = [k for _, k, _ in told(sam)]
    assert len(keys) == len(set(keys)) == 2
