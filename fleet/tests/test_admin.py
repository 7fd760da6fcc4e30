"""The admin is company-scoped: staff of company A cannot list, open, edit or delete company
B's rows, nor pick them in a form."""

import pytest
from django.urls import reverse

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

from .admin_pages import admin_url, changelist_url, snapshot

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


@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=lambda m: m.__name__)
def test_staff_list_only_their_company_rows(client, admin_a, rows):
    mine, theirs = rows
    client.force_login(admin_a)

    response = client.get(changelist_url(mine))

    assert response.status_code == 200
    listed = set(response.context["cl"].result_list)
    assert mine in listed
    assert theirs not in listed


@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=lambda m: m.__name__)
def test_staff_cannot_open_another_company_row(client, admin_a, rows):
    _, theirs = rows
    client.force_login(admin_a)

    response = client.get(admin_url(theirs))

    assert response.status_code == 302
    assert response.url == reverse("admin:index")


@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=lambda m: m.__name__)
def test_staff_cannot_edit_or_delete_another_company_row(client, admin_a, rows):
    _, theirs = rows
    before = snapshot(theirs)
    client.force_login(admin_a)

    edit = client.post(admin_url(theirs), {"name": "Taken over", "code": "X", "number": "X"})
    delete = client.post(admin_url(theirs, "delete"), {"post": "yes"})

    # Only a platform admin deletes companies: staff are refused before any lookup.
    assert (edit.status_code, delete.status_code) == (
        302,
        403 if isinstance(theirs, Company) else 302,
    )
    assert snapshot(theirs) == before


@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=lambda m: m.__name__)
def test_platform_admin_sees_every_company(client, platform_admin, rows):
    mine, theirs = rows
    client.force_login(platform_admin)

    response = client.get(changelist_url(mine))

    assert {mine, theirs} <= set(response.context["cl"].result_list)
    assert client.get(admin_url(theirs)).status_code == 200


def test_form_choices_offer_only_the_staff_company_rows(
    client, admin_a, line_a, line_b, shared_station
):
    client.force_login(admin_a)
    route_a = line_a[2]

    response = client.get(admin_url(route_a))

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

    response = client.get(admin_url(trip_a))

    assert list(response.context["adminform"].form.fields["drivers"].queryset) == [driver_a]


def test_actions_ignore_rows_of_another_company(client, admin_a, trip_a, trip_b):
    client.force_login(admin_a)

    client.post(
        changelist_url(trip_a),
        {"action": "start_boarding", "_selected_action": [trip_a.pk, trip_b.pk]},
    )

    trip_a.refresh_from_db()
    trip_b.refresh_from_db()
    assert (trip_a.status, trip_b.status) == (S.BOARDING, S.SCHEDULED)


def test_shared_stations_are_visible_but_not_editable_by_staff(client, admin_a, shared_station):
    client.force_login(admin_a)

    view = client.get(admin_url(shared_station))
    edit = client.post(
        admin_url(shared_station), {"code": "NDLS", "name": "Renamed", "time_zone": "Asia/Kolkata"}
    )

    assert (view.status_code, edit.status_code) == (200, 403)
    shared_station.refresh_from_db()
    assert shared_station.name == "New Delhi"


def test_company_admin_cannot_change_the_platform_commission(client, admin_a, company_a):
    client.force_login(admin_a)

    response = client.get(admin_url(company_a))

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
    assert client.get(admin_url(route)).status_code == 200
    assert client.post(admin_url(route), {"name": "Changed"}).status_code == 403
    assert not client.get(changelist_url(route)).context["has_add_permission"]
