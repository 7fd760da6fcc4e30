"""Onboarding an operator: the invitation (company, first admin, membership, audit, email),
the commission as a percentage, and the "operate with us" queue's approvals and refusals."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fleet.exceptions import ApplicationDecided
from fleet.models import Company, CompanyMembership, OperatorApplication
from fleet.services import (
    commission_bp_from_percent,
    operator_application_approve,
    operator_application_decline,
    operator_application_submit,
    operator_invite,
)
from ttms.accounts.models import Role, User
from ttms.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tasks_in_process(monkeypatch):
    """The invitation email is sent where its change commits (with REDIS_URL too), as
    embedded: these tests are of what is sent, not of the broker."""
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def _invite(by, **overrides):
    values = {
        "name": "Gamma Coaches",
        "kind": Company.Kind.BUS,
        "currency": "KES",
        "time_zone": "Africa/Nairobi",
        "commission_percent": Decimal("12.5"),
        "admin_email": "Ada@Gamma.example",
        "admin_name": "Ada Njeri",
        "by": by,
    }
    return operator_invite(**{**values, **overrides})


def _application(**overrides) -> OperatorApplication:
    values = {
        "company_name": "Delta Rail",
        "kind": Company.Kind.RAIL,
        "currency": "inr",
        "time_zone": "Asia/Kolkata",
        "contact_name": "Devi Rao",
        "email": "devi@delta.example",
        "phone": "+91 98765 43210",
        "fleet_size": 4,
        "message": "Four rakes on the Konkan coast.",
    }
    return operator_application_submit(**{**values, **overrides})


def test_invite_creates_company_admin_without_password_membership_audit_and_one_email(
    platform_admin, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        company, user = _invite(platform_admin)

    company.refresh_from_db()
    assert (company.name, company.slug, company.kind, company.currency, company.time_zone) == (
        "Gamma Coaches",
        "gamma-coaches",
        "bus",
        "KES",
        "Africa/Nairobi",
    )
    assert company.commission_bp == 1250
    assert (user.email, user.full_name, user.role, user.is_staff) == (
        "ada@gamma.example",
        "Ada Njeri",
        Role.COMPANY_ADMIN,
        True,
    )
    assert not user.has_usable_password()
    assert list(CompanyMembership.objects.values_list("user", "company", "role")) == [
        (user.pk, company.pk, Role.COMPANY_ADMIN)
    ]
    entry = AuditEntry.objects.get(action="company.invited")
    assert (entry.actor, entry.company, entry.data["admin_email"], entry.data["commission_bp"]) == (
        platform_admin,
        company,
        "ada@gamma.example",
        1250,
    )
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["ada@gamma.example"]
    assert email.subject == "You are invited to run Gamma Coaches on TTMS"
    assert "/accounts/invite/" in email.body
    assert email.alternatives[0][1] == "text/html"
    assert "/accounts/invite/" in email.alternatives[0][0]
    # The name to sign in with, in both parts.
    assert "Your sign-in name is ada@gamma.example." in email.body
    assert "Your sign-in name is ada@gamma.example." in email.alternatives[0][0]


def test_invite_sends_nothing_when_the_transaction_rolls_back(
    platform_admin, django_capture_on_commit_callbacks, mailoutbox
):
    from django.db import transaction

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _invite(platform_admin)
        raise RuntimeError("rolled back")

    assert (callbacks, mailoutbox, Company.objects.count(), User.objects.count()) == (
        [],
        [],
        0,
        1,
    )


def test_two_operators_of_one_name_get_two_slugs(platform_admin):
    first, _ = _invite(platform_admin)
    second, _ = _invite(platform_admin, admin_email="bo@gamma.example")

    assert (first.slug, second.slug) == ("gamma-coaches", "gamma-coaches-2")


@pytest.mark.parametrize(
    ("percent", "bp"),
    [("12.5", 1250), ("0", 0), ("100", 10_000), ("0.01", 1), (Decimal("5.25"), 525), (7, 700)],
)
def test_commission_percent_is_stored_exactly_as_basis_points(percent, bp):
    assert commission_bp_from_percent(percent) == bp


@pytest.mark.parametrize("percent", ["12.345", "-1", "100.01", "abc", "NaN", "Infinity"])
def test_a_commission_that_is_no_percentage_with_two_decimals_is_refused(percent):
    with pytest.raises(ValidationError) as refused:
        commission_bp_from_percent(percent)

    assert list(refused.value.message_dict) == ["commission_percent"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"currency": "XYZ"}, "currency"),
        ({"commission_percent": "150"}, "commission_percent"),
        ({"admin_name": "  "}, "admin_name"),
        ({"admin_email": "not an email"}, "admin_email"),
    ],
)
def test_an_invalid_invitation_writes_nothing(platform_admin, mailoutbox, overrides, field):
    with pytest.raises(ValidationError) as refused:
        _invite(platform_admin, **overrides)

    assert field in refused.value.message_dict
    assert (Company.objects.count(), User.objects.count(), AuditEntry.objects.count()) == (0, 1, 0)


def test_an_admin_email_that_already_has_an_account_is_refused_and_nothing_is_written(
    platform_admin, mailoutbox
):
    with pytest.raises(ValidationError) as refused:
        _invite(platform_admin, admin_email="OWNER@example.com")

    assert refused.value.message_dict == {
        "admin_email": ["An account with this email address already exists."]
    }
    assert (Company.objects.count(), CompanyMembership.objects.count(), mailoutbox) == (0, 0, [])


def test_the_public_request_is_queued_pending():
    application = _application()

    application.refresh_from_db()
    assert (
        application.status,
        application.currency,
        application.decided_by,
        application.decided_at,
        application.company,
    ) == (OperatorApplication.Status.PENDING, "INR", None, None, None)


def test_approving_invites_the_company_and_its_contact_once(
    platform_admin, django_capture_on_commit_callbacks, mailoutbox
):
    application = _application()

    with django_capture_on_commit_callbacks(execute=True):
        company, user = operator_application_approve(application=application, by=platform_admin)
        with pytest.raises(ApplicationDecided):
            operator_application_approve(application=application, by=platform_admin)

    application.refresh_from_db()
    assert (application.status, application.company, application.decided_by) == (
        OperatorApplication.Status.APPROVED,
        company,
        platform_admin,
    )
    assert application.decided_at is not None
    assert (company.name, company.kind, company.currency, company.commission_bp) == (
        "Delta Rail",
        "rail",
        "INR",
        500,
    )
    assert (user.email, user.full_name) == ("devi@delta.example", "Devi Rao")
    assert (Company.objects.count(), len(mailoutbox)) == (1, 1)
    assert AuditEntry.objects.filter(action="operator_application.approved").count() == 1


def test_declining_creates_nothing_and_cannot_be_approved_after(platform_admin, mailoutbox):
    application = _application()

    operator_application_decline(application=application, by=platform_admin, reason="spam")
    with pytest.raises(ApplicationDecided):
        operator_application_approve(application=application, by=platform_admin)

    application.refresh_from_db()
    assert (application.status, application.company, application.decided_by) == (
        OperatorApplication.Status.DECLINED,
        None,
        platform_admin,
    )
    assert (Company.objects.count(), mailoutbox) == (0, [])
    assert AuditEntry.objects.get(action="operator_application.declined").data == {"reason": "spam"}


def test_an_approval_the_invitation_refuses_leaves_the_application_pending(platform_admin):
    application = _application(email="owner@example.com")

    with pytest.raises(ValidationError):
        operator_application_approve(application=application, by=platform_admin)

    application.refresh_from_db()
    assert (application.status, application.company, Company.objects.count()) == (
        OperatorApplication.Status.PENDING,
        None,
        0,
    )


@pytest.mark.django_db(transaction=True)
def test_two_admins_approving_at_once_create_one_company(platform_admin):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    application = _application()
    barrier = threading.Barrier(4)

    def approve():
        barrier.wait()
        try:
            operator_application_approve(
                application=OperatorApplication.objects.get(pk=application.pk), by=platform_admin
            )
            return "approved"
        except ApplicationDecided:
            return "decided"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = sorted(pool.map(lambda _: approve(), range(4)))

    assert results == ["approved", "decided", "decided", "decided"]
    assert Company.objects.count() == 1
    assert User.objects.filter(email="devi@delta.example").count() == 1
