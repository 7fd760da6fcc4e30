"""Trips in the admin: vehicle and drivers edited, status moved by the machine's actions,
every edit refused once the trip has departed."""

import pytest
from django.contrib.messages import get_messages

from fleet.models import Trip, TripStatus

from .admin_pages import admin_url, changelist_url

pytestmark = pytest.mark.django_db
S = TripStatus


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

    response = client.post(admin_url(trip_a), _trip_form(trip_a, drivers=[driver_a.pk]))

    assert response.status_code == 302
    assert list(trip_a.drivers.all()) == [driver_a]
    assert trip_a.events.get().action == "update"


@pytest.mark.parametrize("status", [S.DEPARTED, S.ARRIVED, S.CANCELLED])
def test_admin_refuses_to_edit_a_departed_trip_and_says_why(
    client, admin_a, trip_a, driver_a, status
):
    Trip.objects.filter(pk=trip_a.pk).update(status=status)
    client.force_login(admin_a)

    page = client.get(admin_url(trip_a))
    response = client.post(
        admin_url(trip_a), _trip_form(trip_a, drivers=[driver_a.pk]), follow=True
    )

    assert "drivers" not in page.context["adminform"].form.fields
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("can no longer be changed" in m for m in messages)
    assert list(trip_a.drivers.all()) == []
    assert not trip_a.events.exists()


@pytest.mark.parametrize("status", [S.DEPARTED, S.ARRIVED, S.CANCELLED])
def test_admin_refuses_to_delete_a_departed_trip(client, admin_a, trip_a, status):
    Trip.objects.filter(pk=trip_a.pk).update(status=status)
    client.force_login(admin_a)

    response = client.post(admin_url(trip_a, "delete"), {"post": "yes"})

    assert response.status_code == 403
    assert Trip.objects.filter(pk=trip_a.pk).exists()


def test_admin_status_actions_go_through_the_machine(client, admin_a, trip_a):
    client.force_login(admin_a)
    changelist = changelist_url(trip_a)

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
        changelist_url(trip_a), {"action": "arrive", "_selected_action": [trip_a.pk]}, follow=True
    )

    trip_a.refresh_from_db()
    assert trip_a.status == S.SCHEDULED
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"{trip_a}: A scheduled trip cannot become arrived; it can become: boarding, cancelled."
    ]


def test_admin_cancel_action_asks_for_a_reason_then_cancels(client, admin_a, trip_a):
    client.force_login(admin_a)
    changelist = changelist_url(trip_a)

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
        changelist_url(trip_a),
        {"action": "cancel", "_selected_action": [trip_a.pk], "reason": "too late"},
    )

    trip_a.refresh_from_db()
    assert trip_a.status == S.DEPARTED


def test_company_filter_offers_only_the_staff_companies(client, admin_a, trip_a, trip_b):
    client.force_login(admin_a)

    response = client.get(changelist_url(trip_a), {"company": trip_b.route.company_id})

    company_filter = next(
        f
        for f in response.context["cl"].filter_specs
        if getattr(f, "parameter_name", None) == "company"
    )
    assert company_filter.lookup_choices == [(str(trip_a.route.company_id), "Alpha Bus")]
    assert list(response.context["cl"].result_list) == []
