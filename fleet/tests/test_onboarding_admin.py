"""Onboarding through the pages: the platform admin's invite form, the company settings
form's widgets (no JSON typed anywhere), the "operate with us" page and the queue's actions,
and who may reach each."""

import re

import pytest
from django.urls import reverse

from fleet.models import Company, CompanyMembership, OperatorApplication
from ttms.accounts.models import User
from ttms.audit.models import AuditEntry

from .admin_pages import admin_url, snapshot
from .factories import CompanyFactory, VehicleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_in_process(monkeypatch):
    """The invitation email is sent where its change commits (with REDIS_URL too), as
    embedded: these tests are of what is sent, not of the broker."""
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


ADD = "admin:fleet_company_add"
QUEUE = "admin:fleet_operatorapplication_changelist"
PASSWORD = "a-long-new-password-42"


def _invite_form(**overrides):
    return {
        "name": "Gamma Coaches",
        "kind": "bus",
        "currency": "KES",
        "time_zone": "Africa/Nairobi",
        "commission_percent": "12.5",
        "admin_name": "Ada Njeri",
        "admin_email": "ada@gamma.example",
        **overrides,
    }


def _application_form(**overrides):
    return {
        "company_name": "Delta Rail",
        "kind": "rail",
        "currency": "inr",
        "time_zone": "Asia/Kolkata",
        "fleet_size": "4",
        "contact_name": "Devi Rao",
        "email": "devi@delta.example",
        "phone": "",
        "message": "Four rakes.",
        **overrides,
    }


# --- The invite form ------------------------------------------------------------------------


def test_platform_admin_invites_an_operator_from_the_add_page(
    client, platform_admin, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(platform_admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(ADD), _invite_form())

    company = Company.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:fleet_company_changelist")
    assert (company.slug, company.commission_bp, company.currency) == ("gamma-coaches", 1250, "KES")
    user = User.objects.get(email="ada@gamma.example")
    assert not user.has_usable_password()
    assert CompanyMembership.objects.filter(user=user, company=company).count() == 1
    assert [m.to for m in mailoutbox] == [["ada@gamma.example"]]


def test_the_invite_form_refuses_a_taken_email_with_a_field_error(client, platform_admin):
    client.force_login(platform_admin)

    response = client.post(reverse(ADD), _invite_form(admin_email="OWNER@example.com"))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors == {"admin_email": ["An account with this email address already exists."]}
    assert Company.objects.count() == 0


def test_the_invite_form_refuses_a_commission_of_three_decimals(client, platform_admin):
    client.force_login(platform_admin)

    response = client.post(reverse(ADD), _invite_form(commission_percent="12.345"))

    assert "commission_percent" in response.context["adminform"].form.errors
    assert Company.objects.count() == 0


def test_company_admins_cannot_invite_operators(client, admin_a):
    client.force_login(admin_a)

    assert client.get(reverse(ADD)).status_code == 403
    assert client.post(reverse(ADD), _invite_form()).status_code == 403
    assert Company.objects.count() == 1


def test_the_invited_admin_lands_on_the_admin_and_sees_only_their_company(
    client, platform_admin, company_a, django_capture_on_commit_callbacks, mailoutbox
):
    client.force_login(platform_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse(ADD), _invite_form())
    client.logout()
    path = re.search(r"https?://[^/\s]+(/accounts/invite/\S+/)", mailoutbox[0].body).group(1)

    landing = client.get(path)
    accepted = client.post(landing.url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    listing = client.get(reverse("admin:fleet_company_changelist"))

    assert (accepted.status_code, accepted.url) == (302, "/admin/")
    assert [c.name for c in listing.context["cl"].queryset] == ["Gamma Coaches"]
    assert client.get(admin_url(company_a)).status_code == 302  # not theirs: back to the index


# --- The settings form ----------------------------------------------------------------------


def _settings_form(company, **overrides):
    data = {
        "name": company.name,
        "time_zone": company.time_zone,
        "refund_policy": "tiered",
        "rac": "",
        "charting": "",
        "booking_horizon_days": "",
        "max_passengers": "",
        "charting_offset_hours": "",
        "charting_offset_mins": "",
        "refund_tiers-rows": "4",
    }
    data.update(overrides)
    return data


@pytest.fixture
def rail_a(company_a):
    company_a.kind = Company.Kind.RAIL
    company_a.save()
    VehicleFactory(company=company_a, kind="TRAIN", classes=("SL", "3A"))
    return company_a


def test_the_settings_page_has_widgets_and_no_json_text(client, admin_a, rail_a):
    client.force_login(admin_a)

    response = client.get(admin_url(rail_a))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="quota_distribution-SL-LADIES"' in html
    assert 'name="quota_distribution-3A-TATKAL"' in html
    assert 'name="refund_tiers-0-hours"' in html
    assert 'type="checkbox" name="quotas" value="GENERAL"' in html
    assert "<textarea" not in html  # no JSON box left
    assert "Fares: edit" in html


def test_the_settings_form_round_trips_quotas_tiers_distribution_and_offset(
    client, admin_a, rail_a
):
    client.force_login(admin_a)
    form = _settings_form(
        rail_a,
        quotas=["LADIES", "TATKAL"],
        **{
            "refund_tiers-0-hours": "48",
            "refund_tiers-0-charge_percent": "10",
            "refund_tiers-1-hours": "12.5",
            "refund_tiers-1-charge_percent": "25.5",
            "refund_tiers-1-flat_charge": "on",
            "refund_tiers-2-hours": "0",
            "refund_tiers-2-at_least": "0",
            "refund_tiers-2-charge_percent": "50",
            "refund_tiers-2-flat_charge": "on",
            "refund_tiers-2-until_charting": "on",
            "quota_distribution-SL-LADIES": "6",
            "quota_distribution-SL-TATKAL": "",
            "quota_distribution-3A-LADIES": "",
            "quota_distribution-3A-TATKAL": "10",
            "charting_offset_hours": "4",
            "charting_offset_mins": "30",
        },
    )

    response = client.post(admin_url(rail_a), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    rail_a.refresh_from_db()
    assert rail_a.quotas == ["GENERAL", "LADIES", "TATKAL"]
    assert rail_a.refund_tiers == [
        {"hours": 48, "charge_percent": 10},
        {"hours": 12.5, "charge_percent": 25.5, "flat_charge": True},
        {"hours": 0, "charge_percent": 50, "at_least": False, "flat_charge": True,
         "until_charting": True},
    ]  # fmt: skip
    assert rail_a.quota_distribution == {"SL": {"LADIES": 6}, "3A": {"TATKAL": 10}}
    assert rail_a.charting_offset_minutes == 270
    page = client.get(admin_url(rail_a)).content.decode()
    assert 'name="refund_tiers-1-hours" value="12.5"' in page
    assert 'name="quota_distribution-3A-TATKAL" value="10"' in page
    assert 'name="charting_offset_mins" value="30"' in page


def test_ticking_the_kinds_default_quotas_keeps_following_the_kind(client, admin_a, rail_a):
    client.force_login(admin_a)
    form = _settings_form(rail_a, quotas=["LADIES", "SENIOR", "TATKAL", "FOREIGN_TOURIST"])

    response = client.post(admin_url(rail_a), form)

    assert response.status_code == 302
    rail_a.refresh_from_db()
    assert (rail_a.quotas, rail_a.charting_offset_minutes) == ([], None)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            {"refund_tiers-0-hours": "12", "refund_tiers-0-charge_percent": "10",
             "refund_tiers-1-hours": "48", "refund_tiers-1-charge_percent": "25"},
            "must have fewer hours than tier 1",
        ),
        (
            {"refund_tiers-0-hours": "48", "refund_tiers-0-charge_percent": "50",
             "refund_tiers-1-hours": "12", "refund_tiers-1-charge_percent": "25"},
            "charges less",
        ),
        ({"refund_tiers-0-hours": "48", "refund_tiers-0-charge_percent": "120"}, "0 and 100"),
        ({"refund_tiers-0-hours": "48"}, "give both the hours and the charge"),
        ({"refund_tiers-0-hours": "abc", "refund_tiers-0-charge_percent": "5"}, "must be a number"),
    ],
)  # fmt: skip
def test_invalid_tiers_are_a_field_error_and_nothing_changes(
    client, admin_a, rail_a, rows, message
):
    client.force_login(admin_a)
    before = snapshot(rail_a)

    response = client.post(admin_url(rail_a), _settings_form(rail_a, **rows))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["refund_tiers"]
    assert message in errors["refund_tiers"][0]
    assert snapshot(rail_a) == before
    assert not AuditEntry.objects.filter(action="company.changed").exists()


def test_a_seat_count_that_is_no_number_is_a_field_error(client, admin_a, rail_a):
    client.force_login(admin_a)
    before = snapshot(rail_a)

    response = client.post(
        admin_url(rail_a), _settings_form(rail_a, **{"quota_distribution-SL-LADIES": "-3"})
    )

    assert list(response.context["adminform"].form.errors) == ["quota_distribution"]
    assert snapshot(rail_a) == before


def test_platform_admin_sets_the_commission_as_a_percentage(client, platform_admin, company_a):
    client.force_login(platform_admin)
    form = _settings_form(company_a, slug=company_a.slug, kind="bus", commission_percent="12.5")
    form["is_active"] = "on"

    response = client.post(admin_url(company_a), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    company_a.refresh_from_db()
    assert company_a.commission_bp == 1250
    assert AuditEntry.objects.get(action="company.changed").data == {"commission_bp": [500, 1250]}


def test_a_company_admin_posting_a_commission_changes_nothing(client, admin_a, company_a):
    client.force_login(admin_a)

    client.post(admin_url(company_a), _settings_form(company_a, commission_percent="0"))

    company_a.refresh_from_db()
    assert company_a.commission_bp == 500


# --- The public page and the queue ----------------------------------------------------------


def test_the_public_form_queues_a_pending_application(client):
    assert client.get(reverse("operate-with-us")).status_code == 200

    response = client.post(reverse("operate-with-us"), _application_form())

    assert (response.status_code, response.url) == (302, reverse("operate-with-us-thanks"))
    application = OperatorApplication.objects.get()
    assert (application.status, application.currency, application.fleet_size) == (
        OperatorApplication.Status.PENDING,
        "INR",
        4,
    )
    assert client.get(response.url).status_code == 200


def test_the_footer_links_to_the_public_form(client):
    assert f'href="{reverse("operate-with-us")}"' in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "nope"}, "email"),
        ({"currency": "ZZZ"}, "currency"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"kind": "ship"}, "kind"),
        ({"company_name": ""}, "company_name"),
        ({"fleet_size": "-2"}, "fleet_size"),
    ],
)
def test_bad_input_to_the_public_form_is_a_400_with_errors_and_no_row(client, overrides, field):
    response = client.post(reverse("operate-with-us"), _application_form(**overrides))

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert OperatorApplication.objects.count() == 0


def test_the_public_form_is_rate_limited_per_address(client, settings):
    settings.TTMS_APPLICATION_LIMIT = 2
    for number in range(2):
        client.post(reverse("operate-with-us"), _application_form(email=f"d{number}@x.example"))

    response = client.post(reverse("operate-with-us"), _application_form())

    assert response.status_code == 429
    assert OperatorApplication.objects.count() == 2


def _act(client, action, applications):
    return client.post(
        reverse(QUEUE),
        {"action": action, "_selected_action": [a.pk for a in applications]},
        follow=True,
    )


def _queued(client, **overrides):
    client.post(reverse("operate-with-us"), _application_form(**overrides))
    return OperatorApplication.objects.latest("pk")


def test_approving_from_the_queue_twice_creates_one_company(
    client, platform_admin, django_capture_on_commit_callbacks, mailoutbox
):
    application = _queued(client)
    client.force_login(platform_admin)

    with django_capture_on_commit_callbacks(execute=True):
        _act(client, "approve", [application])
        again = _act(client, "approve", [application])

    application.refresh_from_db()
    assert application.status == OperatorApplication.Status.APPROVED
    assert list(Company.objects.values_list("name", flat=True)) == ["Delta Rail"]
    assert application.company.name == "Delta Rail"
    assert [m.to for m in mailoutbox] == [["devi@delta.example"]]
    assert "already been decided" in again.content.decode()


def test_declining_from_the_queue(client, platform_admin, mailoutbox):
    application = _queued(client)
    client.force_login(platform_admin)

    _act(client, "decline", [application])

    application.refresh_from_db()
    assert (application.status, Company.objects.count(), mailoutbox) == (
        OperatorApplication.Status.DECLINED,
        0,
        [],
    )


def test_only_platform_admins_reach_the_queue(client, admin_a):
    application = _queued(client)
    other = CompanyFactory(slug="other")
    client.force_login(admin_a)

    listing = client.get(reverse(QUEUE))
    acted = _act(client, "approve", [application])

    assert listing.status_code == 403
    assert acted.status_code == 403
    application.refresh_from_db()
    assert application.status == OperatorApplication.Status.PENDING
    assert Company.objects.exclude(pk=other.pk).count() == 1  # company_a only


def test_a_company_admin_sends_a_lost_invitation_again_but_not_to_who_has_a_password(
    client, platform_admin, admin_a, django_capture_on_commit_callbacks, mailoutbox
):
    from fleet.services import operator_invite

    _company, invited = operator_invite(
        name="Gamma Coaches",
        kind="bus",
        currency="KES",
        time_zone="Africa/Nairobi",
        commission_percent="5",
        admin_email="ada@gamma.example",
        admin_name="Ada Njeri",
        by=platform_admin,
    )
    client.force_login(platform_admin)
    memberships = CompanyMembership.objects.filter(user__in=[invited, admin_a]).order_by("pk")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:fleet_companymembership_changelist"),
            {"action": "resend_invitation", "_selected_action": [m.pk for m in memberships]},
            follow=True,
        )

    assert [m.to for m in mailoutbox] == [["ada@gamma.example"]]
    assert "already chosen a password" in response.content.decode()
    assert AuditEntry.objects.filter(action="membership.invitation_resent").count() == 1
