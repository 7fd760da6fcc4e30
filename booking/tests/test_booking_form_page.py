"""The booking form: passenger errors at their fields, the quota rules stated from the rules
and the trip's fares, Tatkal's and foreign tourists' limits, rows added and removed without
JavaScript, and signing in keeps the picked seats."""

import re

import pytest
from django.urls import reverse

from ..models import FareRule, Pnr
from .factories import funded_user
from .pages import DEPARTURE, field_error, passenger_post, review, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_days_before")]


def test_passenger_errors_are_shown_next_to_the_fields_and_nothing_is_kept(
    client, make_sleeper_trip
):
    trip = make_sleeper_trip(departure=DEPARTURE)
    client.force_login(funded_user())
    data = passenger_post(trip, [("", 200, "F")])

    response = client.post(reverse("booking:book", args=[trip.pk]), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "form-0-name") == "This field is required."
    assert field_error(html, "form-0-age") == ("Ensure this value is less than or equal to 125.")
    assert "booking_drafts" not in client.session
    assert not Pnr.objects.exists()


def test_the_booking_form_states_the_quota_rules_from_the_rules_and_the_trips_fares(
    client, make_sleeper_trip
):
    trip = make_sleeper_trip(departure=DEPARTURE)
    FareRule.objects.create(
        company=trip.route.company,
        class_code="SL",
        rate_per_km=45,
        minimum_fare=1_000,
        multipliers_bp={"TATKAL": 12_500, "LADIES": 9_000},
    )
    client.force_login(funded_user())

    response = client.get(
        reverse("booking:book", args=[trip.pk]), {"from": "ST1", "to": "ST3", "class": "SL"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    rules_shown = {
        quota: text_of(found)
        for quota, found in re.findall(
            r'<small id="quota-([A-Z_]+)-rule"[^>]*>(.*?)</small>', html, re.S
        )
    }
    assert rules_shown == {
        "GENERAL": "Open to everyone; bookable up to 60 days ahead.",
        "LADIES": "Women travelling alone or with other women: every passenger must be "
        "female; bookable up to 60 days ahead; fare ×0.9.",
        "SENIOR": "At most 2 passengers, all senior citizens (women 58 and over, men 60 and "
        "over); lower berths first; bookable up to 60 days ahead.",
        "TATKAL": "Opens the day before the journey at 10:00 for AC classes and 11:00 for "
        "the others; at most 4 passengers; fare ×1.25; a confirmed Tatkal ticket is not "
        "refunded.",
        "FOREIGN_TOURIST": "Visitors from abroad: each passenger&#x27;s passport number and "
        "country; bookable up to 365 days ahead; fare ×1.5.",
    }
    assert "Up to 6 passengers (4 for Tatkal)." in text_of(html)


def test_tatkal_takes_at_most_four_passengers(client, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)
    client.force_login(funded_user())

    response = client.post(
        reverse("booking:book", args=[trip.pk]),
        passenger_post(trip, [(f"P{i}", 30, "M") for i in range(5)], quota="TATKAL"),
    )

    assert response.status_code == 400
    assert "A tatkal booking holds 1 to 4 passengers." in response.content.decode()


def test_a_foreign_tourist_needs_a_passport(client, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)
    client.force_login(funded_user())

    response = client.post(
        reverse("booking:book", args=[trip.pk]),
        passenger_post(trip, [("Jo Smith", 30, "M")], quota="FOREIGN_TOURIST"),
    )

    assert response.status_code == 400
    assert field_error(response.content.decode(), "form-0-passport") == (
        "A foreign tourist needs a passport number and country."
    )


def test_a_foreign_tourists_country_is_checked_at_its_field(client, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)
    client.force_login(funded_user())
    data = passenger_post(trip, [("Jo Smith", 30, "M")], quota="FOREIGN_TOURIST")
    data.update({"form-0-passport": "X1234567", "form-0-nationality": "zz"})

    refused = client.post(reverse("booking:book", args=[trip.pk]), data)
    data["form-0-nationality"] = "gbr"
    accepted = client.post(reverse("booking:book", args=[trip.pk]), data)

    assert refused.status_code == 400
    assert field_error(refused.content.decode(), "form-0-nationality") == (
        "&#x27;ZZ&#x27; is not a country code of ISO 3166-1: give its two letters (GB) or "
        "its three (GBR)."
    )
    assert accepted.status_code == 302
    [draft] = client.session["booking_drafts"].values()
    assert draft["passengers"][0]["nationality"] == "GB"


def test_add_and_remove_passenger_rows_without_javascript(client, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)
    client.force_login(funded_user())
    url = reverse("booking:book", args=[trip.pk])

    added = client.post(url, passenger_post(trip, [("Asha", 34, "F")], action="add"))
    removed = client.post(
        url, passenger_post(trip, [("Asha", 34, "F"), ("Ravi", 36, "M")], action="remove-0")
    )

    assert added.status_code == removed.status_code == 200
    added_html, removed_html = added.content.decode(), removed.content.decode()
    assert 'name="form-TOTAL_FORMS" value="2"' in added_html
    assert 'name="form-0-name" value="Asha"' in added_html
    assert "field-error" not in added_html
    assert 'name="form-TOTAL_FORMS" value="1"' in removed_html
    assert 'name="form-0-name" value="Ravi"' in removed_html


def test_an_ineligible_quota_is_explained_before_paying(client, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)
    client.force_login(funded_user())

    page, _ = review(client, trip, [("Asha", 34, "F"), ("Ravi", 36, "M")], quota="LADIES")

    assert (
        "These passengers don't meet the Ladies quota's rule, so they will be booked in General."
    ) in text_of(page.content.decode())


def test_booking_needs_sign_in_and_keeps_the_picked_seats(client, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)
    url = reverse("booking:book", args=[trip.pk]) + "?from=ST1&to=ST3&class=SL&seat=S1-12"

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")
    assert "seat%3DS1-12" in response["Location"]
