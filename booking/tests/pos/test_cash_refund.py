"""Cancelling a cash sale: POST /api/v1/pos/sales/{pnr}/cancel/ pays the refund in cash from
the cancelling agent's drawer; a trip the operator cancels refunds from the seller's."""

import uuid

import pytest
import time_machine

from booking.invariants import pnr_charges_equal_ledger
from booking.lifecycle.services.trips import trip_status_change
from booking.models import Passenger, Pnr
from booking.tests.api.support import _book, _client, _people
from booking.tests.factories import funded_user, make_trip
from fleet.models import Company
from payments.models import Transaction
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry
from ttms.notifications.models import OutboxMessage

from .support import NOW, agent_of, cancel, drawer_cash, sell, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def trip(db):
    company = Company.objects.create(
        name="Indian Rail", slug="ir", kind=Company.Kind.RAIL, quota_distribution={"SL": {}}
    )
    return make_trip(company=company)


def _sold(api_client, trip, agent, passengers=2) -> dict:
    response = sell(signed_in(api_client, agent), trip, passengers=passengers)
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_partial_cancel_hands_back_the_refund_from_the_drawer(api_client, trip):
    agent = agent_of(trip.route.company)
    sale = _sold(api_client, trip, agent)
    first = sale["passengers"][0]["id"]

    response = cancel(api_client, sale["pnr"], passengers=[first])

    assert response.status_code == 200, response.json()
    body = response.json()
    # 18 days ahead, the default policy keeps 10 %.
    fare = sale["passengers"][0]["fare"]
    assert body["refund"] == fare - fare // 10 > 0
    assert body["refund_text"]
    statuses = {p["id"]: p["status"] for p in body["booking"]["passengers"]}
    assert statuses[first] == "CAN"
    assert drawer_cash(agent, sale["currency"]) == sale["total_fare"] - body["refund"]
    refund = Transaction.objects.get(kind="cash_refund")
    assert refund.reference_id == sale["pnr"] and refund.created_by == agent
    assert Passenger.objects.get(pk=first).refund == body["refund"]
    # The buyer is told by SMS, the agent is not.
    told = OutboxMessage.objects.get(topic="pnr.cancelled")
    assert (told.user, told.phone) == (None, "+250788123456")
    assert AuditEntry.objects.filter(action="booking.cancelled").exists()
    assert pnr_charges_equal_ledger() == []


def test_another_agent_of_the_company_pays_from_their_own_drawer(api_client, trip):
    seller = agent_of(trip.route.company)
    sale = _sold(api_client, trip, seller)
    colleague = agent_of(trip.route.company)
    # The colleague took a sale of their own first, so their drawer holds cash.
    own = _sold(api_client, trip, colleague, passengers=3)

    response = cancel(signed_in(api_client, colleague), sale["pnr"])

    assert response.status_code == 200, response.json()
    refund = response.json()["refund"]
    assert drawer_cash(seller, sale["currency"]) == sale["total_fare"]
    assert drawer_cash(colleague, sale["currency"]) == own["total_fare"] - refund


def test_a_drawer_short_of_the_refund_refuses_and_writes_nothing(api_client, trip):
    sale = _sold(api_client, trip, agent_of(trip.route.company))
    empty = agent_of(trip.route.company)

    response = cancel(signed_in(api_client, empty), sale["pnr"])

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_cash"
    assert not Passenger.objects.filter(status="CAN").exists()
    assert not Transaction.objects.filter(kind="cash_refund").exists()


def test_a_replayed_key_refunds_once(api_client, trip):
    agent = agent_of(trip.route.company)
    sale = _sold(api_client, trip, agent)
    key = str(uuid.uuid4())

    first = cancel(api_client, sale["pnr"], key=key)
    again = cancel(api_client, sale["pnr"], key=key)

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert Transaction.objects.filter(kind="cash_refund").count() == 1
    assert drawer_cash(agent, sale["currency"]) == sale["total_fare"] - first.json()["refund"]
    # A new key: everything is cancelled already.
    assert cancel(api_client, sale["pnr"]).status_code == 409


def test_refusals(api_client, trip):
    agent = agent_of(trip.route.company)
    sale = _sold(api_client, trip, agent)
    # A wallet PNR: its holder cancels it online.
    holder = funded_user()
    wallet_pnr = _book(_client(api_client, holder), trip, _people(1)).json()["pnr"]
    client = signed_in(api_client, agent)
    refused = cancel(client, wallet_pnr)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "pos_refused"
    # Another company's agent.
    other = Company.objects.create(name="Other", slug="other", kind=Company.Kind.RAIL)
    assert cancel(signed_in(api_client, agent_of(other)), sale["pnr"]).status_code == 403
    # Not an agent at all.
    assert (
        cancel(signed_in(api_client, UserFactory(role=Role.PASSENGER)), sale["pnr"]).status_code
        == 403
    )
    # No such PNR.
    assert cancel(signed_in(api_client, agent), "1234567890").status_code == 404
    # Not a passenger of this PNR.
    assert cancel(client, sale["pnr"], passengers=[999999]).status_code == 400
    assert not Transaction.objects.filter(kind__in=["cash_refund", "booking_refund"]).exists()
    assert Pnr.objects.get(number=wallet_pnr).passengers.filter(status="CAN").count() == 0


def test_the_operator_cancelling_the_trip_leaves_the_cash_refund_owed_by_its_cash_office(
    api_client, trip
):
    """No agent pays it out then: the company's cash office owes the whole fare (never
    short of cash, as the seller's drawer may be once the shift's takings are handed over),
    and the buyer collects it at a counter."""
    seller = agent_of(trip.route.company)
    sale = _sold(api_client, trip, seller)
    taken = drawer_cash(seller, sale["currency"])
    operator = UserFactory(role=Role.COMPANY_ADMIN)

    change = trip_status_change(trip=trip, to_status="cancelled", by=operator, reason="Flood")

    assert not change.cancel.pending
    assert drawer_cash(seller, sale["currency"]) == taken  # the drawer pays nothing
    refund = Transaction.objects.get(kind="cash_refund")
    assert refund.created_by == operator
    office = refund.entries.get(account__kind="company_cash")
    assert office.amount == sale["total_fare"]
    assert pnr_charges_equal_ledger() == []
