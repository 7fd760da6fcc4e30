"""The admin is company-scoped: staff of company A cannot list, open, edit or delete company
B's rows, nor pick them in a form; trips refuse every edit once departed."""

import pytest
from django.contrib.messages import get_messages
from django.forms.models import model_to_dict
from django.urls import reverse

from fleet.exceptions import VehicleInService
from fleet.models import (
    Coach,
    Company,
    CompanyMembership,
    Route,
    SeatLayout,
    Station,
    TravelClass,
    Trip,
    TripStatus,
    Vehicle,
)

pytestmark = pytest.mark.django_db
S = TripStatus


def _pair(model, company_a, company_b, line_a, line_b, trip_a, trip_b, admin_a, admin_b):
    """One row of `model` owned by company A and one by company B."""
    if model is Company:
        return company_a, company_b
    if model is CompanyMembership:
        return (
            CompanyMembership.objects.get(user=admin_a),
            CompanyMembership.objects.get(user=admin_b),
        )
    if model is Station:
        return line_a[0][0], line_b[0][0]
    if model is Vehicle:
        return line_a[1], line_b[1]
    if model is Coach:
        return line_a[1].coaches.get(), line_b[1].coaches.get()
    if model is Route:
        return line_a[2], line_b[2]
    if model is Trip:
        return trip_a, trip_b
    if model is SeatLayout:
        return (
            SeatLayout.objects.create(company=company_a, name="A 2+2", kind="BUS22", rows=9),
            SeatLayout.objects.create(company=company_b, name="B 2+2", kind="BUS22", rows=9),
        )
    if model is TravelClass:
        return (
            TravelClass.objects.create(company=company_a, code="EXEC", name="Executive"),
            TravelClass.objects.create(company=company_b, code="EXEC", name="Executive"),
        )
    raise AssertionError(model)


MODELS = [
    Company,
    CompanyMembership,
    Station,
    Vehicle,
    Coach,
    Route,
    Trip,
    SeatLayout,
    TravelClass,
]


@pytest.fixture
def rows(request, company_a, company_b, line_a, line_b, trip_a, trip_b, admin_a, admin_b):
    return _pair(
        request.param, company_a, company_b, line_a, line_b, trip_a, trip_b, admin_a, admin_b
    )


def _url(obj, view="change"):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def _changelist(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")


def _snapshot(obj):
    return model_to_dict(type(obj).objects.get(pk=obj.pk))


@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=lambda m: m.__name__)
def test_staff_list_only_their_company_rows(client, admin_a, rows):
    mine, theirs = rows
    client.force_login(admin_a)

    response = client.get(_changelist(mine))

    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert mine in listed
    assert theirs not in listed


@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=lambda m: m.__name__)
def test_staff_cannot_open_another_company_row(client, admin_a, rows):
    _, theirs = rows
    client.force_login(admin_a)

    response = client.get(_url(theirs))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=lambda m: m.__name__)
def test_staff_cannot_edit_or_delete_another_company_row(client, admin_a, rows):
    _, theirs = rows
    before = _snapshot(theirs)
    client.force_login(admin_a)

    edit = client.post(_url(theirs), {"name": "Taken over", "code": "X", "number": "X"})
    delete = client.post(_url(theirs, "delete"), {"post": "yes"})

    # Only a platform admin deletes companies: staff are refused before any lookup.
    assert (edit.status_code, delete.status_code) == (
        302,
        403 if isinstance(theirs, Company) else 302,
    )
    assert _snapshot(theirs) == before


@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=lambda m: m.__name__)
def test_platform_admin_sees_every_company(client, platform_admin, rows):
    mine, theirs = rows
    client.force_login(platform_admin)

    response = client.get(_changelist(mine))

    assert {mine, theirs} <= set(response.context["cl"].result_list)
    assert client.get(_url(theirs)).status_code == 200


def test_form_choices_offer_only_the_staff_company_rows(
    client, admin_a, line_a, line_b, shared_station
):
    client.force_login(admin_a)
    route_a = line_a[2]

    response = client.get(_url(route_a))

    form = response.context["adminform"].form
    assert list(form.fields["company"].queryset) == [route_a.company]
    assert set(form.fields["default_vehicle"].queryset) == {line_a[1]}
    stops = response.context["inline_admin_formsets"][0].formset
    assert set(stops.form.base_fields["station"].queryset) == {*line_a[0], shared_station}


def test_autocomplete_offers_only_the_staff_company_vehicles(client, admin_a, line_a, line_b):
    client.force_login(admin_a)

    response = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "fleet",
            "model_name": "route",
            "field_name": "default_vehicle",
            "term": "BUS",
        },
    )

    assert [r["text"] for r in response.json()["results"]] == ["A BUS 1"]


def test_trip_driver_choices_are_the_company_drivers(
    client, admin_a, trip_a, driver_a, driver_b, agent_a
):
    client.force_login(admin_a)

    response = client.get(_url(trip_a))

    assert list(response.context["adminform"].form.fields["drivers"].queryset) == [driver_a]


def test_actions_ignore_rows_of_another_company(client, admin_a, trip_a, trip_b):
    client.force_login(admin_a)

    client.post(
        _changelist(trip_a),
        {"action": "start_boarding", "_selected_action": [trip_a.pk, trip_b.pk]},
    )

    trip_a.refresh_from_db()
    trip_b.refresh_from_db()
    assert (trip_a.status, trip_b.status) == (S.BOARDING, S.SCHEDULED)


def test_shared_stations_are_visible_but_not_editable_by_staff(client, admin_a, shared_station):
    client.force_login(admin_a)

    view = client.get(_url(shared_station))
    edit = client.post(
        _url(shared_station), {"code": "NDLS", "name": "Renamed", "time_zone": "Asia/Kolkata"}
    )

    assert (view.status_code, edit.status_code) == (200, 403)
    shared_station.refresh_from_db()
    assert shared_station.name == "New Delhi"


def test_company_admin_cannot_change_the_platform_commission(client, admin_a, company_a):
    client.force_login(admin_a)

    response = client.get(_url(company_a))

    assert "commission_bp" not in response.context["adminform"].form.fields
    assert "refund_policy" in response.context["adminform"].form.fields


def test_staff_without_an_editor_role_only_look(client, company_a, line_a):
    from .factories import staff_user

    # A company admin account whose membership here is only "agent".
    user = staff_user(company_a, "agent", email="looker@alpha.example")
    user.is_staff = True
    user.save()
    client.force_login(user)

    route = line_a[2]
    assert client.get(_url(route)).status_code == 200
    assert client.post(_url(route), {"name": "Changed"}).status_code == 403
    assert not client.get(_changelist(route)).context["has_add_permission"]


# --- Trips in the admin ------------------------------------------------------------------------


def _trip_form(trip, **changes):
    data = {
        "vehicle": trip.vehicle_id or "",
        "drivers": [d.pk for d in trip.drivers.all()],
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
    }
    data.update(changes)
    return data


def test_trip_vehicle_and_drivers_change_through_the_admin(client, admin_a, trip_a, driver_a):
    client.force_login(admin_a)

    response = client.post(_url(trip_a), _trip_form(trip_a, drivers=[driver_a.pk]))

    assert response.status_code == 302
    assert list(trip_a.drivers.all()) == [driver_a]
    assert trip_a.events.get().action == "update"


@pytest.mark.parametrize("status", [S.DEPARTED, S.ARRIVED, S.CANCELLED])
def test_admin_refuses_to_edit_a_departed_trip_and_says_why(
    client, admin_a, trip_a, driver_a, status
):
    Trip.objects.filter(pk=trip_a.pk).update(status=status)
    client.force_login(admin_a)

    page = client.get(_url(trip_a))
    response = client.post(_url(trip_a), _trip_form(trip_a, drivers=[driver_a.pk]), follow=True)

    assert "drivers" not in page.context["adminform"].form.fields
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("can no longer be changed" in m for m in messages)
    assert list(trip_a.drivers.all()) == []
    assert not trip_a.events.exists()


@pytest.mark.parametrize("status", [S.DEPARTED, S.ARRIVED, S.CANCELLED])
def test_admin_refuses_to_delete_a_departed_trip(client, admin_a, trip_a, status):
    Trip.objects.filter(pk=trip_a.pk).update(status=status)
    client.force_login(admin_a)

    response = client.post(_url(trip_a, "delete"), {"post": "yes"})

    assert response.status_code == 403
    assert Trip.objects.filter(pk=trip_a.pk).exists()


def test_admin_status_actions_go_through_the_machine(client, admin_a, trip_a):
    client.force_login(admin_a)
    changelist = _changelist(trip_a)

    for action, expected in [
        ("start_boarding", S.BOARDING),
        ("depart", S.DEPARTED),
        ("arrive", S.ARRIVED),
    ]:
        client.post(changelist, {"action": action, "_selected_action": [trip_a.pk]})
        trip_a.refresh_from_db()
        assert trip_a.status == expected
    assert list(trip_a.events.values_list("to_status", flat=True)) == [
        S.BOARDING,
        S.DEPARTED,
        S.ARRIVED,
    ]


def test_admin_action_refused_by_the_machine_changes_nothing_and_says_why(client, admin_a, trip_a):
    client.force_login(admin_a)

    response = client.post(
        _changelist(trip_a), {"action": "arrive", "_selected_action": [trip_a.pk]}, follow=True
    )

    trip_a.refresh_from_db()
    assert trip_a.status == S.SCHEDULED
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{trip_a}: A scheduled trip cannot become arrived; it can become: boarding, cancelled."
    ]


def test_admin_cancel_action_asks_for_a_reason_then_cancels(client, admin_a, trip_a):
    client.force_login(admin_a)
    changelist = _changelist(trip_a)

    ask = client.post(changelist, {"action": "cancel", "_selected_action": [trip_a.pk]})
    trip_a.refresh_from_db()
    assert (ask.status_code, trip_a.status) == (200, S.SCHEDULED)

    client.post(
        changelist,
        {"action": "cancel", "_selected_action": [trip_a.pk], "reason": "Road closed at Shyorongi"},
    )

    trip_a.refresh_from_db()
    assert trip_a.status == S.CANCELLED
    assert trip_a.events.get().reason == "Road closed at Shyorongi"


def test_admin_cancel_of_a_departed_trip_is_refused(client, admin_a, trip_a):
    Trip.objects.filter(pk=trip_a.pk).update(status=S.DEPARTED)
    client.force_login(admin_a)

    client.post(
        _changelist(trip_a),
        {"action": "cancel", "_selected_action": [trip_a.pk], "reason": "too late"},
    )

    trip_a.refresh_from_db()
    assert trip_a.status == S.DEPARTED


def test_company_filter_offers_only_the_staff_companies(client, admin_a, trip_a, trip_b):
    client.force_login(admin_a)

    response = client.get(_changelist(trip_a), {"company": trip_b.route.company_id})

    company_filter = next(
        f
        for f in response.context["cl"].filter_specs
        if getattr(f, "parameter_name", None) == "company"
    )
    assert company_filter.lookup_choices == [(str(trip_a.route.company_id), "Alpha Bus")]
    assert list(response.context["cl"].result_list) == []


# --- Fleet and timetable editing -------------------------------------------------------------


def _management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }


def test_vehicle_added_in_admin_gets_the_seats_of_its_coach_layouts(client, admin_a, company_a):
    client.force_login(admin_a)
    vip = SeatLayout.objects.get(company=None, name="Bus 2+1, 10 rows (30)")
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
            **_management("coaches", 2),
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
    assert {c.code: c.seats.count() for c in vehicle.coaches.all()} == {"VIP": 30, "MINI": 10}


def test_a_coach_layout_change_of_a_vehicle_on_a_trip_is_refused_as_the_fleet_service_refuses(
    client, admin_a, line_a, trip_a
):
    _, vehicle, _ = line_a
    coach = vehicle.coaches.get()
    seats_before = list(coach.seats.order_by("pk").values_list("pk", "number"))
    layout_before = coach.layout_id
    other = SeatLayout.objects.get(company=None, name="Bus 2+1, 10 rows (30)")
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
            **_management("coaches", 1, initial=1),
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
        **_management("stops", len(stops), initial=route.stops.count()),
        **_management("exceptions", 0),
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
        _url(route),
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
        _url(route),
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
        _url(route),
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
            **_management("aliases", 1),
            "aliases-0-name": "Nyabugogo",
        },
    )

    assert response.status_code == 302
    station = Station.objects.get(code="RW-KGL")
    assert (station.company, station.search_name) == (company_a, "KIGALI NYABUGOGO")
    found = api_client.get("/api/v1/stations/", {"q": "nyabu"}).json()["results"]
    assert [(s["code"], s["match"]) for s in found] == [("RW-KGL", "alias")]
