"""The audit trail: every staff and automatic state change is written by the service that
makes it, in its transaction (DESIGN.md 9). Each test performs one service action and
asserts the exact entry; each refusal asserts that no entry was written."""

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from booking.boarding import ticket_keys
from booking.lifecycle.services.cancellation import booking_cancel
from booking.lifecycle.services.charting import chart_prepare
from booking.lifecycle.services.promotion import promote_waitlist
from booking.lifecycle.services.swap import vehicle_swap
from booking.lifecycle.services.trips import trip_cancel
from booking.models import Cancellation, Pnr, TicketKey, TripClass
from booking.sales.services.create import booking_create
from booking.sales.services.fares import fare_rule_delete, fare_rule_save
from booking.tests.factories import adult, funded_user, make_trip
from fleet.exceptions import InvalidStatusTransition
from fleet.models import Company, Trip, TripStatus
from fleet.services import (
    company_save,
    standard_layout,
    travel_class_standard,
    trip_delete,
    trip_transition,
    trip_update,
    vehicle_create,
)
from fleet.tests.factories import CompanyFactory, staff_user
from payments.exceptions import PayoutNotAllowed
from payments.ledger.clearing import payout_record
from ttms.accounts.models import Role
from ttms.audit.models import AuditEntry
from ttms.audit.selectors import audit_entries_for_target
from ttms.audit.services import audit_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

FARE = 20_000  # 200 km of STANDARD at 100 paise a km


@pytest.fixture
def tasks_in_process(monkeypatch):
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def entry_of(entry: AuditEntry) -> dict:
    """An entry as the tests compare it: everything but its time."""
    return {
        "actor": entry.actor,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "target": (entry.target_type.model_class(), entry.target_id, entry.target_repr),
        "company": entry.company,
        "data": entry.data,
    }


def entries(action_prefix: str = "") -> list[dict]:
    return [
        entry_of(e)
        for e in AuditEntry.objects.filter(action__startswith=action_prefix).order_by("pk")
    ]


def target(obj) -> tuple:
    return (type(obj), str(obj.pk), str(obj))


@pytest.fixture
def bus_trip(db):
    """A bus of 40 STANDARD seats on ST1-ST2-ST3 (100 km a leg), with its company admin."""
    made = make_trip(
        company=CompanyFactory(kind=Company.Kind.BUS), coaches=[("B1", "STANDARD")], stops=3
    )
    trip = Trip.objects.get(pk=made.pk)  # its times read back in UTC, as entries show
    trip.admin = staff_user(trip.route.company, email="admin@operator.test")
    return trip


def book(trip, passengers, *, user=None, quota="GENERAL"):
    return booking_create(
        user=user or funded_user(),
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST3",
        class_code="STANDARD",
        quota=quota,
        passengers=passengers,
        now=trip.departure_at - timedelta(days=2),
    )


# --- audit_record -------------------------------------------------------------------------


def test_an_entry_names_the_actor_the_target_and_the_targets_company(bus_trip):
    entry = audit_record(
        actor=bus_trip.admin, action="trip.noted", target=bus_trip, data={"note": "x"}
    )

    assert entry_of(entry) == {
        "actor": bus_trip.admin,
        "actor_name": "admin@operator.test",
        "action": "trip.noted",
        "target": target(bus_trip),
        "company": bus_trip.route.company,
        "data": {"note": "x"},
    }
    assert list(audit_entries_for_target(target=bus_trip)) == [entry]


def test_an_automatic_entry_names_its_process_and_no_user(bus_trip):
    named = audit_record(actor="system:charting", action="trip.noted", target=bus_trip)
    unnamed = audit_record(actor=None, action="trip.noted", target=bus_trip)

    assert (named.actor, named.actor_name, named.data) == (None, "system:charting", {})
    assert (unnamed.actor, unnamed.actor_name) == (None, "system")


def test_an_entry_rolled_back_with_its_change_is_not_kept(bus_trip):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=bus_trip.admin, action="trip.noted", target=bus_trip)
        raise RuntimeError("the change failed")

    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        {"day": date(2030, 1, 7)},  # a date, not its ISO text
        {"legs": (1, 2)},  # a tuple would read back as a list
        {1: "x"},  # a key that would read back as "1"
        {"amount": float("nan")},
        ["not", "a", "dict"],
    ],
)
def test_data_that_is_not_json_as_given_is_refused_before_writing(bus_trip, data):
    with pytest.raises(TypeError):
        audit_record(actor=None, action="trip.noted", target=bus_trip, data=data)

    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("action", ["cancelled", "Trip.Cancelled", "trip.", "trip cancelled"])
def test_an_action_not_in_dotted_form_is_refused(bus_trip, action):
    with pytest.raises(ValueError):
        audit_record(actor=None, action=action, target=bus_trip)

    assert AuditEntry.objects.count() == 0


# --- Trips --------------------------------------------------------------------------------


def test_a_status_change_is_audited_with_the_statuses_and_the_user(bus_trip):
    trip_transition(trip=bus_trip, to_status=TripStatus.BOARDING, by=bus_trip.admin)

    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.status_changed",
            "target": target(bus_trip),
            "company": bus_trip.route.company,
            "data": {"from": "scheduled", "to": "boarding", "reason": ""},
        }
    ]


def test_a_status_change_refused_writes_no_entry(bus_trip):
    with pytest.raises(InvalidStatusTransition):
        trip_transition(trip=bus_trip, to_status=TripStatus.ARRIVED, by=bus_trip.admin)

    assert entries() == []


def test_cancelling_a_trip_audits_the_trip_and_each_booking_refunded(bus_trip):
    holder = funded_user()
    pnr = book(bus_trip, [adult("Asha", 34, "F"), adult("Ravi")], user=holder)

    trip_cancel(trip=bus_trip, by=bus_trip.admin, reason="Landslide near ST2")

    company = bus_trip.route.company
    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.cancelled",
            "target": target(Trip.objects.get(pk=bus_trip.pk)),
            "company": company,
            "data": {"from": "scheduled", "to": "cancelled", "reason": "Landslide near ST2"},
        },
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "booking.cancelled",
            "target": target(pnr),
            "company": company,
            "data": {
                "cause": "trip_cancelled",
                "passengers": [1, 2],
                "policy": "full",
                "fare": 2 * FARE,
                "charge": 0,
                "refund": 2 * FARE,
                "currency": "INR",
            },
        },
    ]


def test_a_passengers_cancellation_is_audited_with_the_refund_by_policy(bus_trip):
    holder = funded_user(email="asha@example.test")
    pnr = book(bus_trip, [adult("Asha", 34, "F"), adult("Ravi")], user=holder)
    passenger = pnr.passengers.get(index=2)

    cancellation = booking_cancel(
        pnr=pnr,
        by=holder,
        passenger_ids=[passenger.pk],
        now=bus_trip.departure_at - timedelta(hours=30),
    )

    assert (cancellation.fare, cancellation.refund) == (FARE, 15_000)  # tiered: 24 h, 75 %
    assert entries() == [
        {
            "actor": holder,
            "actor_name": "asha@example.test",
            "action": "booking.cancelled",
            "target": target(Pnr.objects.get(pk=pnr.pk)),
            "company": bus_trip.route.company,
            "data": {
                "cause": "passenger",
                "passengers": [2],
                "policy": "tiered",
                "fare": FARE,
                "charge": 5_000,
                "refund": 15_000,
                "currency": "INR",
            },
        }
    ]


def test_updating_a_trips_drivers_is_audited_with_before_and_after(bus_trip):
    first = staff_user(bus_trip.route.company, role=Role.DRIVER)
    second = staff_user(bus_trip.route.company, role=Role.DRIVER)
    bus_trip.drivers.add(first)

    trip_update(trip=bus_trip, by=bus_trip.admin, drivers=[second], reason="Rota")

    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.updated",
            "target": target(bus_trip),
            "company": bus_trip.route.company,
            "data": {"drivers": [[first.pk], [second.pk]], "reason": "Rota"},
        }
    ]


def test_an_update_that_changes_nothing_writes_no_entry(bus_trip):
    trip_update(trip=bus_trip, by=bus_trip.admin, vehicle=bus_trip.vehicle)

    assert entries() == []


def spare_bus(company, code="SPARE", rows=10):
    return vehicle_create(
        company=company,
        code=code,
        kind="bus",
        coaches=[
            ("B1", travel_class_standard(code="STANDARD"), standard_layout(kind="BUS22", rows=rows))
        ],
    )


def test_a_vehicle_swap_is_audited_with_the_vehicles_and_the_reseating(bus_trip):
    book(bus_trip, [adult("Asha", 34, "F")])
    before = bus_trip.vehicle_id
    spare = spare_bus(bus_trip.route.company)

    vehicle_swap(trip=bus_trip, vehicle=spare, by=bus_trip.admin, reason="Breakdown")

    assert entries("trip.") == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.vehicle_swapped",
            "target": target(Trip.objects.get(pk=bus_trip.pk)),
            "company": bus_trip.route.company,
            "data": {
                "vehicle": [before, spare.pk],
                "reason": "Breakdown",
                "seats": {"STANDARD": 40},
                "kept": 1,
                "reseated": 0,
                "renumbered": [],
            },
        }
    ]


def test_a_vehicle_swap_refused_writes_no_entry(bus_trip):
    book(bus_trip, [adult(f"P{i}") for i in range(6)])
    small = spare_bus(bus_trip.route.company, code="MINI", rows=1)

    with pytest.raises(Exception) as refused:
        vehicle_swap(trip=bus_trip, vehicle=small, by=bus_trip.admin)

    assert refused.value.code == "vehicle_swap_refused"
    assert entries() == []


def test_deleting_a_trip_keeps_its_history(bus_trip):
    trip_pk, shown = bus_trip.pk, str(bus_trip)

    trip_delete(trip=bus_trip, by=bus_trip.admin)

    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "trip.deleted",
            "target": (Trip, str(trip_pk), shown),
            "company": bus_trip.route.company,
            "data": {
                "route": bus_trip.route.number,
                "service_date": "2030-01-07",
                "departure_at": "2030-01-07T02:30:00+00:00",
            },
        }
    ]


# --- Promotion and charting ---------------------------------------------------------------


@pytest.fixture
def full_bus(bus_trip):
    """Every one of the 40 seats sold (10 PNRs of four), then one PNR waitlisted."""
    sold = [book(bus_trip, [adult(f"P{i}{j}") for j in range(4)]) for i in range(10)]
    waiting = book(bus_trip, [adult("Wait")])
    assert waiting.passengers.get().status == "WL"
    return bus_trip, sold, waiting


def test_a_promotion_run_that_moved_someone_is_audited_as_automatic(full_bus):
    trip, sold, waiting = full_bus
    with transaction.atomic():  # the promotion task runs after the commit
        booking_cancel(pnr=sold[0], by=sold[0].user, passenger_ids=[sold[0].passengers.first().pk])
    AuditEntry.objects.filter(action="booking.cancelled").delete()
    trip_class = TripClass.objects.get(trip=trip)

    promote_waitlist(trip_class_id=trip_class.pk)
    promote_waitlist(trip_class_id=trip_class.pk)  # nobody left: no entry

    seat = waiting.passengers.get().seat
    assert entries() == [
        {
            "actor": None,
            "actor_name": "system:promotion",
            "action": "promotion.run",
            "target": target(trip),
            "company": trip.route.company,
            "data": {
                "class": "STANDARD",
                "cause": "cancellation",
                "moves": [
                    {
                        "pnr": waiting.number,
                        "passenger": 1,
                        "from": "WL",
                        "to": "CNF",
                        "coach": "B1",
                        "seat": seat.number,
                        "half": 0,
                    }
                ],
            },
        }
    ]


def test_charting_is_audited_with_its_summary_by_the_automatic_process(full_bus):
    trip, _, _ = full_bus

    chart_prepare(trip=trip, now=trip.departure_at - timedelta(hours=8))

    assert entries("charting.") == [
        {
            "actor": None,
            "actor_name": "system:charting",
            "action": "charting.prepared",
            "target": target(trip),
            "company": trip.route.company,
            "data": {
                "released_to_women": 0,
                "released_to_seniors": 0,
                "promoted": 0,
                "pnrs_cancelled": 1,
                "refunded": FARE,
                "confirmed": 40,
                "rac": 0,
                "waitlisted": 0,
            },
        }
    ]
    assert [e["data"]["cause"] for e in entries("booking.")] == ["charting"]
    assert entries("booking.")[0]["actor_name"] == "system:charting"


def test_charting_by_staff_names_them(bus_trip):
    book(bus_trip, [adult("Asha", 34, "F")])

    chart_prepare(trip=bus_trip, by=bus_trip.admin)

    assert [(e["actor"], e["action"]) for e in entries()] == [(bus_trip.admin, "charting.prepared")]


# --- Ticket keys ---------------------------------------------------------------------------


@pytest.fixture
def keys_in_database():
    with override_settings(TTMS_TICKET_KEYS=""):
        yield


@pytest.mark.usefixtures("keys_in_database")
def test_rotating_and_revoking_ticket_keys_from_the_command_is_audited():
    first = ticket_keys.keyring().signing.kid
    call_command("ticket_keys", "rotate", stdout=open("/dev/null", "w"))  # noqa: SIM115
    second = TicketKey.objects.get(state=TicketKey.State.ACTIVE)
    call_command("ticket_keys", "revoke", first, stdout=open("/dev/null", "w"))  # noqa: SIM115
    revoked = TicketKey.objects.get(kid=first)

    assert entries() == [
        {
            "actor": None,
            "actor_name": "command:ticket_keys",
            "action": "ticket_key.rotated",
            "target": target(second),
            "company": None,
            "data": {"kid": second.kid, "retired": [first]},
        },
        {
            "actor": None,
            "actor_name": "command:ticket_keys",
            "action": "ticket_key.revoked",
            "target": target(revoked),
            "company": None,
            "data": {"kid": first},
        },
    ]


@pytest.mark.usefixtures("keys_in_database")
def test_revoking_the_signing_key_is_refused_and_writes_no_entry():
    kid = ticket_keys.keyring().signing.kid

    with pytest.raises(ticket_keys.KeyConfigurationError):
        ticket_keys.key_revoke(kid, by="command:ticket_keys")

    assert entries() == []


# --- Money: settlements --------------------------------------------------------------------


@pytest.fixture
def earning_company(bus_trip):
    book(bus_trip, [adult("Asha", 34, "F")])  # 20,000 paid; 5 % commission
    return bus_trip.route.company


def test_a_settlement_paid_is_audited_with_its_amount(earning_company, bus_trip):
    txn = payout_record(
        company=earning_company, amount=9_000, reference_id="NEFT-001", created_by=bus_trip.admin
    )

    assert entries() == [
        {
            "actor": bus_trip.admin,
            "actor_name": "admin@operator.test",
            "action": "settlement.paid",
            "target": target(earning_company),
            "company": earning_company,
            "data": {
                "amount": 9_000,
                "currency": "INR",
                "reference_id": "NEFT-001",
                "transaction": txn.pk,
                "unsettled_before": 19_000,
            },
        }
    ]


def test_a_settlement_refused_writes_no_entry(earning_company):
    with pytest.raises(PayoutNotAllowed):
        payout_record(company=earning_company, amount=19_001, reference_id="NEFT-1")
    payout_record(company=earning_company, amount=100, reference_id="NEFT-2")
    with pytest.raises(PayoutNotAllowed):  # the same reference twice
        payout_record(company=earning_company, amount=100, reference_id="NEFT-2")

    assert [(e["action"], e["data"]["reference_id"]) for e in entries()] == [
        ("settlement.paid", "NEFT-2")
    ]


# --- Company rules and fares ---------------------------------------------------------------


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
