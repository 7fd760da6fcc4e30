"""A bus passenger's journey in a real browser, at phone and desktop width: search Kigali to
Musanze on a Rwandan bus (RWF, General only, no RAC, no waiting list), the bus drawn from
the front (windscreen, driver, door, rows with the aisle, the back row of five), a window
seat picked, window or aisle offered, booked and paid in francs ("RWF 2,500", no
decimals), the PNR with the seat and no coach; none of the railway's words on any page.
Then a Rajdhani's seat map and booking form, which keep their quotas, berths and rupees.
Every page is photographed (`shot`)."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from booking.models import Pnr
from booking.tests.buses import RAILWAY_WORDS, make_rwanda_bus
from payments.tests.factories import fund_wallet
from ttms.accounts.tests.factories import PASSWORD, UserFactory

from .support import assert_page_basics, expect, shot, sign_in
from .test_journey import rajdhani  # noqa: F401 (the Rajdhani trip, a fixture)

pytestmark = pytest.mark.browser

KIGALI = ZoneInfo("Africa/Kigali")
VIEWPORTS = {"phone": {}, "desktop": {"viewport": {"width": 1280, "height": 900}}}


@pytest.fixture
def bus_trip(transactional_db):
    day = timezone.now().astimezone(KIGALI).date() + timedelta(days=10)
    return make_rwanda_bus(departure=datetime.combine(day, time(8, 0), tzinfo=KIGALI))


def railway_words(page) -> list[str]:
    text = page.locator("main").inner_text()
    return [word for word in RAILWAY_WORDS if word in text]


def test_a_bus_passenger_books_a_window_seat_in_francs(new_context, device, bus_trip):
    user = UserFactory(email="aline@example.com", full_name="Aline Uwase")
    fund_wallet(user, 50_000, "RWF")
    page = new_context(device, **VIEWPORTS[device]).new_page()
    sign_in(page, email="aline@example.com", password=PASSWORD)

    # Search: the bus's class by name, seats free, the fare in francs without decimals.
    day = bus_trip.departure_at.astimezone(KIGALI).date().isoformat()
    page.goto(f"/trips/?from=KGL&to=MSZ&date={day}")
    card = page.locator("article.trip-card")
    expect(card).to_have_count(1)
    expect(card.locator(".class-offer")).to_contain_text("Standard")
    expect(card.locator(".class-offer")).to_contain_text("41 seats free")
    expect(card.locator(".fare")).to_have_text("RWF\xa02,500")
    assert railway_words(page) == []
    assert_page_basics(page)
    shot(page, "bus-search")

    # The bus from above: windscreen, driver, door, the back row; seat 1 is a window seat.
    card.get_by_role("link", name=re.compile(r"^Standard: ")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("choose seats")
    bus = page.get_by_test_id("bus-map")
    expect(bus.get_by_test_id("bus-front")).to_be_visible()
    expect(bus.get_by_test_id("bus-driver")).to_have_count(1)
    expect(bus.get_by_test_id("bus-door")).to_have_count(1)
    expect(bus.get_by_test_id("bus-back")).to_be_visible()
    expect(page.locator("input[name=seat]")).to_have_count(41)
    expect(page.get_by_text("RWF\xa02,500 per passenger.")).to_be_visible()
    back_row = [
        page.locator(f"label.seat:has(input[value='C1-{n}'])").bounding_box()
        for n in (37, 38, 39, 40, 41)
    ]
    assert len({round(box["y"]) for box in back_row}) == 1  # five abreast
    first = page.locator("label.seat:has(input[value='C1-1'])").bounding_box()
    assert first["width"] < 64 and first["height"] < 64  # small squares, not full width
    assert first["width"] >= 40  # still a finger's width
    assert railway_words(page) == []
    assert_page_basics(page)
    shot(page, "bus-seatmap")
    window = page.get_by_role("checkbox", name="Seat 1, Window, Free")
    page.locator("label.seat:has(input[value='C1-1'])").click()
    expect(window).to_be_checked()
    shot(page, "bus-seatmap-picked")
    page.get_by_role("button", name="Book the chosen seats").click()

    # One passenger on seat 1: a window or aisle preference, no quota, no passport.
    expect(page.get_by_role("heading", level=1)).to_have_text("Book VE1 Kigali Rubavu")
    passenger = page.locator("fieldset.passenger")
    expect(passenger.locator("legend")).to_have_text("Passenger 1 · seat 1")
    preference = passenger.get_by_label("Seat preference")
    expect(preference.locator("option")).to_have_text(["No preference", "Window", "Aisle"])
    expect(page.locator("input[type=radio]")).to_have_count(0)
    passenger.get_by_label("Name").fill("Aline Uwase")
    passenger.get_by_label("Age").fill("29")
    passenger.get_by_label("Gender").select_option("F")
    preference.select_option("WINDOW")
    assert railway_words(page) == []
    assert_page_basics(page)
    shot(page, "bus-booking-form")
    page.get_by_role("button", name="Review fare").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Review and pay")
    expect(page.locator(".fare-breakdown")).to_contain_text("RWF\xa02,500")
    assert railway_words(page) == []
    assert_page_basics(page)
    shot(page, "bus-review")
    page.get_by_role("button", name="Pay RWF\xa02,500 from wallet").click()

    # The PNR: confirmed on seat 1, no coach, the fare in francs.
    expect(page.get_by_role("heading", level=1)).to_contain_text("PNR")
    number = page.locator("h1 .pnr-code").inner_text()
    pnr = Pnr.objects.get(number=number)
    assert (pnr.currency, pnr.total_fare) == ("RWF", 2_500)
    rows = page.get_by_test_id("passengers").locator("tbody tr")
    expect(rows.get_by_test_id("passenger-status")).to_have_text(["Confirmed"])
    expect(rows).to_contain_text("1 Window seat")
    expect(rows).to_contain_text("RWF\xa02,500")
    expect(page.locator(".pnr-qr figcaption")).to_contain_text("Seat 1")
    assert railway_words(page) == []
    assert_page_basics(page)
    shot(page, "bus-pnr")


def test_the_rajdhani_keeps_its_quotas_berths_and_rupees(new_context, device, rajdhani):  # noqa: F811
    UserFactory(email="ravi@example.com")
    from ttms.accounts.models import User

    fund_wallet(User.objects.get(email="ravi@example.com"), 500_000)
    page = new_context(device, **VIEWPORTS[device]).new_page()
    sign_in(page, email="ravi@example.com", password=PASSWORD)

    page.goto(f"/trips/{rajdhani.pk}/?from=NDLS&to=HWH&class=SL")
    expect(page.get_by_role("heading", level=1)).to_contain_text("choose seats")
    expect(page.locator("details.coach summary")).to_contain_text("Coach S1")
    expect(page.locator(".seat-legend")).to_contain_text("RAC berth or kept for a quota")
    expect(page.get_by_test_id("bus-map")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("₹")
    assert_page_basics(page)
    shot(page, "rail-seatmap")

    page.goto(f"/trips/{rajdhani.pk}/book/?from=NDLS&to=HWH&class=SL")
    expect(page.locator("input[type=radio][name=quota]")).to_have_count(5)
    expect(page.locator("fieldset.passenger").get_by_label("Berth preference")).to_be_visible()
    expect(page.get_by_text("Foreign tourist: passport")).to_be_visible()
    assert_page_basics(page)
    shot(page, "rail-booking-form")
