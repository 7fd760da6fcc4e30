"""The audit trail in the admin: scoped per company (a platform admin sees every entry),
never added, changed or deleted by anyone; an object's "History" opens its entries; times
in the company's zone, the zone named; fare and company edits in the admin are audited."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from booking.models import FareRule
from booking.tests.factories import adult, funded_user, make_trip
from fleet.models import Company, Trip
from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry
from ttms.audit.services import audit_record

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:audit_auditentry_changelist"


@pytest.fixture
def world(db):
    """Two companies, each with a trip, a company admin and one entry on the trip; one
    platform-wide entry (no company); a platform admin."""
    company_a = CompanyFactory(name="Alpha Bus", slug="alpha", time_zone="Asia/Kolkata")
    company_b = CompanyFactory(name="Beta Bus", slug="beta")
    trip_a = make_trip(company=company_a, coaches=[("B1", "STANDARD")], stops=3, code_prefix="A")
    trip_b = make_trip(company=company_b, coaches=[("B1", "STANDARD")], stops=3, code_prefix="B")
    admin_a = staff_user(company_a, email="admin@alpha.test")
    admin_b = staff_user(company_b, email="admin@beta.test")
    platform = UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, email="root@ttms.test")
    entry_a = audit_record(actor=admin_a, action="trip.noted", target=trip_a, data={"n": 1})
    entry_b = audit_record(actor=admin_b, action="trip.noted", target=trip_b, data={"n": 2})
    entry_p = audit_record(actor="system", action="company.noted", target=company_a, company=None)
    AuditEntry.objects.filter(pk=entry_p.pk).update(company=None)
    return {
        "trip_a": trip_a,
        "trip_b": trip_b,
        "admin_a": admin_a,
        "admin_b": admin_b,
        "platform": platform,
        "entries": (entry_a, entry_b, entry_p),
        "company_a": company_a,
    }


def listed(client, user, query: dict | None = None) -> list[int]:
    client.force_login(user)
    url = reverse(CHANGELIST) + ("?" + urlencode(query) if query else "")
    response = client.get(url)
    assert response.status_code == 200
    return sorted(e.pk for e in response.context["cl"].result_list)


def test_staff_see_only_their_companys_entries_and_platform_admins_every_one(client, world):
    entry_a, entry_b, entry_p = world["entries"]

    assert listed(client, world["admin_a"]) == [entry_a.pk]
    assert listed(client, world["admin_b"]) == [entry_b.pk]
    assert listed(client, world["platform"]) == sorted([entry_a.pk, entry_b.pk, entry_p.pk])
    client.force_login(world["admin_a"])
    filters = client.get(reverse(CHANGELIST)).context["cl"].filter_specs
    by_company = next(f for f in filters if f.title == "company")
    assert [label for _, label in by_company.lookup_choices] == ["Alpha Bus"]


def test_staff_cannot_open_another_companys_entry(client, world):
    _, entry_b, entry_p = world["entries"]
    client.force_login(world["admin_a"])

    for entry in (entry_b, entry_p):
        response = client.get(reverse("admin:audit_auditentry_change", args=[entry.pk]))
        assert response.status_code == 302  # "does not exist", as Django says of hidden rows
        assert response.url == reverse("admin:index")


@pytest.mark.parametrize("who", ["admin_a", "platform"])
def test_nobody_adds_changes_or_deletes_an_entry(client, world, who):
    entry_a, *_ = world["entries"]
    user = world[who]
    if who == "platform":
        user.is_superuser = True
        user.save()
    client.force_login(user)
    change = reverse("admin:audit_auditentry_change", args=[entry_a.pk])
    delete = reverse("admin:audit_auditentry_delete", args=[entry_a.pk])

    answers = [
        client.get(change).status_code,
        client.post(change, {"action": "trip.forged", "actor_name": "nobody"}).status_code,
        client.get(delete).status_code,
        client.post(delete, {"post": "yes"}).status_code,
        client.get(reverse("admin:audit_auditentry_add")).status_code,
        client.post(
            reverse(CHANGELIST),
            {"action": "delete_selected", "_selected_action": [entry_a.pk], "post": "yes"},
        ).status_code,
    ]

    # Viewing only; the bulk delete is no action of this list (its page again).
    assert answers == [200, 403, 403, 403, 403, 200]
    entry_a.refresh_from_db()
    assert (entry_a.action, entry_a.actor_name) == ("trip.noted", "admin@alpha.test")
    assert AuditEntry.objects.count() == 3


def test_times_are_shown_in_the_companys_zone_with_the_zone_named(client, world):
    entry_a, _, entry_p = world["entries"]
    moment = datetime(2030, 1, 7, 2, 30, tzinfo=UTC)
    AuditEntry.objects.filter(pk__in=[entry_a.pk, entry_p.pk]).update(at=moment)
    client.force_login(world["platform"])

    page = client.get(reverse(CHANGELIST)).content.decode()

    assert "07 Jan 2030 08:00 IST" in page  # Alpha Bus runs on Asia/Kolkata
    assert "07 Jan 2030 02:30 UTC" in page  # an entry of no company


def test_the_history_of_a_trip_lists_its_entries(client, world):
    entry_a, *_ = world["entries"]
    trip = world["trip_a"]
    client.force_login(world["admin_a"])

    response = client.get(reverse("admin:fleet_trip_history", args=[trip.pk]))

    query = {"target_type": ContentType.objects.get_for_model(Trip).pk, "target_id": trip.pk}
    assert response.status_code == 302
    assert response.url == reverse(CHANGELIST) + "?" + urlencode(query)
    assert listed(client, world["admin_a"], query) == [entry_a.pk]


def test_the_history_of_another_companys_trip_is_not_shown(client, world):
    client.force_login(world["admin_a"])

    response = client.get(reverse("admin:fleet_trip_history", args=[world["trip_b"].pk]))

    assert (response.status_code, response.url) == (302, reverse("admin:index"))


def test_the_history_of_a_pnr_and_of_a_company_list_their_entries(client, world):
    from booking.lifecycle.services.cancellation import booking_cancel
    from booking.sales.services.create import booking_create

    trip = world["trip_a"]
    pnr = booking_create(
        user=funded_user(),
        trip_id=trip.pk,
        origin_code="A1",
        destination_code="A3",
        class_code="STANDARD",
        quota="GENERAL",
        passengers=[adult("Asha", 34, "F")],
        now=trip.departure_at - timedelta(days=2),
    )
    booking_cancel(pnr=pnr, by=pnr.user, now=trip.departure_at - timedelta(days=2))
    company = world["company_a"]
    client.force_login(world["admin_a"])

    pnr_history = client.get(reverse("admin:booking_pnr_history", args=[pnr.pk]))
    company_history = client.get(reverse("admin:fleet_company_history", args=[company.pk]))

    assert [e.action for e in client.get(pnr_history.url).context["cl"].result_list] == [
        "booking.cancelled"
    ]
    # The company's own entries (the platform-wide one is not Alpha's to see).
    assert list(client.get(company_history.url).context["cl"].result_list) == []
    client.force_login(world["platform"])
    assert [e.action for e in client.get(company_history.url).context["cl"].result_list] == [
        "company.noted"
    ]


def test_a_fare_added_and_changed_in_the_admin_is_audited_as_its_admin(client, world):
    company, admin_a = world["company_a"], world["admin_a"]
    client.force_login(admin_a)
    form = {
        "company": company.pk,
        "class_code": "STANDARD",
        "rate_per_km": 120,
        "minimum_fare": 5000,
        "multipliers_bp": "{}",
    }

    added = client.post(reverse("admin:booking_farerule_add"), form)
    rule = FareRule.objects.get()
    changed = client.post(
        reverse("admin:booking_farerule_change", args=[rule.pk]), {**form, "rate_per_km": 130}
    )

    assert (added.status_code, changed.status_code) == (302, 302)
    assert list(
        AuditEntry.objects.filter(action__startswith="fare.")
        .order_by("pk")
        .values_list("actor", "action", "company", "target_id", "data")
    ) == [
        (
            admin_a.pk,
            "fare.created",
            company.pk,
            str(rule.pk),
            {
                "company": company.pk,
                "class_code": "STANDARD",
                "rate_per_km": 120,
                "minimum_fare": 5000,
                "multipliers_bp": {},
            },
        ),
        (admin_a.pk, "fare.changed", company.pk, str(rule.pk), {"rate_per_km": [120, 130]}),
    ]


def test_a_company_edited_in_the_admin_is_audited_field_by_field(client, world):
    company, admin_a = world["company_a"], world["admin_a"]
    client.force_login(admin_a)
    form = {
        "name": "Alpha Bus Lines",
        "time_zone": company.time_zone,
        "refund_policy": Company.RefundPolicy.FLAT80,
        "refund_tiers": "[]",
        "quota_distribution": "{}",
        "charting_offset_minutes": "",
    }

    response = client.post(reverse("admin:fleet_company_change", args=[company.pk]), form)

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="company.changed")
    assert (entry.actor, entry.company, entry.target_id, entry.data) == (
        admin_a,
        company,
        str(company.pk),
        {"name": ["Alpha Bus", "Alpha Bus Lines"], "refund_policy": ["tiered", "flat80"]},
    )


def test_a_form_refused_in_the_admin_writes_no_entry(client, world):
    client.force_login(world["admin_a"])

    response = client.post(
        reverse("admin:booking_farerule_add"),
        {"company": world["company_a"].pk, "class_code": "STANDARD", "rate_per_km": -1},
    )

    assert response.status_code == 200  # the form again, with its errors
    assert not FareRule.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="fare.").exists()


def test_drivers_and_agents_do_not_reach_the_audit_trail(client, world):
    company = world["company_a"]
    for role in (Role.DRIVER, Role.AGENT):
        client.force_login(staff_user(company, role=role))
        assert client.get(reverse(CHANGELIST)).status_code == 302  # to the admin's sign-in
