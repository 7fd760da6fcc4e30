"""POST /api/v1/pos/shifts/open/, .../close/, GET .../current/: the agent's own shift."""

import pytest

from booking.models import Shift
from fleet.tests.factories import CompanyFactory, MembershipFactory, StationFactory
from payments.ledger.sales import cash_sale
from payments.models import Account
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OPEN, CLOSE, CURRENT = (
    "/api/v1/pos/shifts/open/",
    "/api/v1/pos/shifts/close/",
    "/api/v1/pos/shifts/current/",
)


@pytest.fixture
def company():
    return CompanyFactory(name="Volcano Express", currency="RWF", commission_bp=500)


@pytest.fixture
def station():
    return StationFactory(code="KGL", name="Kigali", time_zone="Africa/Kigali")


@pytest.fixture
def agent(company, station):
    user = UserFactory(role=Role.AGENT)
    MembershipFactory(user=user, company=company, role=Role.AGENT, home_station=station)
    return user


@pytest.fixture
def client(api_client, agent):
    api_client.force_authenticate(agent)
    return api_client


def post(client, url, data, key):
    return client.post(url, data, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_open_sell_close_through_the_api(client, agent, company, settings):
    settings.TTMS_POS_SHIFT_TOLERANCE = 100
    opened = post(client, OPEN, {"float_amount": 5000}, "open-1")
    assert opened.status_code == 201, opened.json()
    body = opened.json()
    assert (body["station"], body["time_zone"], body["currency"]) == (
        "KGL",
        "Africa/Kigali",
        "RWF",
    )
    assert body["opened_at"].endswith("+02:00")
    assert (body["float_amount"], body["drawer_now"], body["closed_at"]) == (5000, 5000, None)

    cash_sale(agent=agent, company=company, amount=7000, reference_type="pnr", reference_id="1")
    current = client.get(CURRENT)
    assert current.status_code == 200
    assert current.json()["drawer_now"] == 12000

    closed = post(client, CLOSE, {"counted": 11800, "note": "coins short"}, "close-1")
    assert closed.status_code == 200, closed.json()
    body = closed.json()
    assert (body["expected"], body["counted"], body["difference"], body["flagged"]) == (
        12000,
        11800,
        -200,
        True,
    )
    assert body["drawer_now"] is None
    assert Account.objects.get(kind="drawer", user=agent).balance == 0
    assert client.get(CURRENT).status_code == 404

    replay = post(client, CLOSE, {"counted": 11800, "note": "coins short"}, "close-1")
    assert replay.json() == closed.json()
    assert Shift.objects.count() == 1


def test_a_second_open_is_409_in_the_one_error_shape(client):
    assert post(client, OPEN, {"float_amount": 0}, "a").status_code == 201

    second = post(client, OPEN, {"float_amount": 100}, "b")

    assert second.status_code == 409
    assert second.json()["error"]["code"] == "shift_already_open"
    assert Shift.objects.count() == 1


def test_close_without_a_shift_is_409(client):
    response = post(client, CLOSE, {"counted": 0}, "c")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_open_shift"


@pytest.mark.parametrize(
    "data,field",
    [
        ({"float_amount": -1}, "float_amount"),
        ({"float_amount": "lots"}, "float_amount"),
        ({}, "float_amount"),
        ({"float_amount": 10, "station": "NOPE"}, "station"),
    ],
)
def test_bad_input_is_400_and_opens_nothing(client, data, field):
    response = post(client, OPEN, data, "bad")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Shift.objects.exists()


def test_a_station_other_than_home_may_be_named(client, agent):
    StationFactory(code="HYE", name="Huye", time_zone="Africa/Kigali")
    response = post(client, OPEN, {"float_amount": 0, "station": "hye"}, "st")
    assert response.status_code == 201
    assert Shift.objects.get(agent=agent).station.code == "HYE"


@pytest.mark.parametrize("role", [Role.PASSENGER, Role.COMPANY_ADMIN, Role.DRIVER])
def test_non_agents_are_refused(api_client, company, role):
    user = UserFactory(role=role)
    if role != Role.PASSENGER:
        MembershipFactory(user=user, company=company, role=role)
    api_client.force_authenticate(user)

    assert post(api_client, OPEN, {"float_amount": 100}, "x").status_code == 403
    assert post(api_client, CLOSE, {"counted": 100}, "y").status_code == 403
    assert api_client.get(CURRENT).status_code == 403
    assert not Shift.objects.exists()


def test_anonymous_is_401(api_client):
    assert api_client.get(CURRENT).status_code == 401
