"""Operator API: staff see and change only their company's trips, vehicles and routes; a
departed trip refuses every change."""

import pytest

from fleet.models import Trip, TripEvent, TripStatus

from .factories import VehicleFactory

pytestmark = pytest.mark.django_db
S = TripStatus


def _ids(response):
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("kind", ["trips", "vehicles", "routes"])
def test_staff_list_only_their_company(api_client, admin_a, trip_a, trip_b, kind):
    api_client.force_authenticate(admin_a)
    mine = {"trips": trip_a, "vehicles": trip_a.vehicle, "routes": trip_a.route}[kind]

    response = api_client.get(f"/api/v1/operator/{kind}/")

    assert response.status_code == 200
    assert _ids(response) == [mine.pk]


@pytest.mark.parametrize("kind", ["trips", "vehicles", "routes"])
def test_staff_cannot_view_another_company_row(api_client, admin_a, trip_b, kind):
    api_client.force_authenticate(admin_a)
    theirs = {"trips": trip_b, "vehicles": trip_b.vehicle, "routes": trip_b.route}[kind]

    response = api_client.get(f"/api/v1/operator/{kind}/{theirs.pk}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_platform_admin_sees_every_company(api_client, platform_admin, trip_a, trip_b):
    api_client.force_authenticate(platform_admin)

    response = api_client.get("/api/v1/operator/trips/")

    assert _ids(response) == [trip_a.pk, trip_b.pk]


def test_staff_cannot_edit_another_company_trip(api_client, admin_a, trip_b, driver_a):
    api_client.force_authenticate(admin_a)

    patch = api_client.patch(f"/api/v1/operator/trips/{trip_b.pk}/", {"drivers": [driver_a.pk]})
    status = api_client.post(
        f"/api/v1/operator/trips/{trip_b.pk}/status/", {"status": "cancelled", "reason": "mine now"}
    )

    assert (patch.status_code, status.status_code) == (404, 404)
    trip_b.refresh_from_db()
    assert trip_b.status == S.SCHEDULED
    assert list(trip_b.drivers.all()) == []


def test_passengers_and_anonymous_users_are_kept_out(api_client, passenger, trip_a):
    anonymous = api_client.get("/api/v1/operator/trips/")
    api_client.force_authenticate(passenger)
    signed_in = api_client.get("/api/v1/operator/trips/")

    assert (anonymous.status_code, signed_in.status_code) == (401, 403)
    assert signed_in.json()["error"]["message"] == "Only operator staff can use this."


def test_agents_see_trips_but_cannot_change_them(api_client, agent_a, trip_a, driver_a):
    api_client.force_authenticate(agent_a)

    listing = api_client.get("/api/v1/operator/trips/")
    patch = api_client.patch(f"/api/v1/operator/trips/{trip_a.pk}/", {"drivers": [driver_a.pk]})

    assert _ids(listing) == [trip_a.pk]
    assert patch.status_code == 403
    assert patch.json()["error"]["message"] == (
        "Your role in this company does not allow changing trips."
    )
    assert list(trip_a.drivers.all()) == []


def test_scheduler_changes_vehicle_and_drivers(api_client, scheduler_a, trip_a, driver_a):
    spare = VehicleFactory(company=trip_a.route.company, code="SPARE")
    api_client.force_authenticate(scheduler_a)

    response = api_client.patch(
        f"/api/v1/operator/trips/{trip_a.pk}/",
        {"vehicle": spare.pk, "drivers": [driver_a.pk], "reason": "bigger bus"},
    )

    assert response.status_code == 200
    assert (response.json()["vehicle"], response.json()["drivers"]) == (spare.pk, [driver_a.pk])
    assert TripEvent.objects.get().reason == "bigger bus"


def test_status_moves_through_the_api(api_client, scheduler_a, trip_a):
    api_client.force_authenticate(scheduler_a)
    url = f"/api/v1/operator/trips/{trip_a.pk}/status/"

    statuses = [
        api_client.post(url, {"status": s}).json()["status"]
        for s in ("boarding", "departed", "arrived")
    ]

    assert statuses == ["boarding", "departed", "arrived"]


def test_api_refuses_a_move_the_machine_does_not_allow(api_client, scheduler_a, trip_a):
    api_client.force_authenticate(scheduler_a)

    response = api_client.post(
        f"/api/v1/operator/trips/{trip_a.pk}/status/", {"status": "departed"}
    )

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "invalid_status_transition",
        "fields": {},
        "message": "A scheduled trip cannot become departed; it can become: boarding, cancelled.",
    }
    trip_a.refresh_from_db()
    assert trip_a.status == S.SCHEDULED


@pytest.mark.parametrize("status", [S.DEPARTED, S.ARRIVED, S.CANCELLED])
def test_api_refuses_every_change_of_a_departed_trip(
    api_client, scheduler_a, trip_a, driver_a, status
):
    Trip.objects.filter(pk=trip_a.pk).update(status=status)
    api_client.force_authenticate(scheduler_a)
    url = f"/api/v1/operator/trips/{trip_a.pk}/"

    patch = api_client.patch(url, {"drivers": [driver_a.pk]})
    vehicle = api_client.patch(url, {"vehicle": None})
    cancel = api_client.post(url + "status/", {"status": "cancelled", "reason": "late"})

    assert [r.status_code for r in (patch, vehicle)] == [409, 409]
    assert {r.json()["error"]["code"] for r in (patch, vehicle)} == {"trip_locked"}
    if status == S.CANCELLED:
        # Cancelling again only finishes cancelling the trip's bookings (none here).
        assert (cancel.status_code, cancel.json()["status"]) == (200, "cancelled")
    else:
        assert (cancel.status_code, cancel.json()["error"]["code"]) == (409, "trip_locked")
    assert "can no longer be changed" in patch.json()["error"]["message"]
    trip_a.refresh_from_db()
    assert (trip_a.status, trip_a.vehicle.code) == (status, "A BUS 1")
    assert list(trip_a.drivers.all()) == []
    assert not TripEvent.objects.exists()


def test_cancel_without_reason_is_a_field_error(api_client, scheduler_a, trip_a):
    api_client.force_authenticate(scheduler_a)

    response = api_client.post(
        f"/api/v1/operator/trips/{trip_a.pk}/status/", {"status": "cancelled"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "reason": ["Say why the trip is cancelled; passengers are told."]
    }
