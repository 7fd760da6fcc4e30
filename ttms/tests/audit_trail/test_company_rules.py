"""The audit trail of a company's rules and fares (DESIGN.md 9): a company changed field by
field, fare rules created, changed and deleted, and cancellations keeping their entry in the
refund's transaction.

Each test performs one service action and asserts the exact entry; each refusal asserts
that no entry was written."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType

from booking.lifecycle.services.cancellation import booking_cancel
from booking.models import Cancellation, Pnr
from booking.sales.services.fares import fare_rule_delete, fare_rule_save
from booking.tests.factories import adult
from fleet.models import Company
from fleet.services import (
    company_save,
)
from ttms.audit.models import AuditEntry

from .support import book, entries, target

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def test_a_company_change_is_audited_field_by_field(bus_trip):
    company = Company.objects.get(pk=bus_trip.route.company_id)
    company.refund_policy = Company.RefundPolicy.FLAT80
    company.charting_offset_minutes = 120

    company_save(company=company, by=bus_trip.admin)
    company_save(company=company, by=bus_trip.admin)  # nothing changed: no entry

    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "company.changed",
            "target": target(company),
            "company": company,
            "data": {
                "charting_offset_minutes": [None, 120],
                "refund_policy": ["tiered", "flat80"],
            },
        }
    ]


def test_fare_rules_created_changed_and_deleted_are_audited(bus_trip):
    from booking.models import FareRule

    company = bus_trip.route.company
    rule = FareRule(company=company, class_code="STANDARD", rate_per_km=120, minimum_fare=5_000)
    fare_rule_save(fare_rule=rule, by=bus_trip.admin)
    rule.rate_per_km, rule.multipliers_bp = 150, {"TATKAL": 13000}
    fare_rule_save(fare_rule=rule, by=bus_trip.admin)
    shown, pk = str(rule), str(rule.pk)
    fare_rule_delete(fare_rule=rule, by=bus_trip.admin)

    admin = {"actor": bus_trip.admin, "actor_name": "admin@operator.test", "company": company}
    assert entries() == [
        {
            **admin,
            "action": "fare.created",
            "target": (FareRule, pk, shown),
            "data": {
                "company": company.pk,
                "class_code": "STANDARD",
                "rate_per_km": 120,
                "minimum_fare": 5_000,
                "multipliers_bp": {},
            },
        },
        {
            **admin,
            "action": "fare.changed",
            "target": (FareRule, pk, shown),
            "data": {"multipliers_bp": [{}, {"TATKAL": 13000}], "rate_per_km": [120, 150]},
        },
        {
            **admin,
            "action": "fare.deleted",
            "target": (FareRule, pk, shown),
            "data": {
                "company": company.pk,
                "class_code": "STANDARD",
                "rate_per_km": 150,
                "minimum_fare": 5_000,
                "multipliers_bp": {"TATKAL": 13000},
            },
        },
    ]
    assert not FareRule.objects.exists()


def test_cancellations_keep_their_audit_entry_in_the_refunds_transaction(bus_trip):
    """A cancellation refused under its locks (already cancelled) writes no second entry."""
    pnr = book(bus_trip, [adult("Asha", 34, "F")])
    booking_cancel(pnr=pnr, by=pnr.user, now=bus_trip.departure_at - timedelta(days=3))

    with pytest.raises(Exception) as refused:
        booking_cancel(pnr=pnr, by=pnr.user, now=bus_trip.departure_at - timedelta(days=3))

    assert refused.value.code == "already_cancelled"
    assert [e["action"] for e in entries()] == ["booking.cancelled"]
    assert Cancellation.objects.count() == 1
    assert ContentType.objects.get_for_model(Pnr).pk == AuditEntry.objects.get().target_type_id
