"""The passenger's pages before paying: search with station suggestions, results with
availability by quota and fares in local time, a trip's seat map, and the booking form
(passengers, fare review, a short wallet topped up through the sandbox, Pay once)."""

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleet.models import Seat, Station, Trip
from fleet.selectors import trip_search_refusal
from payments import selectors as wallet_selectors
from payments.models import Payment

from .. import rules
from ..models import FareRule, Pnr
from ..views.trip import BERTH_SHORT
from .factories import IST, adult, funded_user, make_trip

pytestmark = pytest.mark.django_db

DEPARTURE = datetime(2030, 1, 7, 8, 0, tzinfo=IST)
TODAY = DEPARTURE - timedelta(days=2)


@pytest.fixture(autouse=True)
def two_days_before():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def sandbox(settings):
    settings.TTMS_PAYMENT_PROVIDERS = ["sandbox"]
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = "sandbox-test-secret"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def field_error(html: str, name: str) -> str:
    """The error shown next to the input named `name` (includes/field.html)."""
    found = re.search(
        rf'name="{re.escape(name)}".*?<small class="field-error"[^>]*>([^<]*)<', html, re.S
    )
    return found.group(1).strip() if found else ""


def search(client, origin="ST1", destination="ST3", day="2030-01-07"):
    return client.get(reverse("booking:search"), {"from": origin, "to": destination, "date": day})


def passenger_post(
    trip,
    people,
    *,
    seats=(),
    quota="GENERAL",
    action="review",
    origin="ST1",
    destination="ST3",
    class_code="SL",
) -> dict:
    data = {
        "from": origin,
        "to": destination,
        "class": class_code,
        "quota": quota,
        "action": action,
        "form-TOTAL_FORMS": str(len(people)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "6",
    }
    for i, (name, age, gender) in enumerate(people):
        data.update(
            {
                f"form-{i}-name": name,
                f"form-{i}-age": str(age),
                f"form-{i}-gender": gender,
                f"form-{i}-berth_preference": "",
                f"form-{i}-seat": seats[i] if i < len(seats) else "",
            }
        )
    return data


def review(client, trip, people, **kwargs):
    """Send the passengers form; returns the review page's response and its draft key."""
    response = client.post(
        reverse("booking:book", args=[trip.pk]), passenger_post(trip, people, **kwargs)
    )
    assert response.status_code == 302, text_of(response.content.decode())
    key = re.search(r"draft=([0-9a-f]+)", response["Location"]).group(1)
    return client.get(response["Location"]), key


def balance(user) -> int:
    wallet = wallet_selectors.wallet_for_user(user=user)
    return wallet.balance if wallet else 0


# --- Search ------------------------------------------------------------------------------------


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
    assert len(two) <= 12


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


# --- Trip page and seat map ---------------------------------------------------------------------


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

    assert html.count('aria-label="Row ') == 10
    assert html.count('class="seat-aisle"') == 10
    assert len(seat_inputs(html)) == 40


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


# --- Booking ----------------------------------------------------------------------------------


def test_picked_seats_are_booked_after_the_fare_review_and_paid_once(client, make_sleeper_trip):
    trip = make_sleeper_trip(quotas={}, departure=DEPARTURE)
    user = funded_user()
    client.force_login(user)
    before = balance(user)

    form = client.get(
        reverse("booking:book", args=[trip.pk]),
        {"from": "ST1", "to": "ST3", "class": "SL", "seat": ["S1-12", "S1-20"]},
    )
    assert form.status_code == 200
    assert "Passenger 1 · seat S1-12" in text_of(form.content.decode())
    page, key = review(
        client, trip, [("Asha Rao", 34, "F"), ("Ravi Rao", 36, "M")], seats=["S1-12", "S1-20"]
    )
    text = text_of(page.content.decode())
    fare = re.search(r"Fare per passenger (₹[\d,.]+)", text).group(1)
    total = re.search(r"Total (₹[\d,.]+)", text).group(1)
    assert "Passengers × 2" in text and f"Pay {total} from wallet" in text

    paid = client.post(reverse("booking:book", args=[trip.pk]), {"draft": key, "action": "pay"})
    again = client.post(reverse("booking:book", args=[trip.pk]), {"draft": key, "action": "pay"})

    pnr = Pnr.objects.get()
    assert paid["Location"] == again["Location"] == reverse("booking:pnr", args=[pnr.number])
    seats = [
        (p.name, p.status, p.seat.coach.code, p.seat.number)
        for p in pnr.passengers.select_related("seat__coach").order_by("index")
    ]
    assert seats == [("Asha Rao", "CNF", "S1", "12"), ("Ravi Rao", "CNF", "S1", "20")]
    assert before - balance(user) == pnr.total_fare
    assert fare.replace("₹", "").replace(",", "") == f"{pnr.total_fare / 200:.2f}"


def review_rows(html: str) -> list[str]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return [text_of(row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def test_the_review_shows_the_berth_of_the_picked_seat_and_the_preference_otherwise(
    client, make_sleeper_trip
):
    trip = make_sleeper_trip(quotas={}, departure=DEPARTURE)
    client.force_login(funded_user())
    data = passenger_post(trip, [("Asha", 34, "F"), ("Ravi", 36, "M")], seats=["S1-2"])
    data["form-0-berth_preference"] = data["form-1-berth_preference"] = "UB"
    sent = client.post(reverse("booking:book", args=[trip.pk]), data)

    page = client.get(sent["Location"])

    assert (
        Seat.objects.get(coach__vehicle=trip.vehicle, coach__code="S1", number="2").berth_type
        == "MB"
    )
    assert review_rows(page.content.decode()) == [
        "1 Asha 34 Female Middle berth S1-2",
        "2 Ravi 36 Male Upper (preferred) Best free",
    ]


def test_a_short_wallet_tops_up_through_the_sandbox_and_returns_to_the_review(
    client, make_sleeper_trip, sandbox
):
    trip = make_sleeper_trip(quotas={}, departure=DEPARTURE)
    user = funded_user(amount=5_000)  # ₹50: less than one berth
    client.force_login(user)
    page, key = review(client, trip, [("Asha Rao", 34, "F")])
    text = text_of(page.content.decode())
    assert "Your wallet is ₹" in text and "short" in text
    amount = re.search(r'name="amount" value="([\d.]+)"', page.content.decode()).group(1)
    back = reverse("booking:book", args=[trip.pk]) + f"?draft={key}"

    started = client.post(reverse("payments:wallet-topup"), {"amount": amount, "next": back})
    payment = Payment.objects.get(user=user, status="pending")
    assert started["Location"] == reverse("payments-sandbox-checkout", args=[payment.pk])
    approved = client.post(started["Location"], {"outcome": "approve"})
    assert approved["Location"] == back

    page = client.get(back)
    assert "Pay ₹" in text_of(page.content.decode())
    client.post(reverse("booking:book", args=[trip.pk]), {"draft": key, "action": "pay"})
    assert Pnr.objects.filter(user=user).count() == 1


def test_an_unsafe_return_address_after_a_topup_goes_to_the_wallet(client, sandbox):
    user = funded_user(amount=0)
    client.force_login(user)

    started = client.post(
        reverse("payments:wallet-topup"), {"amount": "500", "next": "https://evil.example/"}
    )
    approved = client.post(started["Location"], {"outcome": "approve"})

    assert approved["Location"] == reverse("payments:wallet")


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


@pytest.mark.parametrize(
    ("quota", "today", "refusal"),
    [
        # Two days before: Tatkal for a sleeper opens the day before at 11:00.
        (
            "TATKAL",
            TODAY,
            "Tatkal booking for this journey opens at 11:00 on 06 Jan 2030 (Asia/Kolkata).",
        ),
        # 70 days before: booking opens 60 days ahead, the journey day not counted.
        (
            "GENERAL",
            DEPARTURE - timedelta(days=70),
            "Booking for this journey opens at 00:00 on 08 Nov 2029 (Asia/Kolkata).",
        ),
    ],
)
def test_what_pay_would_refuse_is_refused_at_the_form_before_any_review(
    client, make_sleeper_trip, quota, today, refusal
):
    trip = make_sleeper_trip(departure=DEPARTURE)
    user = funded_user()
    client.force_login(user)
    before = balance(user)

    with time_machine.travel(today, tick=False):
        response = client.post(
            reverse("booking:book", args=[trip.pk]),
            passenger_post(trip, [("Asha", 34, "F")], quota=quota),
        )

    assert response.status_code == 409
    assert (
        re.search(
            r'class="notice notice-error" role="alert">([^<]*)<', response.content.decode()
        ).group(1)
        == refusal
    )
    assert "booking_drafts" not in client.session
    assert not Pnr.objects.exists()
    assert balance(user) == before


def test_a_review_of_a_draft_pay_would_refuse_shows_why_and_offers_neither_pay_nor_topup(
    client, make_sleeper_trip
):
    trip = make_sleeper_trip(departure=DEPARTURE)
    user = funded_user(amount=5_000)  # short: the review would offer a top-up
    client.force_login(user)
    _, key = review(client, trip, [("Asha", 34, "F")])
    session = client.session
    session["booking_drafts"][key]["quota"] = "TATKAL"  # a draft kept from before the rule
    session.save()

    response = client.get(reverse("booking:book", args=[trip.pk]), {"draft": key})

    assert response.status_code == 409
    html = response.content.decode()
    assert re.search(r'class="notice notice-error" role="alert">([^<]*)<', html).group(1) == (
        "Tatkal booking for this journey opens at 11:00 on 06 Jan 2030 (Asia/Kolkata)."
    )
    assert 'value="pay"' not in html
    assert reverse("payments:wallet-topup") not in html
    assert "Change passengers or quota" in text_of(html)
    assert not Pnr.objects.exists()


def test_a_refused_booking_is_shown_on_the_review_and_nothing_is_written(
    client, make_sleeper_trip, book
):
    trip = make_sleeper_trip(berths=8, quotas={}, departure=DEPARTURE)
    for group in "PQ":  # every berth and RAC place taken
        book(trip, [adult(f"{group}{i}") for i in range(6)], now=TODAY)
    user = funded_user()
    client.force_login(user)
    before = balance(user)
    data = passenger_post(trip, [("Asha", 34, "F")])
    data["only_if_all_confirmed"] = "on"
    response = client.post(reverse("booking:book", args=[trip.pk]), data)
    key = re.search(r"draft=([0-9a-f]+)", response["Location"]).group(1)

    response = client.post(reverse("booking:book", args=[trip.pk]), {"draft": key, "action": "pay"})

    assert response.status_code == 409
    assert re.search(
        r'class="notice notice-error" role="alert">[^<]*confirmed', response.content.decode()
    )
    assert not Pnr.objects.filter(user=user).exists()
    assert balance(user) == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_pay_pressed_in_four_tabs_at_once_books_once(make_sleeper_trip):
    from django.test import Client

    from ttms.testing import run_together

    trip = make_sleeper_trip(quotas={}, departure=DEPARTURE)
    user = funded_user()
    first = Client()
    first.force_login(user)
    _, key = review(first, trip, [("Asha Rao", 34, "F"), ("Ravi Rao", 36, "M")])
    cookie = first.cookies["sessionid"].value
    before = balance(user)

    def pay(_i: int):
        tab = Client()
        tab.cookies["sessionid"] = cookie  # the same signed-in session, another tab
        response = tab.post(
            reverse("booking:book", args=[trip.pk]), {"draft": key, "action": "pay"}
        )
        return response.status_code, response.get("Location", "")

    answers = run_together(4, pay)

    pnr = Pnr.objects.get()
    booked = [a for a in answers if a == (302, reverse("booking:pnr", args=[pnr.number]))]
    busy = [a for a in answers if a[0] == 409]
    assert len(booked) + len(busy) == 4 and booked, answers
    assert before - balance(user) == pnr.total_fare
    assert pnr.passengers.count() == 2
