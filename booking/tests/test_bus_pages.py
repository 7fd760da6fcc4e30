"""A bus operator's passenger pages speak its language: a Rwandan bus (RWF, General only,
no RAC, no waiting list) shows prices as "RWF 2,500", its class by name, window and aisle
seats on a bus-shaped seat map (driver, door, back row), no coach, and none of the
railway's words; a railway's pages keep their quotas, berths and RAC."""

import re

import pytest
from django.urls import reverse

from payments.tests.factories import fund_wallet

from ..sales.services.create import booking_create
from .buses import RAILWAY_WORDS, make_rwanda_bus
from .factories import adult, funded_user
from .pages import DEPARTURE, passenger_post, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_days_before")]

JOURNEY = {"from": "KGL", "to": "MSZ"}


def railway_words(text: str) -> list[str]:
    return [word for word in RAILWAY_WORDS if word in text]


def main_text(response) -> str:
    html = response.content.decode()
    body = re.search(r"<main\b.*?</main>", html, re.S)
    return text_of(body.group(0) if body else html)


@pytest.fixture
def rwanda_bus():
    return make_rwanda_bus()


@pytest.fixture
def traveller(client):
    user = funded_user(0)
    fund_wallet(user, 100_000, "RWF")
    client.force_login(user)
    return user


def test_bus_search_results_show_seats_free_and_francs_without_railway_words(client, rwanda_bus):
    response = client.get(reverse("booking:search"), {**JOURNEY, "date": "2030-01-07"})

    text = main_text(response)
    assert response.status_code == 200
    assert "Standard 41 seats free RWF 2,500" in text
    assert '<span class="fare">RWF\xa02,500</span>' in response.content.decode()
    assert railway_words(text) == []


def test_bus_trip_page_draws_the_bus_with_driver_doors_and_back_row(client, rwanda_bus):
    response = client.get(reverse("booking:trip", args=[rwanda_bus.pk]), JOURNEY)

    html = response.content.decode()
    text = main_text(response)
    assert response.status_code == 200
    assert "Standard for your journey: 41 seats free RWF 2,500 per passenger." in text
    assert html.count('data-testid="bus-driver"') == 1
    assert html.count('data-testid="bus-door"') == 1
    assert 'data-testid="bus-back"' in html
    seats = re.findall(r'aria-label="Seat (\d+), (Window|Aisle|Middle), Free"', html)
    assert len(seats) == 41
    assert seats[:4] == [("1", "Window"), ("2", "Aisle"), ("3", "Aisle"), ("4", "Window")]
    assert seats[-5:] == [
        ("37", "Window"),
        ("38", "Middle"),
        ("39", "Middle"),
        ("40", "Middle"),
        ("41", "Window"),
    ]
    assert 'class="seat  seat-window-left"' in html
    assert railway_words(text) == []


def test_a_long_coach_has_its_rear_door_drawn(client):
    trip = make_rwanda_bus(layout=("BUS22", 12))

    html = client.get(reverse("booking:trip", args=[trip.pk]), JOURNEY).content.decode()

    assert html.count('data-testid="bus-door"') == 2


def test_bus_booking_form_offers_window_or_aisle_and_no_quota(client, rwanda_bus, traveller):
    response = client.get(
        reverse("booking:book", args=[rwanda_bus.pk]),
        {**JOURNEY, "class": "STANDARD", "seat": "C1-1"},
    )

    html = response.content.decode()
    text = main_text(response)
    assert response.status_code == 200
    assert "Class Standard . Up to 6 passengers." in text
    assert "Passenger 1 · seat 1" in text
    preferences = re.search(r'name="form-0-berth_preference".*?</select>', html, re.S).group(0)
    assert re.findall(r"<option [^>]*>([^<]*)</option>", preferences) == [
        "No preference",
        "Window",
        "Aisle",
    ]
    assert "Seat preference" in text
    assert 'name="quota" value="GENERAL"' in html and 'type="radio"' not in html
    assert "Passport" not in text
    assert railway_words(text) == []


def test_bus_review_shows_the_fare_in_francs_and_no_waiting_list(client, rwanda_bus, traveller):
    data = passenger_post(
        rwanda_bus,
        [("Aline", 30, "F")],
        seats=["C1-1"],
        origin="KGL",
        destination="MSZ",
        class_code="STANDARD",
    )
    sent = client.post(reverse("booking:book", args=[rwanda_bus.pk]), data)
    response = client.get(sent["Location"])

    text = main_text(response)
    assert "Class Standard Fare per passenger RWF 2,500 Passengers × 1 Total RWF 2,500" in (text)
    assert "nothing is booked or charged" in text
    assert "Your wallet RWF 100,000" in text
    assert "Pay RWF 2,500 from wallet" in text
    assert railway_words(text) == []


def test_bus_pnr_ticket_cancel_and_my_trips_show_the_seat_without_a_coach(
    client, rwanda_bus, traveller
):
    pnr = booking_create(
        user=traveller,
        trip_id=rwanda_bus.pk,
        origin_code="KGL",
        destination_code="MSZ",
        class_code="STANDARD",
        quota="GENERAL",
        passengers=[adult("Aline", 30, "F", coach="C1", seat="14")],
    )

    pages = {
        name: main_text(client.get(reverse(name, args=[pnr.number])))
        for name in ("booking:pnr", "booking:ticket", "booking:cancel")
    }
    pages["booking:my-trips"] = main_text(client.get(reverse("booking:my-trips")))

    assert "Class Standard Distance 100 km Total fare RWF 2,500" in pages["booking:pnr"]
    assert "Aline · Confirmed · Seat 14" in pages["booking:pnr"]
    assert "Seat 14 Aisle seat" in pages["booking:ticket"]
    assert "1. Aline · Confirmed · Seat 14" in pages["booking:cancel"]
    assert "Class Standard Passengers 1 Total fare RWF 2,500" in pages["booking:my-trips"]
    for name, text in pages.items():
        assert railway_words(text) == [], name


def test_railway_pages_keep_quotas_berths_and_rac(client, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)
    client.force_login(funded_user())

    seat_map = main_text(
        client.get(reverse("booking:trip", args=[trip.pk]), {"from": "ST1", "to": "ST3"})
    )
    form = client.get(
        reverse("booking:book", args=[trip.pk]), {"from": "ST1", "to": "ST3", "class": "SL"}
    ).content.decode()

    assert "RAC berth or kept for a quota" in seat_map
    assert "any quota or RAC" in seat_map
    assert "₹" in seat_map
    assert re.findall(r'type="radio" name="quota" value="([A-Z_]+)"', form) == [
        "GENERAL",
        "LADIES",
        "SENIOR",
        "TATKAL",
        "FOREIGN_TOURIST",
    ]
    preferences = re.search(r'name="form-0-berth_preference".*?</select>', form, re.S).group(0)
    assert re.findall(r"<option [^>]*>([^<]*)</option>", preferences) == [
        "No preference",
        "Lower",
        "Middle",
        "Upper",
        "Side lower",
        "Side upper",
    ]
    assert "Foreign tourist: passport" in form
    assert "Up to 6 passengers (4 for Tatkal)." in text_of(form)
