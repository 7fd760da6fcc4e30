"""The invitation link: an invited account chooses its first password once, through a token
of its own kind, before it expires, and is then signed in on the admin site."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ttms.accounts.invitations import invitation_send, invitation_token
from ttms.accounts.models import Role, User
from ttms.accounts.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_in_process(monkeypatch):
    """The invitation email is sent where its change commits (with REDIS_URL too), as
    embedded: these tests are of what is sent, not of the broker."""
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


NEW_PASSWORD = "a-long-new-password-42"


@pytest.fixture
def invited(django_capture_on_commit_callbacks, mailoutbox):
    user = user_create(
        email="ada@gamma.example", password=None, full_name="Ada Njeri", role=Role.COMPANY_ADMIN
    )
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(user=user, company_name="Gamma Coaches")
    return user


def _link_path(mailoutbox) -> str:
    (email,) = mailoutbox
    return re.search(r"https?://[^/\s]+(/accounts/invite/\S+/)", email.body).group(1)


def _accept(client, path, password=NEW_PASSWORD):
    landing = client.get(path)  # moves the token into the session, as Django's reset does
    return landing, client.post(
        landing.url if landing.status_code == 302 else path,
        {"new_password1": password, "new_password2": password},
    )


def test_the_link_sets_the_password_signs_in_and_lands_on_the_admin(client, invited, mailoutbox):
    landing, response = _accept(client, _link_path(mailoutbox))

    assert (landing.status_code, response.status_code, response.url) == (302, 302, "/admin/")
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)
    assert int(client.session["_auth_user_id"]) == invited.pk


def test_the_link_works_once(client, invited, mailoutbox):
    path = _link_path(mailoutbox)
    _accept(client, path)
    client.logout()
    hashed = User.objects.get(pk=invited.pk).password

    response = client.get(path, follow=True)

    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "Invitation link not valid" in response.content.decode()
    assert User.objects.get(pk=invited.pk).password == hashed


def test_a_wrong_token_is_refused_and_the_password_stays_unusable(client, invited):
    uid = urlsafe_base64_encode(force_bytes(invited.pk))
    path = reverse("accounts:invite", kwargs={"uidb64": uid, "token": "cz1abc-0123456789abcdef"})

    landing, response = _accept(client, path)

    assert (landing.status_code, response.context["validlink"]) == (200, False)
    assert not User.objects.get(pk=invited.pk).has_usable_password()


def test_a_password_reset_token_is_no_invitation(client, invited):
    uid = urlsafe_base64_encode(force_bytes(invited.pk))
    token = default_token_generator.make_token(invited)

    landing = client.get(reverse("accounts:invite", kwargs={"uidb64": uid, "token": token}))

    assert (landing.status_code, landing.context["validlink"]) == (200, False)
    assert not invitation_token.check_token(invited, token)


def test_an_expired_link_is_refused(client, settings, invited, mailoutbox):
    path = _link_path(mailoutbox)
    later = timezone.now() + timedelta(days=settings.TTMS_INVITE_TIMEOUT_DAYS, hours=1)

    with time_machine.travel(later):
        landing, response = _accept(client, path)

    assert (landing.status_code, response.context["validlink"]) == (200, False)
    assert not User.objects.get(pk=invited.pk).has_usable_password()


def test_a_link_still_within_its_days_works(client, settings, invited, mailoutbox):
    path = _link_path(mailoutbox)
    later = timezone.now() + timedelta(days=settings.TTMS_INVITE_TIMEOUT_DAYS - 1)

    with time_machine.travel(later):
        landing, response = _accept(client, path)

    assert (landing.status_code, response.status_code) == (302, 302)


def test_a_weak_password_is_refused_with_400_and_the_link_stays_valid(client, invited, mailoutbox):
    path = _link_path(mailoutbox)

    _landing, response = _accept(client, path, password="123")

    assert response.status_code == 400
    assert response.context["form"].errors["new_password2"]
    assert not User.objects.get(pk=invited.pk).has_usable_password()
    assert client.get(path).status_code == 302  # still valid


def test_the_invitation_email_is_not_sent_again_once_accepted(
    client, invited, mailoutbox, django_capture_on_commit_callbacks
):
    _accept(client, _link_path(mailoutbox))

    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(user=User.objects.get(pk=invited.pk), company_name="Gamma Coaches")

    assert len(mailoutbox) == 1
