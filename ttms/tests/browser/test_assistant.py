"""The passenger assistant in a real browser, at phone and desktop width: a passenger types
"bus kigali to musanze tomorow evening for 2" into the home page's chat box, reads the
answer (no bus leaves Kigali in the evening, so the day's other departures, saying so),
follows a bus's link to its seat map with everything filled in, picks two seats, books and
pays in francs, and reaches the PNR. Without JavaScript the same box posts a form and the
answer comes back as a page. Every page is photographed (`shot`)."""

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings

from booking.models import Pnr
from booking.tests.buses import KIGALI, make_rwanda_bus
from fleet.models import Trip
from payments.tests.factories import fund_wallet
from ttms.accounts.tests.factories import PASSWORD, UserFactory
from ttms.localtime import today

from .support import assert_page_basics, expect, shot, sign_in

pytestmark = pytest.mark.browser

PHRASE = "bus kigali to musanze tomorow evening for 2"


@pytest.fixture
def buses(transactional_db) -> list[Trip]:
    """Volcano Express's Kigali (KGL) – Musanze (MSZ) bus tomorrow (the site's tomorrow,
    which the phrase means) at 08:00, 14:00 and 16:00 Kigali time: none in the evening."""
    day = today(settings.TTMS_DISPLAY_TIME_ZONE) + timedelta(days=1)
    first = make_rwanda_bus(departure=datetime.combine(day, time(8), tzinfo=KIGALI))
    trips = [first]
    for at in (time(14), time(16)):
        leaves = datetime.combine(day, at, tzinfo=KIGALI)
        trips.append(
            Trip.objects.create(
                route=first.route,
                service_date=day,
                departure_at=leaves,
                arrival_at=leaves + timedelta(minutes=210),
                vehicle=first.vehicle,
            )
        )
    return trips


def test_a_passenger_asks_in_plain_words_and_books_from_the_answer(new_context, device, buses):
    user = UserFactory(email="aline@example.com", full_name="Aline Uwase")
    fund_wallet(user, 50_000, "RWF")
    page = new_context(device).new_page()
    sign_in(page, email="aline@example.com", password=PASSWORD)

    # The home page's chat box; htmx puts the answer under it.
    page.goto("/")
    box = page.get_by_test_id("assistant-form")
    expect(box.get_by_label("Ask for a trip")).to_be_visible()
    assert_page_basics(page)
    shot(page, "assistant-home")
    box.get_by_label("Ask for a trip").fill(PHRASE)
    box.get_by_role("button", name="Ask").click()
    message = page.get_by_test_id("assistant-message")
    expect(message).to_contain_text("Kigali Nyabugogo to Musanze")
    expect(message).to_contain_text(
        "leaving 17:00–21:00, for 2 passengers: nothing leaves then; "
        "3 other departures that day, the nearest first:"
    )
    assert page.url.endswith("/")  # answered in place
    trips = page.get_by_test_id("assistant-trip")
    expect(trips).to_have_count(3)
    expect(trips.nth(0)).to_contain_text("16:00 CAT (Africa/Kigali)")  # the nearest first
    expect(trips.nth(0).locator(".fare")).to_have_text("RWF\xa02,500")
    assert_page_basics(page)
    shot(page, "assistant-answer")

    # The 16:00 bus's seat map: stations, class and party's size filled in.
    trips.nth(0).get_by_test_id("assistant-seats-link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("choose seats")
    assert f"/trips/{buses[2].pk}/" in page.url
    expect(page.locator("input[type=hidden][name=passengers]")).to_have_value("2")
    page.locator("label.seat:has(input[value='C1-1'])").click()
    page.locator("label.seat:has(input[value='C1-2'])").click()
    assert_page_basics(page)
    shot(page, "assistant-seatmap")
    page.get_by_role("button", name="Book the chosen seats").click()

    # Two passengers, on the two seats.
    rows = page.locator("fieldset.passenger")
    expect(rows).to_have_count(2)
    for index, (name, age, gender) in enumerate(
        [("Aline Uwase", "29", "F"), ("Eric Uwase", "31", "M")]
    ):
        row = rows.nth(index)
        row.get_by_label("Name").fill(name)
        row.get_by_label("Age").fill(age)
        row.get_by_label("Gender").select_option(gender)
    assert_page_basics(page)
    shot(page, "assistant-booking-form")
    page.get_by_role("button", name="Review fare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and pay")
    page.get_by_role("button", name="Pay RWF\xa05,000 from wallet").click()

    # The PNR: two confirmed passengers on seats 1 and 2 of the 16:00.
    expect(page.get_by_role("heading", level=1)).to_contain_text("PNR")
    pnr = Pnr.objects.get(number=page.locator("h1 .pnr-code").inner_text())
    assert (pnr.trip_id, pnr.currency, pnr.total_fare) == (buses[2].pk, "RWF", 5_000)
    statuses = page.get_by_test_id("passengers").get_by_test_id("passenger-status")
    expect(statuses).to_have_text(["Confirmed", "Confirmed"])
    assert_page_basics(page)
    shot(page, "assistant-pnr")


def test_without_javascript_the_chat_box_answers_with_a_page(new_context, buses):
    page = new_context("phone", java_script_enabled=False).new_page()
    page.goto(f"/trips/?from=KGL&to=MSZ&date={buses[0].service_date.isoformat()}")
    box = page.get_by_test_id("assistant-form")
    expect(page.locator("article.trip-card")).to_have_count(3)  # the results, then the box
    assert_page_basics(page)
    shot(page, "assistant-results-page")
    box.get_by_label("Ask for a trip").fill("kigali to musanze tomorrow afternoon")
    box.get_by_role("button", name="Ask").click()

    expect(page).to_have_url("/assistant/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for a trip")
    expect(page.get_by_test_id("assistant-message")).to_contain_text("2 trips with seats:")
    expect(page.get_by_test_id("assistant-trip")).to_have_count(2)
    expect(page.get_by_label("Ask for a trip")).to_have_value(
        "kigali to musanze tomorrow afternoon"
    )
    assert_page_basics(page)
    shot(page, "assistant-no-js")
