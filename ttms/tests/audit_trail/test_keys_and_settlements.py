"""The audit trail of the ticket keys rotated and revoked from the command, and of settlements
paid (DESIGN.md 9).

Each test performs one service action and asserts the exact entry; each refusal asserts
that no entry was written."""

import pytest
from django.core.management import call_command
from django.test import override_settings

from booking.boarding import ticket_keys
from booking.models import TicketKey
from booking.tests.factories import adult
from payments.exceptions import PayoutNotAllowed
from payments.ledger.clearing import payout_record

from .support import book, entries, target

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


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
