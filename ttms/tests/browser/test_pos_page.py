"""The counter page of a station agent in a real browser, at tablet (768x1024) and phone
width: the next departures from Kigali, two seats picked on the bus, the passengers and the
buyer, the cash given with the change due typed live, Sell, and the receipt with the QR
tickets, the change, the SMS line and Print (photographed as printed). Then one passenger
cancelled with the cash refund shown, with the cash refund shown."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.models import Passenger, Pnr
from booking.tests.buses import make_rwanda_bus
from fleet.models import Company, CompanyMembership, Station
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import PASSWORD, UserFactory

from .support import assert_page_basics, expect, shot, sign_in

pytestmark = pytest.mark.browser

SIZES = {
    "tablet": ("desktop", {"viewport": {"width": 768, "height": 1024}, "has_touch": True}),
    "phone": ("phone", {}),
}


@pytest.fixture(params=list(SIZES))
def size(request) -> str:
    return request.param


@pytest.fixture
def counter(transactional_db):
    trip = make_rwanda_bus(departure=timezone.now() + timedelta(hours=2))
    # Refunds 80 % up to departure (the default tiers refund nothing in the last 12 hours).
    Company.objects.filter(pk=trip.route.company_id).update(
        refund_policy=Company.RefundPolicy.FLAT80
    )
    agent = UserFactory(email="agent@example.com", full_name="Eric Agent", role=Role.AGENT)
    CompanyMembership.objects.create(
        user=agent,
        company=trip.route.company,
        role=Role.AGENT,
        home_station=Station.objects.get(code="KGL"),
    )
    return trip, agent


def _sell_two(page, size):
    sign_in(page, email="agent@example.com", password=PASSWORD)
    # An agent lands on the counter: the departures from the home station.
    expect(page).to_have_url(re.compile(r"/pos/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kigali Nyabugogo")
    departure = page.locator(".pos-departure")
    expect(departure).to_have_count(1)
    departure.get_by_label("To").select_option("MSZ")
    assert_page_basics(page)
    shot(page, f"pos-departures-{size}")
    departure.get_by_role("button", name="Choose seats").click()

    page.get_by_label("Seat 5,").check()
    page.get_by_label("Seat 6,").check()
    page.get_by_role("button", name="Use these seats").click()
    for i, (name, age, gender) in enumerate([("Aline", "34", "F"), ("Jean", "9", "M")]):
        row = page.locator("fieldset.pos-passenger").nth(i)
        row.get_by_label("Name").fill(name)
        row.get_by_label("Age").fill(age)
        row.get_by_label("Gender").select_option(gender)
    page.get_by_label("Buyer's name").fill("Aline Uwase")
    page.get_by_label("Buyer's phone").fill("+250788123456")
    expect(page.get_by_test_id("total-due")).to_have_text("RWF\xa05,000")
    page.get_by_label("Cash given").press_sequentially("4000")
    expect(page.get_by_test_id("change-due")).to_contain_text("short")
    page.get_by_label("Cash given").fill("")
    page.get_by_label("Cash given").press_sequentially("10000")
    expect(page.get_by_test_id("change-due")).to_contain_text("RWF\xa05,000")
    assert_page_basics(page)
    shot(page, f"pos-sale-form-{size}")
    page.get_by_test_id("sell").click()

    expect(page.get_by_test_id("change")).to_have_text("RWF\xa05,000")
    expect(page.get_by_test_id("sms")).to_contain_text("+250788123456")
    expect(page.locator(".ticket-qr svg")).to_have_count(2)
    expect(page.get_by_test_id("print")).to_be_visible()
    assert_page_basics(page)
    shot(page, f"pos-receipt-{size}")
    page.emulate_media(media="print")
    shot(page, f"pos-receipt-print-{size}")
    page.emulate_media(media="screen")
    pnr = Pnr.objects.get()
    assert sorted(Passenger.objects.values_list("seat__number", flat=True)) == ["5", "6"]
    return pnr


def test_an_agent_sells_two_seats_for_cash_with_change(new_context, size, counter):
    device, options = SIZES[size]
    page = new_context(device, **options).new_page()
    pnr = _sell_two(page, size)
    assert pnr.total_fare == 5000


def test_an_agent_cancels_one_passenger_with_the_cash_refund_shown(new_context, size, counter):
    device, options = SIZES[size]
    page = new_context(device, **options).new_page()
    _sell_two(page, size)

    page.get_by_test_id("cancel-2").click()

    expect(page.locator(".notice-success").first).to_contain_text(
        "Cancelled. Give back RWF\xa02,000 in cash."
    )
    expect(page.get_by_test_id("passenger-status").nth(1)).to_contain_text("Cancelled")
    shot(page, f"pos-cancelled-{size}")
