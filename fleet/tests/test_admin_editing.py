"""Fleet and timetable editing in the admin: vehicles get their coaches' seats, route stops
are edited inline and checked, stations belong to the staff's company."""

import pytest
from django.urls import reverse

from fleet.exceptions import VehicleInService
from fleet.models import SeatLayout, Station, TravelClass, Trip, TripStatus, Vehicle

from .admin_pages import admin_url, management_form

pytestmark = pytest.mark.django_db
S = TripStatus


def test_vehicle_added_in_admin_gets_the_seats_of_its_coach_layouts(client, admin_a, company_a):
    client.force_login(admin_a)
    vip = SeatLayout.objects.get(company=None, name="Bus 2+1, 10 rows (31)")
    own = SeatLayout.objects.create(
        company=company_a, name="Minibus", kind="GRID", grid="AB_C\nAB_C\nABCD"
    )

    response = client.post(
        reverse("admin:fleet_vehicle_add"),
        {
            "company": company_a.pk,
            "code": "RAD 900 A",
            "name": "",
            "kind": "bus",
            "is_active": "on",
            **management_form("coaches", 2),
            "coaches-0-position": 1,
            "coaches-0-code": "VIP",
            "coaches-0-travel_class": TravelClass.objects.get(code="VIP", company=None).pk,
            "coaches-0-layout": vip.pk,
            "coaches-1-position": 2,
            "coaches-1-code": "MINI",
            "coaches-1-travel_class": TravelClass.objects.get(code="STANDARD", company=None).pk,
            "coaches-1-layout": own.pk,
        },
    )

    assert response.status_code == 302
    vehicle = Vehicle.objects.get(code="RAD 900 A")
    assert {c.code: c.seats.count() for c in vehicle.coaches.all()} == {"VIP": 31, "MINI": 10}


def test_a_coach_layout_change_of_a_vehicle_on_a_trip_is_refused_as_the_fleet_service_refuses(
    client, admin_a, line_a, trip_a
):
    _, vehicle, _ = line_a
    coach = vehicle.coaches.get()
    seats_before = list(coach.seats.order_by("pk").values_list("pk", "number"))
    layout_before = coach.layout_id
    other = SeatLayout.objects.get(company=None, name="Bus 2+1, 10 rows (31)")
    Trip.objects.filter(pk=trip_a.pk).update(status=S.BOARDING)
    client.force_login(admin_a)

    response = client.post(
        reverse("admin:fleet_vehicle_change", args=[vehicle.pk]),
        {
            "company": vehicle.company_id,
            "code": vehicle.code,
            "name": vehicle.name,
            "kind": vehicle.kind,
            "is_active": "on",
            **management_form("coaches", 1, initial=1),
            "coaches-0-id": coach.pk,
            "coaches-0-vehicle": vehicle.pk,
            "coaches-0-position": coach.position,
            "coaches-0-code": coach.code,
            "coaches-0-travel_class": coach.travel_class_id,
            "coaches-0-layout": other.pk,
        },
    )

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        VehicleInService.default_message
    ]
    assert VehicleInService.default_message == (
        "This vehicle is on a trip; change its seats after the trip arrives."
    )
    coach.refresh_from_db()
    assert coach.layout_id == layout_before
    assert list(coach.seats.order_by("pk").values_list("pk", "number")) == seats_before


def _route_form(route, stops):
    data = {
        "company": route.company_id,
        "code": route.code,
        "number": route.number,
        "name": route.name,
        "departure_times": route.departure_times,
        "running_days": [1, 2, 4, 8, 16, 32, 64],
        "default_vehicle": "",
        "is_active": "on",
        **management_form("stops", len(stops), initial=route.stops.count()),
        **management_form("exceptions", 0),
    }
    existing = list(route.stops.order_by("sequence"))
    for i, (station, km, arrival, departure) in enumerate(stops):
        data.update(
            {
                f"stops-{i}-id": existing[i].pk if i < len(existing) else "",
                f"stops-{i}-route": route.pk,
                f"stops-{i}-sequence": i + 1,
                f"stops-{i}-station": station.pk,
                f"stops-{i}-distance_km": km,
                f"stops-{i}-arrival_offset": "" if arrival is None else arrival,
                f"stops-{i}-departure_offset": "" if departure is None else departure,
            }
        )
    return data


def test_route_stops_are_edited_inline(client, admin_a, line_a):
    stations, _, route = line_a
    client.force_login(admin_a)

    response = client.post(
        admin_url(route),
        _route_form(
            route,
            [(stations[0], 0, None, 0), (stations[1], 25, 40, 45), (stations[2], 50, 80, None)],
        ),
    )

    assert response.status_code == 302
    assert list(route.stops.values_list("arrival_offset", "departure_offset")) == [
        (None, 0),
        (40, 45),
        (80, None),
    ]


def test_route_stops_going_backwards_are_refused(client, admin_a, line_a):
    stations, _, route = line_a
    client.force_login(admin_a)

    response = client.post(
        admin_url(route),
        _route_form(
            route,
            [(stations[0], 0, None, 0), (stations[1], 25, 40, 45), (stations[2], 50, 30, None)],
        ),
    )

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "Stop 3: times must not go backwards (30 min after 45 min)."
    ]
    assert list(route.stops.values_list("arrival_offset", flat=True)) == [None, 30, 70]


def test_route_stops_cannot_change_while_a_trip_is_on_its_way(client, admin_a, line_a, trip_a):
    stations, _, route = line_a
    Trip.objects.filter(pk=trip_a.pk).update(status=S.DEPARTED)
    client.force_login(admin_a)

    response = client.post(
        admin_url(route),
        _route_form(
            route,
            [(stations[0], 0, None, 0), (stations[1], 25, 40, 45), (stations[2], 50, 80, None)],
        ),
    )

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.non_form_errors() == [
        "A trip of this route is on its way; change its stops after it arrives."
    ]
    assert list(route.stops.values_list("arrival_offset", flat=True)) == [None, 30, 70]


def test_station_added_in_admin_belongs_to_the_company_and_is_found_by_alias(
    client, admin_a, company_a, api_client
):
    client.force_login(admin_a)

    response = client.post(
        reverse("admin:fleet_station_add"),
        {
            "code": "rw-kgl",
            "name": "Kigali Nyabugogo",
            "city": "Kigali",
            "region": "",
            "latitude": "-1.9393",
            "longitude": "30.0445",
            "time_zone": "Africa/Kigali",
            "company": company_a.pk,
            **management_form("aliases", 1),
            "aliases-0-name": "Nyabugogo",
        },
    )

    assert response.status_code == 302
    station = Station.objects.get(code="RW-KGL")
    assert (station.company, station.search_name) == (company_a, "KIGALI NYABUGOGO")
    found = api_client.get("/api/v1/stations/", {"q": "nyabu"}).json()["results"]
    assert [(s["code"], s["match"]) for s in found] == [("RW-KGL", "alias")]
