"""The search page: station suggestions, results in local times with availability by quota and
fares (the waiting list of a full class), at a fixed number of queries, and the dates on sale."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleet.models import Station, Trip
from fleet.selectors import trip_search_refusal

from .. import rules
from .factories import adult, funded_user, make_trip
from .pages import DEPARTURE, TODAY, field_error, search, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_days_before")]


def test_results_show_local_times_duration_availability_by_quota_and_fares(client):
    trip = make_trip(stops=4, departure=DEPARTURE)

    response = search(client)

    assert response.status_code == 200
    text = text_of(response.content.decode())
    route = trip.route
    assert f"{route.number} {route.name}" in text
    # ST1 at 08:00 IST; ST3 two legs on: 125 minutes later (an hour a leg, 5 min halts).
    assert "08:00 Mon 07 Jan IST Station ST1 (ST1)" in text
    assert "10:05 Mon 07 Jan IST Station ST3 (ST3)" in text
    assert "2 h 05 min" in text and "200 km" in text
    assert re.search(r"SL AVAILABLE-\d+ ₹[\d,.]+", text)
    assert re.search(r"General \d+ · Ladies \d+", text)
    assert re.search(r"Tatkal ₹[\d,.]+", text)


def test_results_of_a_full_class_show_the_waiting_list_position(client, make_sleeper_trip, book):
    # One bay: 7 berths and one side lower, an RAC berth (two halves).
    trip = make_sleeper_trip(berths=8, quotas={}, departure=DEPARTURE)
    user = funded_user()
    for group in "PQR":  # 7 confirmed, 2 on RAC, 9 waiting
        book(trip, [adult(f"{group}{i}") for i in range(6)], user=user, now=TODAY)

    text = text_of(search(client, destination="ST4").content.decode())

    assert "SL WL 10" in text


def test_search_results_cost_the_same_queries_for_two_trips_as_for_many(client, book):
    trip = make_trip(stops=4, departure=DEPARTURE)

    def another(hour: int, *, booked: bool) -> None:
        other = Trip.objects.create(
            route=trip.route,
            service_date=DEPARTURE.date(),
            vehicle=trip.vehicle,
            departure_at=DEPARTURE.replace(hour=hour),
            arrival_at=DEPARTURE.replace(hour=hour) + timedelta(minutes=195),
        )
        if booked:
            book(other, [adult(f"P{i}") for i in range(3)], now=TODAY)

    # One trip nobody has booked (seats from the vehicle), one booked (its inventory).
    another(9, booked=True)
    with CaptureQueriesContext(connection) as two:
        response = search(client)
    assert response.content.decode().count('class="trip-card"') == 2

    for hour in (10, 11, 12, 13, 14, 15):
        another(hour, booked=hour % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        response = search(client)

    assert response.content.decode().count('class="trip-card"') == 8
    assert len(many) == len(two)
    # Availability reads the stage fares and the travel classes' names, a query each.
    assert len(two) <= 13


def test_stations_are_found_by_code_name_or_the_suggested_label(client):
    make_trip(stops=4, departure=DEPARTURE)

    by_name = search(client, origin="Station ST1", destination="Station ST3 (ST3)")
    by_code = search(client, origin="st1", destination="ST3")

    assert by_name.status_code == by_code.status_code == 200
    assert "Station ST1 to Station ST3" in text_of(by_name.content.decode())


def test_an_ambiguous_or_unknown_station_is_explained_next_to_its_field(client):
    make_trip(stops=4, departure=DEPARTURE)

    response = search(client, origin="Station ST", destination="Nowhere at all")

    assert response.status_code == 400
    html = response.content.decode()
    assert field_error(html, "from").startswith("Several stations match: Station ST1 (ST1), ")
    assert field_error(html, "to") == (
        "No station is called &#x27;Nowhere at all&#x27;. "
        "Type a station&#x27;s name or its code, e.g. NDLS."
    )


def test_the_same_station_twice_is_refused(client):
    make_trip(stops=4, departure=DEPARTURE)

    response = search(client, origin="ST2", destination="ST2")

    assert response.status_code == 400
    assert field_error(response.content.decode(), "to") == (
        "Choose a destination other than the origin."
    )


def test_the_search_form_shows_the_trip_searchs_own_refusal_of_the_same_station(client):
    make_trip(stops=4, departure=DEPARTURE)
    station = Station.objects.get(code="ST2")

    response = search(client, origin="ST2", destination="ST2")

    assert response.status_code == 400
    assert field_error(response.content.decode(), "to") == trip_search_refusal(
        origin=station, destination=station
    )


LAST_DAY_ON_SALE = "05 Jan 2031"  # TODAY at the origin and rules.SEARCH_HORIZON_DAYS (365)


def test_search_offers_the_dates_some_quota_sells_and_not_one_day_more(client):
    make_trip(stops=4, departure=DEPARTURE)

    last = search(client, day="2031-01-05")
    after = search(client, day="2031-01-06")

    assert rules.SEARCH_HORIZON_DAYS == rules.FOREIGN_TOURIST_HORIZON_DAYS == 365
    assert last.status_code == 200
    assert field_error(last.content.decode(), "date") == ""
    assert after.status_code == 400
    assert field_error(after.content.decode(), "date") == (
        f"Trips are sold at most 365 days ahead: choose a date up to {LAST_DAY_ON_SALE}."
    )


@pytest.mark.parametrize(
    ("day", "error"),
    [
        (
            "9999-12-31",
            f"Trips are sold at most 365 days ahead: choose a date up to {LAST_DAY_ON_SALE}.",
        ),
        (
            "2031-01-07",
            f"Trips are sold at most 365 days ahead: choose a date up to {LAST_DAY_ON_SALE}.",
        ),
        ("0001-01-01", "Choose today or a later date."),
        ("10000-01-01", "Enter a valid date."),
    ],
)
def test_a_date_out_of_sale_is_an_error_at_the_date_field(client, day, error):
    make_trip(stops=4, departure=DEPARTURE)

    response = search(client, day=day)

    assert response.status_code == 400
    assert field_error(response.content.decode(), "date") == error


def test_station_suggestions_fill_the_datalist(client):
    make_trip(stops=3, departure=DEPARTURE)

    response = client.get(reverse("booking:station-suggest"), {"from": "Station ST"})

    assert response.content.decode() == "".join(
        f'<option value="Station ST{i} (ST{i})"></option>' for i in (1, 2, 3)
    )


def test_home_page_has_the_search_form(client):
    html = client.get(reverse("home")).content.decode()

    assert 'action="/trips/"' in html
    assert 'name="from"' in html and 'name="to"' in html and 'type="date"' in html
    assert 'value="2030-01-05"' in html
