"""The POS API tests' clock (20 Dec 2029, 12:00 IST, 18 days before their trip leaves), an
agent of the trip's operator with a bearer token, and a sale as a device posts it."""

import uuid
from datetime import datetime

from rest_framework_simplejwt.tokens import RefreshToken

from booking.tests.factories import IST
from fleet.models import CompanyMembership
from payments.ledger.accounts import drawer_get_or_create
from payments.ledger.selectors import account_entries_sum
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

NOW = datetime(2029, 12, 20, 12, 0, tzinfo=IST)
SALES_URL = "/api/v1/pos/sales/"


def agent_of(company, **membership):
    agent = UserFactory(role=Role.AGENT)
    CompanyMembership.objects.create(user=agent, company=company, role=Role.AGENT, **membership)
    return agent


def signed_in(client, user):
    token = RefreshToken.for_user(user).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def sell(client, trip, *, passengers=1, cash_given=10_000_000, key=None, body=None, **extra):
    body = {
        **{
            "trip": trip.pk,
            "from": "ST1",
            "to": "ST3",
            "class": "SL",
            "passengers": [{"name": f"P{i}", "age": 30, "gender": "M"} for i in range(passengers)],
            "buyer": {"name": "Aline Uwase", "phone": "+250788123456"},
            "cash_given": cash_given,
            **extra,
        },
        **(body or {}),
    }
    return client.post(
        SALES_URL, body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4())
    )


def cancel(client, number, *, passengers=None, key=None):
    body = {"passengers": passengers} if passengers else {}
    return client.post(
        f"/api/v1/pos/sales/{number}/cancel/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
    )


def drawer_cash(agent, currency="INR") -> int:
    """The agent's drawer's kept balance, checked against its ledger entries (debit-normal)."""
    drawer = drawer_get_or_create(agent=agent, currency=currency)
    drawer.refresh_from_db()
    assert drawer.balance == -account_entries_sum(account=drawer)
    return drawer.balance
