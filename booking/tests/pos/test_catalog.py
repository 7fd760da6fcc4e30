"""GET /api/v1/pos/catalog/: the trips an agent's device sells in the next hours, with stops,
fares and an availability snapshot."""

from datetime import timedelta

import pytest
import time_machine

from booking.tests.factories import make_trip
from fleet.models import Company, TripStatus

from .support import NOW, agent_of, sell, signed_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/pos/catalog/"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def company(db):
    return Company.objects.create(
        name="Indian Rail", slug="ir", kind=Company.Kind.RAIL, quota_distribution={"SL": {}}
    )


@pytest.fixture
def trip(company):
    # Leaves ST1 in two hours; ST2, ST3, ST4 an hour apart.
    return make_trip(company=company, departure=NOW + timedelta(hours=2))


def _journeys(trip_entry):
    return {(j["from"], j["to"]): j for j in trip_entry["journeys"]}


def test_every_pair_of_stops_not_yet_left_with_fares_and_availability(api_client, trip):
    client = signed_in(api_client, agent_of(trip.route.company))

    response = client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["hours"] == 12
    assert body["as_of"].startswith("2029-12-20T06:30:00")  # UTC
    (entry,) = body["trips"]
    assert entry["id"] == trip.pk and entry["route"] == trip.route.number
    assert entry["classes"] == ["SL"]
    assert [s["code"] for s in entry["stops"]] == ["ST1", "ST2", "ST3", "ST4"]
    first = entry["stops"][0]
    assert first["arrival"] is None and first["time_zone"] == "Asia/Kolkata"
    assert first["departure"] == "2029-12-20T14:00:00+05:30"  # local, the zone's offset
    assert entry["stops"][-1]["departure"] is None
    journeys = _journeys(entry)
    assert set(journeys) == {
        ("ST1", "ST2"),
        ("ST1", "ST3"),
        ("ST1", "ST4"),
        ("ST2", "ST3"),
        ("ST2", "ST4"),
        ("ST3", "ST4"),
    }
    (sl,) = journeys[("ST1", "ST3")]["classes"]
    assert sl["class"] == "SL" and sl["status"].startswith("AVAILABLE-")
    assert sl["fares"]["GENERAL"] > 0
    # Longer journeys cost more.
    assert journeys[("ST1", "ST4")]["classes"][0]["fares"]["GENERAL"] > sl["fares"]["GENERAL"]


def test_the_snapshot_counts_what_was_sold(api_client, trip):
    agent = agent_of(trip.route.company)
    client = signed_in(api_client, agent)
    before = _journeys(client.get(URL).json()["trips"][0])[("ST1", "ST2")]["classes"][0]

    assert sell(client, trip, passengers=2).status_code == 201

    after = _journeys(client.get(URL).json()["trips"][0])
    assert after[("ST1", "ST2")]["classes"][0]["free"]["GENERAL"] == (before["free"]["GENERAL"] - 2)
    # ST3 onwards is free again: the passengers leave at ST3.
    assert after[("ST3", "ST4")]["classes"][0]["free"]["GENERAL"] == before["free"]["GENERAL"]


def test_from_the_home_station_only(api_client, trip):
    home = trip.route.stops.get(sequence=2).station
    client = signed_in(api_client, agent_of(trip.route.company, home_station=home))

    (entry,) = client.get(URL).json()["trips"]

    assert set(_journeys(entry)) == {("ST2", "ST3"), ("ST2", "ST4")}
    assert len(entry["stops"]) == 4


def test_only_the_hours_asked_the_agents_companies_and_running_trips(api_client, company, trip):
    other = Company.objects.create(name="Other", slug="other", kind=Company.Kind.RAIL)
    make_trip(company=other, departure=NOW + timedelta(hours=1), code_prefix="OT")
    later = make_trip(company=company, departure=NOW + timedelta(hours=20), code_prefix="LT")
    cancelled = make_trip(company=company, departure=NOW + timedelta(hours=3), code_prefix="CT")
    cancelled.status = TripStatus.CANCELLED
    cancelled.save(update_fields=["status"])
    client = signed_in(api_client, agent_of(company))

    assert [t["id"] for t in client.get(URL).json()["trips"]] == [trip.pk]
    assert client.get(URL, {"hours": 1}).json()["trips"] == []
    assert [t["id"] for t in client.get(URL, {"hours": 24}).json()["trips"]] == [
        trip.pk,
        later.pk,
    ]


def test_a_trip_under_way_sells_from_its_stops_ahead(api_client, company):
    under_way = make_trip(company=company, departure=NOW - timedelta(minutes=30))
    client = signed_in(api_client, agent_of(company))

    (entry,) = client.get(URL).json()["trips"]

    assert entry["id"] == under_way.pk
    assert set(_journeys(entry)) == {("ST2", "ST3"), ("ST2", "ST4"), ("ST3", "ST4")}


@pytest.mark.parametrize("hours", ["0", "49", "soon"])
def test_bad_hours_are_a_400(api_client, trip, hours):
    client = signed_in(api_client, agent_of(trip.route.company))
    response = client.get(URL, {"hours": hours})
    assert response.status_code == 400
    assert "error" in response.json()


def test_agents_only(api_client, trip):
    from ttms.accounts.models import Role
    from ttms.accounts.tests.factories import UserFactory

    assert api_client.get(URL).status_code == 401
    for role in (Role.PASSENGER, Role.COMPANY_ADMIN, Role.DRIVER):
        response = signed_in(api_client, UserFactory(role=role)).get(URL)
        assert response.status_code == 403
        assert "error" in response.json()
