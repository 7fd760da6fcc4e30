"""A trip's page and its seat map: bays and rows as the vehicle lays them out, the seats taken
on the passenger's legs, the free seats counted as the results count them; a trip that left or
was cancelled sells nothing."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from fleet.models import Trip

from ..models import Pnr
from ..views.trip import BERTH_SHORT
from .factories import adult, funded_user, make_trip
from .pages import DEPARTURE, TODAY, balance, passenger_post, search, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_days_before")]


def seat_inputs(html: str) -> dict[str, bool]:
    """Seat value -> selectable, as the seat map draws them."""
    return {
        value: "disabled" not in attrs
        for value, attrs in re.findall(
            r'<input type="checkbox" name="seat" value="([^"]+)"([^>]*)>', html
        )
    }


def test_sleeper_seat_map_draws_bays_and_marks_seats_taken_on_the_passengers_legs(
    client, make_sleeper_trip, book
):
    trip = make_sleeper_trip(quotas={}, departure=DEPARTURE)
    booked = book(trip, [adult()], destination="ST2", now=TODAY)
    taken = booked.passenger_list[0].placement
    value = f"{taken.coach}-{taken.seat}"
    url = reverse("booking:trip", args=[trip.pk])

    overlapping = client.get(url, {"from": "ST1", "to": "ST3", "class": "SL"}).content.decode()
    after = client.get(url, {"from": "ST2", "to": "ST4", "class": "SL"}).content.decode()

    assert overlapping.count('role="group" aria-label="Bay ') == 9
    seats = seat_inputs(overlapping)
    assert len(seats) == 72
    assert seats[value] is False
    assert f'aria-label="Seat {taken.seat}, {BERTH_SHORT[taken.berth_type]}, Taken"' in overlapping
    assert seat_inputs(after)[value] is True
    # The first seven side lowers are RAC berths: never picked.
    assert seats["S1-7"] is False and "Seat 7, Side lower, RAC berth" in overlapping


def test_bus_seat_map_draws_rows_with_the_aisle(client):
    trip = make_trip(coaches=(("C1", "STANDARD"),), departure=DEPARTURE)

    html = client.get(
        reverse("booking:trip", args=[trip.pk]), {"from": "ST1", "to": "ST2"}
    ).content.decode()

    # 9 rows of 2+2 with the aisle, then the back row of five across it.
    assert html.count('aria-label="Row ') == 10
    assert html.count('class="seat-aisle"') == 9
    assert len(seat_inputs(html)) == 41


def test_the_seat_map_counts_free_seats_as_the_results_do_and_says_what_it_counts(
    client, make_sleeper_trip, book
):
    # Railway defaults: of 65 berths that are not RAC, 6 Ladies, 6 Senior, 6 Tatkal.
    trip = make_sleeper_trip(departure=DEPARTURE)
    book(trip, [adult("P1"), adult("P2")], now=TODAY)  # two General berths, ST1 to ST4

    results = text_of(search(client).content.decode())
    seat_map = text_of(
        client.get(
            reverse("booking:trip", args=[trip.pk]), {"from": "ST1", "to": "ST3", "class": "SL"}
        ).content.decode()
    )

    assert "SL AVAILABLE-45 " in results
    assert "General 45 · Ladies 6 · Senior citizen / lower berth 6 · Tatkal 6" in results
    assert (
        "SL for your journey: AVAILABLE-45 (free by quota: General 45 · Ladies 6 · "
        "Senior citizen / lower berth 6 · Tatkal 6; 63 free in all quotas)."
    ) in seat_map
    assert "Coach S1 · 70 of 72 berths free, any quota or RAC" in seat_map


def test_trip_page_of_a_stop_the_trip_does_not_serve_is_404(client):
    trip = make_trip(stops=3, departure=DEPARTURE)

    response = client.get(reverse("booking:trip", args=[trip.pk]), {"from": "ST3", "to": "ST1"})

    assert response.status_code == 404


LEFT = "This trip left Station ST1 at 08:00 IST on 07 Jan 2030."


def test_search_results_show_a_trip_that_left_as_not_bookable_without_seat_links(client):
    trip = make_trip(stops=4, departure=DEPARTURE)
    seats = reverse("booking:trip", args=[trip.pk])

    with time_machine.travel(DEPARTURE + timedelta(hours=2), tick=False):
        response = search(client)

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'class="notice trip-closed"[^>]*>([^<]*)<', html).group(1) == (
        f"Not bookable: {LEFT}"
    )
    assert seats not in html
    assert "AVAILABLE" not in html


def test_the_seat_map_and_the_booking_form_of_a_trip_that_left_say_so_and_book_nothing(
    client, make_sleeper_trip
):
    trip = make_sleeper_trip(quotas={}, departure=DEPARTURE)
    user = funded_user()
    client.force_login(user)
    before = balance(user)
    journey = {"from": "ST1", "to": "ST3", "class": "SL"}

    with time_machine.travel(DEPARTURE + timedelta(minutes=30), tick=False):
        seat_map = client.get(reverse("booking:trip", args=[trip.pk]), journey)
        form = client.get(reverse("booking:book", args=[trip.pk]), journey)
        sent = client.post(
            reverse("booking:book", args=[trip.pk]), passenger_post(trip, [("Asha", 34, "F")])
        )

    for response in (seat_map, form, sent):
        html = response.content.decode()
        assert response.status_code == 409
        assert (
            re.search(r'class="notice notice-error" role="alert">([^<]*)<', html).group(1) == LEFT
        )
        assert 'name="seat"' not in html and 'name="form-0-name"' not in html
        assert reverse("booking:search") + "?from=ST1&amp;to=ST3&amp;date=2030-01-07" in html
    assert "booking_drafts" not in client.session
    assert not Pnr.objects.exists()
    assert balance(user) == before


def test_the_seat_map_and_the_booking_form_of_a_cancelled_trip_say_so(client, make_sleeper_trip):
    trip = make_sleeper_trip(quotas={}, departure=DEPARTURE)
    Trip.objects.filter(pk=trip.pk).update(status="cancelled")
    client.force_login(funded_user())
    journey = {"from": "ST1", "to": "ST3", "class": "SL"}

    seat_map = client.get(reverse("booking:trip", args=[trip.pk]), journey)
    form = client.get(reverse("booking:book", args=[trip.pk]), journey)

    for response in (seat_map, form):
        assert response.status_code == 409
        assert re.search(
            r'class="notice notice-error" role="alert">([^<]*)<', response.content.decode()
        ).group(1) == (f"Trip {trip.route.number} of 2030-01-07 is cancelled; it cannot be booked.")
