"""`POST /api/v1/pos/sync/`: the device's agent uploads a batch; per-sale answers, or 409
with the first bad record; never a 500 for a bad body."""

import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from booking.models import Pnr
from booking.models.pos import AuditCase
from booking.tests.buses import make_rwanda_bus

from .test_sync import FARE, NOW, agent_of, enrolled

pytestmark = pytest.mark.django_db
URL = "/api/v1/pos/sync/"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def client_of(user) -> APIClient:
    client = APIClient()
    token = RefreshToken.for_user(user).access_token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def post(client, till, records, signature=None):
    body = {
        "device_id": till.device_id,
        "records": records,
        "signature": signature or till.sign(records),
    }
    return client.post(URL, body, format="json")


def test_the_agent_syncs_a_batch_and_gets_each_sale_answered_once():
    trip = make_rwanda_bus()
    till, device = enrolled(trip.route.company)
    client = client_of(device.agent)
    records = [till.record(trip, passengers=2), till.record(trip, to="NOWHERE")]

    first = post(client, till, records)
    again = post(client, till, records)

    assert first.status_code == 200, first.json()
    body = first.json()
    assert (body["device_id"], body["last_seq"]) == (till.device_id, 2)
    booked, refused = body["sales"]
    assert (booked["seq"], booked["result"], booked["replayed"]) == (1, "booked", False)
    assert len(booked["passengers"]) == 2 and all(p["seat"] for p in booked["passengers"])
    assert len(booked["tickets"]) == 2 and all(t["token"] for t in booked["tickets"])
    assert (refused["result"], refused["cash_to_return"], refused["pnr"]) == (
        "refused",
        FARE,
        None,
    )
    assert refused["reason"] and "2,500" in refused["cash_to_return_text"].replace(" ", ",")
    assert again.status_code == 200
    assert [s["replayed"] for s in again.json()["sales"]] == [True, True]
    assert [s["pnr"] for s in again.json()["sales"]] == [booked["pnr"], None]
    assert Pnr.objects.count() == 1


def test_a_tampered_batch_is_a_409_naming_the_first_bad_record():
    trip = make_rwanda_bus()
    till, device = enrolled(trip.route.company)
    records = till.records(trip, 3)
    del records[1]

    response = post(client_of(device.agent), till, records)

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["reason"], error["first_bad_seq"]) == ("batch_refused", "gap", 3)
    assert error["case"] == AuditCase.objects.get().pk and error["message"]
    assert not Pnr.objects.exists()


def test_another_agents_device_is_refused_and_a_bad_body_is_a_400():
    trip = make_rwanda_bus()
    till, _ = enrolled(trip.route.company)
    other = client_of(agent_of(trip.route.company))

    stolen = post(other, till, till.records(trip, 1))
    bad = other.post(URL, {"device_id": "x", "records": "no", "signature": 5}, format="json")
    junk = other.post(URL, {"device_id": till.device_id, "records": [1, None], "signature": "!"})

    assert stolen.status_code == 403 and stolen.json()["error"]["code"] == "pos_refused"
    assert bad.status_code == 400 and "records" in bad.json()["error"]["fields"]
    assert junk.status_code in (400, 403)
    assert not Pnr.objects.exists() and not AuditCase.objects.exists()
