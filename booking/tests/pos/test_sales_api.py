"""POST /api/v1/pos/sales/: a cash sale at the counter, with the change due."""

import uuid

import pytest
import time_machine

from booking.models import Pnr
from booking.tests.factories import funded_user, make_trip
from fleet.models import Company
from payments.models import IdempotencyRecord, Transaction
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.models import OutboxMessage

from .support import NOW, agent_of, drawer_cash, sell, signed_in

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


def test_a_sale_answers_the_pnr_the_change_and_the_ticket_links(api_client, trip):
    agent = agent_of(trip.route.company)
    client = signed_in(api_client, agent)

    response = sell(client, trip, passengers=2, cash_given=10_000_000)

    assert response.status_code == 201, response.json()
    body = response.json()
    total = body["total_fare"]
    assert total > 0
    assert body["cash_given"] == 10_000_000
    assert body["change_due"] == 10_000_000 - total
    assert body["buyer"] == {"name": "Aline Uwase", "phone": "+250788123456"}
    assert [p["status"] for p in body["passengers"]] == ["CNF", "CNF"]
    assert all(p["coach"] == "S1" and p["seat"] for p in body["passengers"])
    ids = [p["id"] for p in body["passengers"]]
    assert [t["passenger"] for t in body["tickets"]] == ids
    assert body["tickets"][0]["png"].endswith(f"/bookings/{body['pnr']}/tickets/{ids[0]}/qr.png")
    pnr = Pnr.objects.get(number=body["pnr"])
    assert (pnr.user, pnr.booked_by, pnr.buyer_phone) == (agent, agent, "+250788123456")
    # The cash is in the agent's drawer, as the ledger says.
    assert drawer_cash(agent, body["currency"]) == total
    # The buyer gets the SMS ticket.
    assert OutboxMessage.objects.get(topic="booking.confirmed").phone == "+250788123456"
    # The agent fetches the QR the link names.
    png = client.get(body["tickets"][0]["png"])
    assert png.status_code == 200 and png["Content-Type"] == "image/png"


def test_a_replayed_key_sells_once(api_client, trip):
    agent = agent_of(trip.route.company)
    client = signed_in(api_client, agent)
    key = str(uuid.uuid4())

    first = sell(client, trip, key=key)
    again = sell(client, trip, key=key)

    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Pnr.objects.count() == 1
    assert drawer_cash(agent, first.json()["currency"]) == first.json()["total_fare"]
    other = sell(client, trip, key=key, cash_given=9_999_999)
    assert other.status_code == 422


def test_cash_short_of_the_fare_is_refused_and_nothing_is_written(api_client, trip):
    agent = agent_of(trip.route.company)
    client = signed_in(api_client, agent)
    fare = sell(client, trip).json()["total_fare"]
    transactions = Transaction.objects.count()

    response = sell(client, trip, cash_given=fare - 1)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "insufficient_cash"
    assert "cash_given" in error["fields"]
    assert Pnr.objects.count() == 1
    assert Transaction.objects.count() == transactions
    assert drawer_cash(agent, "INR") == fare
    # Exactly the fare is enough, with no change.
    exact = sell(client, trip, cash_given=fare)
    assert exact.status_code == 201 and exact.json()["change_due"] == 0


@pytest.mark.parametrize("role", [Role.PASSENGER, Role.DRIVER, Role.COMPANY_ADMIN])
def test_only_station_agents_sell(api_client, trip, role):
    user = funded_user(role=role)
    response = sell(signed_in(api_client, user), trip)
    assert response.status_code == 403
    assert "error" in response.json()
    assert Pnr.objects.count() == 0


def test_an_agent_of_another_company_cannot_sell_its_trips(api_client, trip):
    other = Company.objects.create(name="Other", slug="other", kind=Company.Kind.RAIL)
    response = sell(signed_in(api_client, agent_of(other)), trip)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "pos_refused"
    assert Pnr.objects.count() == 0


def test_signed_out_and_without_a_key(api_client, trip):
    assert sell(api_client, trip).status_code == 401
    client = signed_in(api_client, agent_of(trip.route.company))
    response = client.post("/api/v1/pos/sales/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"


@pytest.mark.parametrize(
    "change",
    [
        {"buyer": {"name": "A", "phone": "0788123456"}},
        {"buyer": {"name": "A", "phone": "+250 788 123"}},
        {"buyer": {"name": "", "phone": "+250788123456"}},
        {"cash_given": -1},
        {"cash_given": "lots"},
        {"passengers": []},
        {"trip": 999999},
    ],
)
def test_bad_input_is_a_clear_4xx_and_writes_nothing(api_client, trip, change):
    client = signed_in(api_client, agent_of(trip.route.company))
    response = sell(client, trip, body=change)
    assert 400 <= response.status_code < 500, response.content
    assert "error" in response.json()
    assert Pnr.objects.count() == 0
    assert not Transaction.objects.exists()


def test_the_idempotency_record_links_the_sale(api_client, trip):
    agent = agent_of(trip.route.company)
    response = sell(signed_in(api_client, agent), trip)
    record = IdempotencyRecord.objects.get(user=agent, scope="pos.sale")
    assert record.response_status == 201
    txn = Transaction.objects.get(kind="cash_sale")
    assert txn.idempotency_record == record
    assert txn.reference_id == response.json()["pnr"]


def test_a_passenger_gets_no_sale_from_a_user_token(api_client, trip):
    # A passenger's account is not an agent even with a membership row of another role.
    user = UserFactory(role=Role.PASSENGER)
    assert sell(signed_in(api_client, user), trip).status_code == 403


def test_the_public_status_check_finds_a_cash_pnr_by_the_buyers_phone(api_client, client, trip):
    agent = agent_of(trip.route.company)
    agent.email, agent.phone = "agent@example.com", "+919812345678"
    agent.save(update_fields=["email", "phone"])
    # A name with a space, which no random CSRF token on the page can contain.
    passenger = {"name": "Zebulon Quartermaine", "age": 30, "gender": "M"}
    sold = sell(signed_in(api_client, agent), trip, body={"passengers": [passenger]})
    number = sold.json()["pnr"]

    found = client.post("/pnr-status/", {"pnr": number, "contact": "+250 788 123 456"})
    assert found.status_code == 200
    assert "Zebulon Quartermaine" in found.content.decode()
    # The agent's own contact is not the buyer's: the same answer as a wrong contact.
    for contact in ("agent@example.com", "+919812345678", "+250788123457"):
        missed = client.post("/pnr-status/", {"pnr": number, "contact": contact})
        assert "Zebulon Quartermaine" not in missed.content.decode()
