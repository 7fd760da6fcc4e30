"""Where each role lands after signing in, and what a driver or agent meets at the admin."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def _sign_in(client, user, **query):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    url = reverse("accounts:login")
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(url, {"username": user.email, "password": PASSWORD})


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.COMPANY_ADMIN, "/admin/"),
        (Role.SCHEDULER, "/admin/"),
        (Role.DRIVER, "/driver/"),
        (Role.AGENT, "/pos/"),
    ],
)
def test_company_staff_land_on_their_page(client, role, landing):
    user = staff_user(CompanyFactory(), role)

    response = _sign_in(client, user)

    assert (response.status_code, response["Location"]) == (302, landing)


def test_a_platform_admin_lands_on_the_admin(client):
    user = UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)

    response = _sign_in(client, user)

    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_a_passenger_lands_on_the_home_page(client):
    response = _sign_in(client, UserFactory(role=Role.PASSENGER))

    assert (response.status_code, response["Location"]) == (302, reverse("home"))


def test_a_scheduler_without_staff_access_is_not_sent_to_the_admin(client):
    user = staff_user(CompanyFactory(), Role.SCHEDULER)
    user.is_staff = False
    user.save(update_fields=["is_staff"])

    response = _sign_in(client, user)

    assert response["Location"] == reverse("home")


def test_the_page_asked_for_wins_over_the_roles_landing(client):
    user = staff_user(CompanyFactory(), Role.COMPANY_ADMIN)

    response = _sign_in(client, user, next="/accounts/")

    assert response["Location"] == "/accounts/"


@pytest.mark.parametrize(("role", "page"), [(Role.DRIVER, "/driver/"), (Role.AGENT, "/pos/")])
@pytest.mark.parametrize("path", ["/admin/", "/admin/fleet/trip/"])
def test_a_driver_or_agent_at_the_admin_is_sent_to_their_page_with_a_word(client, role, page, path):
    client.force_login(staff_user(CompanyFactory(), role))

    response = client.get(path)

    assert (response.status_code, response["Location"]) == (302, page)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The administration is for operator staff; your work is on this page."
    ]


def test_a_passenger_at_the_admin_still_meets_the_admins_sign_in(client):
    client.force_login(UserFactory(role=Role.PASSENGER))

    response = client.get("/admin/")

    assert (response.status_code, response["Location"]) == (302, "/admin/login/?next=/admin/")
