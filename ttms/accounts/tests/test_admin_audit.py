"""Accounts added, changed and deleted in the admin are audited ("user.created",
"user.changed" with [before, after], "user.deleted"), never with the password's hash."""

import pytest
from django.urls import reverse

from ttms.accounts.models import Role, User
from ttms.audit.models import AuditEntry

from .factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    user = UserFactory(
        role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True, email="owner@example.com"
    )
    client.force_login(user)
    return user


def _change_data(user: User, **changes) -> dict:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "phone": user.phone,
        "role": user.role,
        "is_active": "on",
        "groups": [],
        "user_permissions": [],
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not False}


def test_an_account_added_in_the_admin_is_audited_without_its_password(client, owner):
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "kiran@example.com",
            "full_name": "Kiran",
            "role": Role.SCHEDULER,
            "usable_password": "true",
            "password1": "a long Passw0rd for Kiran",
            "password2": "a long Passw0rd for Kiran",
        },
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    user = User.objects.get(email="kiran@example.com")
    (entry,) = AuditEntry.objects.all()
    assert (entry.action, entry.target_id, entry.actor, entry.company_id) == (
        "user.created",
        str(user.pk),
        owner,
        None,
    )
    assert entry.data == {"email": "kiran@example.com", "full_name": "Kiran", "role": "scheduler"}


def test_an_account_changed_in_the_admin_is_audited_with_what_changed(client, owner):
    user = UserFactory(email="asha@example.com", full_name="Asha", role=Role.PASSENGER)

    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _change_data(user, role=Role.SCHEDULER, is_staff="on"),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    (entry,) = AuditEntry.objects.all()
    assert (entry.action, entry.data) == (
        "user.changed",
        {"is_staff": [False, True], "role": ["passenger", "scheduler"]},
    )


def test_an_account_deleted_in_the_admin_is_audited_without_its_password(client, owner):
    user = UserFactory(email="sunil@example.com", full_name="Sunil")
    pk = user.pk

    response = client.post(reverse("admin:accounts_user_delete", args=[pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=pk).exists()
    (entry,) = AuditEntry.objects.all()
    assert (entry.action, entry.target_id, entry.data["email"]) == (
        "user.deleted",
        str(pk),
        "sunil@example.com",
    )
    assert "password" not in entry.data
