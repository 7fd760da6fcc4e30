"""The vehicle swap from the trip admin (an action asking for the vehicle, its refusals, the
change form pointing to it once seats are sold) and from the operator API, scoped to the
company."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from fleet.models import Company, Trip, TripEvent
from fleet.services import (
    VEHICLE_SWAP_NEEDED,
)
from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.invariants import broken_invariants

from .swaps import bus, seats

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def test_admin_swap_action_asks_for_a_vehicle_then_swaps(client, bus_trip, sell):
    trip = bus_trip(rows=2)
    sell(trip, 3)
    company = trip.route.company
    bigger = bus(company, "BUS-3", 3)
    bus(CompanyFactory(kind=Company.Kind.BUS), "THEIRS", 3)
    admin = staff_user(company, Role.COMPANY_ADMIN)
    client.force_login(admin)
    changelist = reverse("admin:fleet_trip_changelist")

    ask = client.post(changelist, {"action": "swap_vehicle", "_selected_action": [trip.pk]})
    done = client.post(
        changelist,
        {"action": "swap_vehicle", "_selected_action": [trip.pk], "vehicle": bigger.pk},
        follow=True,
    )

    assert ask.status_code == 200
    assert {v.code for v in ask.context["form"].fields["vehicle"].queryset} == {
        "BUS-2",
        "BUS-3",
        f"RAKE-{trip.route.code}",
    }
    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        f"{Trip.objects.get(pk=trip.pk)} now runs with BUS-3: 3 passenger(s) kept their "
        "seats, 0 moved (and told)."
    ]
    assert Trip.objects.get(pk=trip.pk).vehicle == bigger
    assert TripEvent.objects.get().by == admin


def test_admin_swap_action_reports_a_refusal(client, bus_trip, sell):
    trip = bus_trip(rows=3)
    sell(trip, 10)
    tiny = bus(trip.route.company, "BUS-1", 1)
    client.force_login(staff_user(trip.route.company, Role.SCHEDULER))

    done = client.post(
        reverse("admin:fleet_trip_changelist"),
        {"action": "swap_vehicle", "_selected_action": [trip.pk], "vehicle": tiny.pk},
        follow=True,
    )

    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        f"{Trip.objects.get(pk=trip.pk)}: Trip {trip.route.number} of 07 Jan 2030 cannot "
        "move to BUS-1: STANDARD: 10 seats are sold on the busiest leg (Station ST1 → Station "
        "ST2), BUS-1 has 4. Nothing was changed."
    ]
    assert Trip.objects.get(pk=trip.pk).vehicle.code == "BUS-3"


def test_admin_change_form_points_to_the_swap_once_seats_are_sold(client, bus_trip, sell):
    trip = bus_trip(rows=2)
    sell(trip, 1)
    other = bus(trip.route.company, "BUS-3", 3)
    client.force_login(staff_user(trip.route.company, Role.COMPANY_ADMIN))

    response = client.post(
        reverse("admin:fleet_trip_change", args=[trip.pk]),
        {"vehicle": other.pk, "drivers": [], "events-TOTAL_FORMS": 0, "events-INITIAL_FORMS": 0},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"vehicle": [VEHICLE_SWAP_NEEDED]}
    assert Trip.objects.get(pk=trip.pk).vehicle.code == "BUS-2"


def test_operator_api_swaps_the_vehicle(api_client, bus_trip, sell):
    trip = bus_trip(rows=3)
    sold = sell(trip, 10)
    small = bus(trip.route.company, "BUS-2", 2)
    bigger = bus(trip.route.company, "BUS-4", 4)
    api_client.force_authenticate(staff_user(trip.route.company, Role.SCHEDULER))
    url = f"/api/v1/operator/trips/{trip.pk}/vehicle/"

    refused = api_client.post(url, {"vehicle": small.pk})
    swapped = api_client.post(url, {"vehicle": bigger.pk, "reason": "Air conditioning"})

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "vehicle_swap_refused"
    assert swapped.status_code == 200
    body = swapped.json()
    assert (body["trip"]["vehicle"], body["seats"], body["kept"], body["reseated"]) == (
        bigger.pk,
        {"STANDARD": 16},
        10,
        [],
    )
    assert seats(sold)[-1] == ("CNF", "B1", "10")
    assert broken_invariants() == {}


def test_operator_api_swap_is_scoped_to_the_company(api_client, bus_trip, sell):
    trip = bus_trip(rows=2)
    sell(trip, 1)
    theirs = bus(CompanyFactory(kind=Company.Kind.BUS), "THEIRS", 3)
    mine = bus(trip.route.company, "BUS-3", 3)
    url = f"/api/v1/operator/trips/{trip.pk}/vehicle/"

    api_client.force_authenticate(staff_user(trip.route.company, Role.SCHEDULER))
    foreign = api_client.post(url, {"vehicle": theirs.pk})
    api_client.force_authenticate(staff_user(trip.route.company, Role.DRIVER))
    as_driver = api_client.post(url, {"vehicle": mine.pk})
    api_client.force_authenticate(staff_user(theirs.company, Role.COMPANY_ADMIN))
    as_stranger = api_client.post(url, {"vehicle": mine.pk})

    assert (foreign.status_code, list(foreign.json()["error"]["fields"])) == (400, ["vehicle"])
    assert (as_driver.status_code, as_stranger.status_code) == (403, 404)
    assert Trip.objects.get(pk=trip.pk).vehicle.code == "BUS-2"
