"""A booking paid in cash to a station agent (`booking_create(cash=CashBuyer(...))`)."""

from datetime import timedelta

import pytest

from booking.models import Pnr
from booking.sales.services.create import CashBuyer, booking_create
from booking.tests.factories import adult, make_trip
from payments.ledger.accounts import drawer_get_or_create
from payments.models import Account
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_a_cash_sale_goes_into_the_agents_drawer_and_the_buyer_is_told_by_sms():
    trip = make_trip()
    agent = UserFactory(role=Role.AGENT)
    wallets_before = Account.objects.filter(kind="wallet").count()

    pnr = booking_create(
        user=agent,
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST3",
        class_code="SL",
        quota="GENERAL",
        passengers=[adult("Aline"), adult("Eric")],
        now=trip.departure_at - timedelta(days=1),
        cash=CashBuyer(agent=agent, name="Aline Uwase", phone="+250788123456"),
    )

    pnr = Pnr.objects.get(pk=pnr.pk)
    assert (pnr.user, pnr.booked_by) == (agent, agent)
    assert (pnr.buyer_name, pnr.buyer_phone) == ("Aline Uwase", "+250788123456")
    drawer = drawer_get_or_create(agent=agent, currency=pnr.currency)
    # A drawer's balance is what it owes the company: the cash it took.
    assert drawer.balance == pnr.total_fare > 0
    assert Account.objects.filter(kind="wallet").count() == wallets_before
    confirmed = OutboxMessage.objects.get(topic="booking.confirmed")
    assert (confirmed.user, confirmed.phone) == (None, "+250788123456")
    assert [d.channel for d in confirmed.deliveries.all()] == ["sms"]


def _sell(agent, trip):
    from booking.pos.services.sales import pos_sale_create

    return pos_sale_create(
        agent=agent,
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST3",
        class_code="SL",
        quota="GENERAL",
        passengers=[adult("Aline")],
        buyer_name="Aline Uwase",
        buyer_phone="+250788123456",
        now=trip.departure_at - timedelta(days=1),
    )


def test_only_the_operators_station_agents_sell_its_trips_for_cash():
    from booking.exceptions import PosRefused
    from fleet.models import Company, CompanyMembership

    trip = make_trip()
    company = trip.route.company
    other = Company.objects.create(name="Other Buses", slug="other-buses", kind="bus")
    agent = UserFactory(role=Role.AGENT)
    CompanyMembership.objects.create(user=agent, company=company, role=Role.AGENT)
    outsider = UserFactory(role=Role.AGENT)
    CompanyMembership.objects.create(user=outsider, company=other, role=Role.AGENT)
    passenger = UserFactory(role=Role.PASSENGER)

    assert _sell(agent, trip).buyer_name == "Aline Uwase"
    for refused in (outsider, passenger):
        with pytest.raises(PosRefused):
            _sell(refused, trip)
    assert Pnr.objects.count() == 1
