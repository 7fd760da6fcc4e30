"""The counter page of station agents (booking.views.pos)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from booking.models import Passenger, PassengerStatus, Pnr
from booking.tests.factories import make_trip
from fleet.models import CompanyMembership, Station
from payments.ledger.accounts import drawer_get_or_create
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.money import format_money

pytestmark = pytest.mark.django_db

PHONE = "+250788123456"


@pytest.fixture
def counter():
    """A trip ST1 -> ST4 leaving in two hours, and an agent of its operator at ST1."""
    trip = make_trip()
    agent = UserFactory(role=Role.AGENT)
    CompanyMembership.objects.create(
        user=agent,
        company=trip.route.company,
        role=Role.AGENT,
        home_station=Station.objects.get(code="ST1"),
    )
    with time_machine.travel(trip.departure_at - timedelta(hours=2), tick=False):
        yield trip, agent


def _sale_form(client, trip, seats):
    url = reverse("booking:pos-trip", args=[trip.pk])
    page = client.get(url, {"from": "ST1", "to": "ST3", "class": "SL", "seat": seats})
    assert page.status_code == 200
    token = re.search(r'name="token" value="([0-9a-f]{32})"', page.content.decode())[1]
    data = {
        "from": "ST1",
        "to": "ST3",
        "class": "SL",
        "token": token,
        "rows": len(seats),
        "buyer_name": "Aline Uwase",
        "buyer_phone": PHONE,
        "given": "5000",
    }
    for i, seat in enumerate(seats):
        data |= {f"p{i}-name": f"P{i}", f"p{i}-age": 30, f"p{i}-gender": "F", f"p{i}-seat": seat}
    return url, data


def test_the_counter_is_for_station_agents_only(client, counter):
    trip, agent = counter
    url = reverse("booking:pos")

    assert client.get(url).status_code == 302  # signed out: to sign in
    client.force_login(UserFactory(role=Role.PASSENGER))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(role=Role.AGENT))  # an agent of no company
    assert client.get(url).status_code == 403
    client.force_login(agent)
    page = client.get(url)
    assert page.status_code == 200
    assert reverse("booking:pos-trip", args=[trip.pk]) in page.content.decode()


def test_an_agent_of_another_company_cannot_open_its_trips(client, counter):
    trip, _agent = counter
    other = make_trip(code_prefix="OT")
    stranger = UserFactory(role=Role.AGENT)
    CompanyMembership.objects.create(user=stranger, company=other.route.company, role=Role.AGENT)
    client.force_login(stranger)

    page = client.get(
        reverse("booking:pos-trip", args=[trip.pk]), {"from": "ST1", "to": "ST3", "class": "SL"}
    )

    assert page.status_code == 403


def test_agents_land_on_the_counter_after_signing_in(client, counter):
    _trip, agent = counter
    agent.set_password("counter-pass-123")
    agent.save()

    answer = client.post(
        reverse("accounts:login"), {"username": agent.email, "password": "counter-pass-123"}
    )

    assert answer.status_code == 302
    assert answer["Location"] == reverse("booking:pos")


def test_a_sale_sent_twice_books_once_with_the_change_on_the_receipt(client, counter):
    trip, agent = counter
    client.force_login(agent)
    url, data = _sale_form(client, trip, ["S1-14", "S1-19"])

    first = client.post(url, data)
    second = client.post(url, data)

    pnr = Pnr.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert first["Location"].startswith(reverse("booking:pos-sale", args=[pnr.number]))
    assert (pnr.buyer_name, pnr.buyer_phone) == ("Aline Uwase", PHONE)
    assert sorted(Passenger.objects.values_list("seat__number", flat=True)) == ["14", "19"]
    assert drawer_get_or_create(agent=agent, currency=pnr.currency).balance == pnr.total_fare
    receipt = client.get(first["Location"]).content.decode()
    given = 5000 * 100
    assert format_money(given - pnr.total_fare, pnr.currency) in receipt
    assert f"SMS with the ticket sent to {PHONE}" in receipt
    assert receipt.count("<svg") >= 2  # a QR per passenger


def test_cash_short_of_the_fare_sells_nothing(client, counter):
    trip, agent = counter
    client.force_login(agent)
    url, data = _sale_form(client, trip, ["S1-1"])

    page = client.post(url, {**data, "given": "1"})

    assert page.status_code == 400
    assert "does not cover the fare" in page.content.decode()
    assert not Pnr.objects.exists()


def test_the_change_due_as_the_cash_is_typed(client, counter):
    _trip, agent = counter
    client.force_login(agent)
    url = reverse("booking:pos-change")

    enough = client.get(url, {"total": 123450, "currency": "INR", "given": "1500"})
    short = client.get(url, {"total": 123450, "currency": "INR", "given": "1000"})

    assert "Change due" in enough.content.decode()
    assert "265.50" in enough.content.decode()
    assert "234.50" in short.content.decode() and "short" in short.content.decode()
    assert client.get(url, {"total": 1, "currency": "XXQ"}).status_code == 400


def test_a_sale_form_without_its_token_or_with_bad_fields_sells_nothing(client, counter):
    trip, agent = counter
    client.force_login(agent)
    url, data = _sale_form(client, trip, ["S1-14"])

    no_token = client.post(url, {**data, "token": "not-a-token"})
    bad_phone = client.post(url, {**data, "buyer_phone": "12", "given": "12,5x"})
    bad_rows = client.post(url, {**data, "rows": "many"})

    assert no_token.status_code == 400
    assert bad_phone.status_code == 400
    assert "Enter the cash given as an amount." in bad_phone.content.decode()
    assert bad_rows.status_code == 302  # one row, as sent
    assert Pnr.objects.count() == 1


def test_an_unknown_station_is_said_so(client, counter):
    _trip, agent = counter
    client.force_login(agent)

    page = client.get(reverse("booking:pos"), {"station": "NOPE", "hours": "x"})

    assert page.status_code == 400
    assert "No station has the code NOPE." in page.content.decode()


def test_cancelling_one_passenger_shows_the_cash_refund(client, counter):
    trip, agent = counter
    client.force_login(agent)
    # A day ahead: the railway refunds nothing in the last four hours.
    with time_machine.travel(trip.departure_at - timedelta(days=1), tick=False):
        url, data = _sale_form(client, trip, ["S1-14", "S1-19"])
        client.post(url, data)
        pnr = Pnr.objects.get()
        second = pnr.passengers.order_by("index").last()

        answer = client.post(
            reverse("booking:pos-sale-cancel", args=[pnr.number]), {"passenger": second.pk}
        )

        assert answer.status_code == 302
        assert answer["Location"] == reverse("booking:pos-sale", args=[pnr.number])
        second.refresh_from_db()
        assert second.status == PassengerStatus.CANCELLED
        refund = format_money(second.cancellation.refund, pnr.currency)
        assert second.cancellation.refund > 0
        assert f"Cancelled. Give back {refund} in cash." in client.get(answer["Location"]).text
        again = client.post(
            reverse("booking:pos-sale-cancel", args=[pnr.number]), {"passenger": second.pk}
        )
        assert again.status_code == 302
        drawer = drawer_get_or_create(agent=agent, currency=pnr.currency)
        assert drawer.balance == pnr.total_fare - second.cancellation.refund
