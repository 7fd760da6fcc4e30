"""The booking API's PNRs: booking confirms passengers and charges the wallet, RAC and
waitlist positions in booking order, an idempotency key replayed books once, and refusals
(no money, bad requests, no key) write nothing; a passenger lists and reads only their own."""

import uuid

import pytest

from booking.models import Passenger, Pnr
from payments.models import Account

from ..factories import funded_user
from .support import _book, _client, _people


def test_booking_confirms_passengers_and_charges_the_wallet(api_client, trip):
    user = funded_user(100_000)
    client = _client(api_client, user)

    response = _book(
        client,
        trip,
        [{"name": "Ravi", "age": 34, "gender": "M"}, {"name": "Sita", "age": 61, "gender": "F"}],
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["pnr"]) == 10 and body["pnr"].isdigit()
    assert body["status"] == "CNF"
    assert body["from"]["code"] == "ST1" and body["to"]["code"] == "ST3"
    assert body["class"] == "SL" and body["quota"] == "GENERAL"
    # 200 km at 45 paise a km: 9,000 paise each.
    assert [p["fare"] for p in body["passengers"]] == [9_000, 9_000]
    assert body["total_fare"] == 18_000
    assert [p["status"] for p in body["passengers"]] == ["CNF", "CNF"]
    assert all(p["coach"] == "S1" and p["seat"] for p in body["passengers"])
    # The senior without a preference is given a lower berth.
    assert body["passengers"][1]["berth_type"] == "LB"
    assert body["departure"] == "2030-01-07T08:00:00+05:30"
    assert Account.objects.get(user=user, kind="wallet").balance == 100_000 - 18_000


def test_rac_and_waitlist_positions_are_derived_in_booking_order(api_client, trip):
    client = _client(api_client, funded_user(10_000_000))
    for _ in range(16):  # 64 of the 65 berths that are not RAC berths
        assert _book(client, trip, _people(4)).status_code == 201
    assert _book(client, trip, _people(1)).json()["passengers"][0]["status"] == "CNF"

    response = _book(client, trip, _people(6))
    rac_pnr = response.json()
    assert [p["status"] for p in rac_pnr["passengers"]] == ["RAC"] * 6
    assert [p["position"] for p in rac_pnr["passengers"]] == [1, 2, 3, 4, 5, 6]
    assert rac_pnr["status"] == "RAC"

    mixed = _book(client, trip, _people(6)).json()
    assert [p["status"] for p in mixed["passengers"]] == ["RAC"] * 6
    last = _book(client, trip, _people(4)).json()
    assert [p["status"] for p in last["passengers"]] == ["RAC", "RAC", "WL", "WL"]
    assert [p["position"] for p in last["passengers"]] == [13, 14, 1, 2]
    assert last["status"] == "PARTIAL"

    detail = client.get(f"/api/v1/bookings/{last['pnr']}/").json()
    assert [p["position"] for p in detail["passengers"]] == [13, 14, 1, 2]


def test_replaying_an_idempotency_key_books_once(api_client, trip):
    user = funded_user(100_000)
    client = _client(api_client, user)
    key = str(uuid.uuid4())

    first = _book(client, trip, _people(2), key=key)
    again = _book(client, trip, _people(2), key=key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Pnr.objects.count() == 1
    assert Account.objects.get(user=user, kind="wallet").balance == 100_000 - 18_000


def test_booking_without_money_writes_nothing(api_client, trip):
    user = funded_user(10_000)
    client = _client(api_client, user)

    response = _book(client, trip, _people(2))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_funds"
    assert Pnr.objects.count() == 0 and Passenger.objects.count() == 0
    assert Account.objects.get(user=user, kind="wallet").balance == 10_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"passengers": []}, "passengers"),
        ({"passengers": _people(7)}, "passengers"),
        ({"passengers": [{"name": "X", "age": 200, "gender": "M"}]}, "passengers"),
        ({"passengers": [{"name": "X", "age": 30, "gender": "Q"}]}, "passengers"),
        ({"from": "NOPE"}, "from"),
        ({"to": "ST1"}, "to"),
        ({"class": "1A"}, "class"),
        ({"quota": "RAC"}, "quota"),
        ({"quota": "TATKAL", "passengers": _people(5)}, "passengers"),
        ({"quota": "FOREIGN_TOURIST"}, "passengers"),
    ],
)
def test_bad_requests_get_400_in_the_error_shape_and_write_nothing(api_client, trip, body, field):
    user = funded_user(100_000)
    client = _client(api_client, user)
    request = {"passengers": _people(1), **body}

    response = _book(client, trip, request.pop("passengers"), **request)

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert field in error["fields"]
    assert Pnr.objects.count() == 0
    assert Account.objects.get(user=user, kind="wallet").balance == 100_000


def test_a_foreign_tourists_country_must_be_an_iso_3166_code(api_client, trip):
    user = funded_user(100_000)
    client = _client(api_client, user)
    tourist = {"name": "Jane", "age": 30, "gender": "F", "passport": "X1"}

    refused = _book(
        client,
        trip,
        [{**tourist, "nationality": "GB"}, {**tourist, "nationality": "zz"}],
        quota="FOREIGN_TOURIST",
    )
    booked = _book(client, trip, [{**tourist, "nationality": "gbr"}], quota="FOREIGN_TOURIST")

    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "passengers": {
            "1": {
                "nationality": [
                    "'ZZ' is not a country code of ISO 3166-1: "
                    "give its two letters (GB) or its three (GBR)."
                ]
            }
        }
    }
    assert booked.status_code == 201, booked.json()
    assert Passenger.objects.get().nationality == "GB"
    assert Pnr.objects.count() == 1


def test_a_booking_without_an_idempotency_key_is_refused(api_client, trip):
    client = _client(api_client, funded_user(100_000))
    response = client.post(
        "/api/v1/bookings/",
        {"trip": trip.pk, "from": "ST1", "to": "ST3", "class": "SL", "passengers": _people(1)},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"


def test_someone_elses_pnr_is_not_found(api_client, trip):
    owner = _client(api_client, funded_user(100_000))
    number = _book(owner, trip, _people(1)).json()["pnr"]

    other = _client(api_client, funded_user(0))
    response = other.get(f"/api/v1/bookings/{number}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert other.get("/api/v1/bookings/").json()["count"] == 0


def test_my_bookings_are_listed_newest_first(api_client, trip):
    client = _client(api_client, funded_user(100_000))
    first = _book(client, trip, _people(1)).json()["pnr"]
    second = _book(client, trip, _people(2)).json()["pnr"]

    listing = client.get("/api/v1/bookings/").json()

    assert listing["count"] == 2
    assert [p["pnr"] for p in listing["results"]] == [second, first]
