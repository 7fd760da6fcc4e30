"""The booking confirmation email as a mail client shows it, at phone and desktop width:
the operator's header, the facts, each passenger's place and status, the button to the
PNR; no sideways scrolling. The screenshots (notification-email-*.png) show it."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from booking.sales.services.create import booking_create
from booking.tests.buses import make_rwanda_bus
from booking.tests.factories import adult, funded_user, make_trip
from fleet.tests.factories import CompanyFactory
from payments.tests.factories import fund_wallet
from ttms.notifications.events import EMAIL
from ttms.notifications.models import OutboxMessage
from ttms.notifications.rendering import render

from .support import assert_page_basics, expect, shot

pytestmark = pytest.mark.browser

BOOKED_AT = datetime(2029, 12, 1, tzinfo=ZoneInfo("UTC"))


def _rail_confirmation(language: str) -> str:
    company = CompanyFactory(kind="rail", name="Deccan Rail", time_zone="Asia/Kolkata")
    trip = make_trip(company=company, coaches=(("S1", "SL"),))
    user = funded_user(email="ravi@example.com")
    pnr = booking_create(
        user=user,
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST3",
        class_code="SL",
        quota="GENERAL",
        passengers=[adult("Ravi Kumar", coach="S1", seat="23"), adult("Meera Kumar", 28, "F")],
        now=BOOKED_AT,
    )
    # The waiting passengers as a full train would place them.
    message = OutboxMessage.objects.create(
        topic="booking.confirmed",
        user=user,
        language=language,
        payload={
            "pnr": pnr.number,
            "passengers": [
                {
                    "index": 1,
                    "name": "Ravi Kumar",
                    "status": "CNF",
                    "coach": "S1",
                    "seat": "23",
                    "berth": "LB",
                },
                {
                    "index": 2,
                    "name": "Meera Kumar",
                    "status": "RAC",
                    "coach": "S1",
                    "seat": "7",
                    "berth": "SL",
                    "position": 3,
                },
                {
                    "index": 3,
                    "name": "Anil Venkataraman Subramanian",
                    "status": "WL",
                    "position": 12,
                },
            ],
            "fare": 174120,
            "currency": "INR",
        },
    )
    return render(message, EMAIL).html, pnr.number


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "hi"])
def test_the_train_booking_email_reads_well_on_a_phone_and_a_desktop(new_context, device, language):
    html, number = _rail_confirmation(language)
    page = new_context(device).new_page()

    page.set_content(html)

    expect(page.locator("h1")).to_be_visible()
    expect(page.get_by_text(number, exact=True)).to_be_visible()
    expect(page.get_by_text("RAC 3")).to_be_visible()
    expect(page.get_by_text("WL 12")).to_be_visible()
    expect(page.get_by_text("₹1,741.20")).to_be_visible()
    button = page.get_by_role("link").first
    expect(button).to_have_attribute("href", f"http://127.0.0.1:8000/bookings/{number}/")
    assert_page_basics(page)
    shot(page, f"notification-email-booking-confirmed-rail-{language}")


def _bus_booking():
    trip = make_rwanda_bus()
    user = funded_user(0, email="aline@example.com")
    fund_wallet(user, 100_000, "RWF")
    return booking_create(
        user=user,
        trip_id=trip.pk,
        origin_code="KGL",
        destination_code="MSZ",
        class_code="STANDARD",
        quota="GENERAL",
        passengers=[adult("Aline Uwase", 30, "F", coach="C1", seat="14")],
        now=BOOKED_AT,
    )


@pytest.mark.django_db
def test_the_bus_booking_email_shows_the_seat_and_francs(new_context, device):
    pnr = _bus_booking()
    message = OutboxMessage.objects.get(topic="booking.confirmed", payload__pnr=pnr.number)
    page = new_context(device).new_page()

    page.set_content(render(message, EMAIL).html)

    expect(page.get_by_text("Volcano Express").first).to_be_visible()
    expect(page.get_by_text("Seat 14")).to_be_visible()
    expect(page.get_by_text("RWF\u00a02,500")).to_be_visible()
    assert_page_basics(page)
    shot(page, "notification-email-booking-confirmed-bus")


@pytest.mark.django_db
def test_an_optional_events_email_ends_with_its_unsubscribe_link(phone_page):
    pnr = _bus_booking()
    message = OutboxMessage.objects.create(
        topic="vehicle.swapped",
        user=pnr.user,
        language="en",
        payload={
            "pnr": pnr.number,
            "trip": pnr.trip_id,
            "vehicle": "Coaster",
            "plate": "RAE 555 C",
        },
    )
    rendered = render(message, EMAIL)

    phone_page.set_content(rendered.html)

    expect(phone_page.get_by_text("Your trip now runs with vehicle RAE 555 C.")).to_be_visible()
    if rendered.unsubscribe_url:
        link = phone_page.get_by_role("link", name="Stop these emails (Vehicle swapped)")
        expect(link).to_have_attribute("href", rendered.unsubscribe_url)
    assert_page_basics(phone_page)
    shot(phone_page, "notification-email-vehicle-swapped")
