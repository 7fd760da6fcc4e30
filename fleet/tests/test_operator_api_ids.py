"""Operator API: an id that is not the company's own (a driver, a vehicle) is refused with one
answer, whether it belongs to someone else or to nobody, so that looping over ids tells
staff nothing about other users or other companies."""

import pytest

from fleet.models import TripEvent, Vehicle
from ttms.accounts.models import Role, User

from .factories import MembershipFactory, VehicleFactory

pytestmark = pytest.mark.django_db

NOT_A_DRIVER = {
    "error": {
        "code": "invalid",
        "message": "Some fields are not valid.",
        "fields": {"drivers": ["Not a driver of this company."]},
    }
}
NOT_A_VEHICLE = {
    "error": {
        "code": "invalid",
        "message": "Some fields are not valid.",
        "fields": {"vehicle": ["Choose an active vehicle of this company."]},
    }
}


def _missing_pk(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


@pytest.fixture
def strangers(passenger, driver_b, agent_a):
    """Ids that are not company A's drivers: a passenger, company B's driver, company A's
    agent, and an id that nobody has."""
    return [passenger.pk, driver_b.pk, agent_a.pk, _missing_pk(User)]


@pytest.mark.parametrize("who", ["admin_a", "scheduler_a"])
def test_drivers_that_are_not_the_companys_get_one_answer_whoever_they_are(
    request, api_client, trip_a, strangers, who
):
    api_client.force_authenticate(request.getfixturevalue(who))
    url = f"/api/v1/operator/trips/{trip_a.pk}/"

    answers = [api_client.patch(url, {"drivers": [pk]}, format="json") for pk in strangers]

    assert {r.status_code for r in answers} == {400}
    assert len({r.content for r in answers}) == 1
    assert answers[0].json() == NOT_A_DRIVER
    assert b"@" not in answers[0].content
    assert list(trip_a.drivers.all()) == []
    assert not TripEvent.objects.exists()


def test_one_stranger_among_the_companys_drivers_refuses_the_whole_change(
    api_client, scheduler_a, trip_a, driver_a, passenger
):
    api_client.force_authenticate(scheduler_a)

    response = api_client.patch(
        f"/api/v1/operator/trips/{trip_a.pk}/",
        {"drivers": [driver_a.pk, passenger.pk]},
        format="json",
    )

    assert (response.status_code, response.json()) == (400, NOT_A_DRIVER)
    assert list(trip_a.drivers.all()) == []
    assert not TripEvent.objects.exists()


def test_a_vehicle_of_another_company_and_a_missing_one_get_one_answer(
    api_client, scheduler_a, trip_a, trip_b
):
    api_client.force_authenticate(scheduler_a)
    url = f"/api/v1/operator/trips/{trip_a.pk}/"

    theirs = api_client.patch(url, {"vehicle": trip_b.vehicle_id}, format="json")
    missing = api_client.patch(url, {"vehicle": _missing_pk(Vehicle)}, format="json")

    assert (theirs.status_code, missing.status_code) == (400, 400)
    assert theirs.content == missing.content
    assert theirs.json() == NOT_A_VEHICLE
    trip_a.refresh_from_db()
    assert trip_a.vehicle.code == "A BUS 1"
    assert not TripEvent.objects.exists()


def test_a_swap_to_a_vehicle_of_another_company_and_to_a_missing_one_get_one_answer(
    api_client, scheduler_a, trip_a, trip_b
):
    api_client.force_authenticate(scheduler_a)
    url = f"/api/v1/operator/trips/{trip_a.pk}/vehicle/"

    theirs = api_client.post(url, {"vehicle": trip_b.vehicle_id}, format="json")
    missing = api_client.post(url, {"vehicle": _missing_pk(Vehicle)}, format="json")

    assert (theirs.status_code, missing.status_code) == (400, 400)
    assert theirs.content == missing.content
    assert theirs.json() == NOT_A_VEHICLE
    trip_a.refresh_from_db()
    assert trip_a.vehicle.code == "A BUS 1"
    assert not TripEvent.objects.exists()


def test_staff_of_two_companies_cannot_put_one_companys_vehicle_on_the_others_trip(
    api_client, scheduler_a, trip_a, company_b
):
    MembershipFactory(user=scheduler_a, company=company_b, role=Role.SCHEDULER)
    vehicle_b = VehicleFactory(company=company_b, code="B SPARE")
    api_client.force_authenticate(scheduler_a)

    response = api_client.post(
        f"/api/v1/operator/trips/{trip_a.pk}/vehicle/", {"vehicle": vehicle_b.pk}, format="json"
    )

    assert (response.status_code, response.json()) == (400, NOT_A_VEHICLE)
    trip_a.refresh_from_db()
    assert trip_a.vehicle.code == "A BUS 1"
