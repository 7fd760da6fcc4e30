"""A passenger's whole journey in a real browser, as a new user makes it: sign up, top up
through the sandbox, search New Delhi to Howrah, pick two berths on the seat map, book,
see the PNR and its QRs, cancel one passenger with the refund quoted first, see the refund
in the wallet; meanwhile a second passenger's booking waits (WL 1) and their open PNR page
shows the promotion by itself when the first cancels. Then the same booking and
cancellation with JavaScript turned off. Every page is photographed at phone and desktop
width (`shot`)."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from booking.models import Passenger, PassengerStatus, Pnr
from booking.sales.services.create import booking_create
from booking.sales.services.precheck import PassengerIn
from fleet.models import Company, Seat, Trip
from fleet.services import standard_layout, travel_class_standard, vehicle_create
from fleet.tests.factories import CompanyFactory, StationFactory, make_route
from payments.ledger import selectors as wallet_selectors
from payments.tests.factories import fund_wallet
from ttms.accounts.tests.factories import PASSWORD, UserFactory

from .support import assert_page_basics, expect, shot, sign_in

pytestmark = pytest.mark.browser

IST = ZoneInfo("Asia/Kolkata")
BERTHS = 6  # one bay without side berths: no RAC places, so a full coach waitlists


@pytest.fixture
def portal_settings(settings):
    settings.TTMS_PAYMENT_PROVIDERS = ["sandbox"]
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = "sandbox-browser-test-secret"
    settings.TTMS_PNR_REFRESH_SECONDS = 1
    return settings


@pytest.fixture
def promotions(request, settings):
    """Promotion runs where the deployment runs it: inline when Celery is eager (embedded),
    else in a real worker on the Redis broker."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        request.getfixturevalue("celery_worker_process")


@pytest.fixture
def rajdhani(transactional_db):
    """12302 New Delhi – Howrah, leaving New Delhi at 16:55 IST in ten days, with one
    sleeper coach of six berths, four of them already sold."""
    company = CompanyFactory(
        kind=Company.Kind.RAIL,
        name="Indian Railways",
        slug="indian-railways",
        time_zone="Asia/Kolkata",
        quota_distribution={"SL": {}},
    )
    stations = [
        StationFactory(code=code, name=name)
        for code, name in [
            ("NDLS", "New Delhi"),
            ("CNB", "Kanpur Central"),
            ("PRYJ", "Prayagraj Jn"),
            ("HWH", "Howrah Jn"),
        ]
    ]
    route = make_route(
        company,
        [
            (stations[0], 0, None, 0),
            (stations[1], 440, 280, 285),
            (stations[2], 634, 415, 417),
            (stations[3], 1451, 1020, None),
        ],
        code="12302",
        name="New Delhi Howrah Rajdhani",
        departure_times="16:55",
    )
    vehicle = vehicle_create(
        company=company,
        code="RAKE-12302",
        kind="train",
        coaches=[("S1", travel_class_standard(code="SL"), standard_layout(kind="SL"))],
    )
    extra = list(
        Seat.objects.filter(coach__vehicle=vehicle)
        .order_by("row", "column", "pk")
        .values_list("pk", flat=True)
    )[BERTHS:]
    Seat.objects.filter(pk__in=extra).delete()
    day = timezone.localdate() + timedelta(days=10)
    departure = datetime.combine(day, time(16, 55), tzinfo=IST)
    trip = Trip.objects.create(
        route=route,
        service_date=day,
        departure_at=departure,
        arrival_at=departure + timedelta(minutes=1020),
        vehicle=vehicle,
    )
    others = UserFactory(email="family@example.com")
    fund_wallet(others, 5_000_000)
    booking_create(
        user=others,
        trip_id=trip.pk,
        origin_code="NDLS",
        destination_code="HWH",
        class_code="SL",
        quota="GENERAL",
        passengers=[PassengerIn(name=f"Traveller {i}", age=40, gender="M") for i in range(1, 5)],
    )
    return trip


def balance(email: str) -> int:
    from ttms.accounts.models import User

    wallet = wallet_selectors.wallet_for_user(user=User.objects.get(email=email))
    return wallet.balance if wallet else 0


def rupees(text: str) -> int:
    """ "₹1,234.50" -> 123450 (minor units)."""
    return int(re.sub(r"[^\d]", "", re.search(r"₹[\d,]+\.\d\d", text).group(0)))


def sign_up(page, *, name: str, email: str) -> None:
    page.goto("/")
    page.locator("header").get_by_text("Sign up").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    assert_page_basics(page)
    shot(page, "signup")
    form = page.locator("main form")
    form.get_by_label("Full name").fill(name)
    form.get_by_label("Email").fill(email)
    form.get_by_label("Phone for SMS (optional)").fill("+919876543210")
    form.get_by_label("Password").fill("a-long-journey-2030")
    form.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def top_up(page, amount: str) -> None:
    page.get_by_role("link", name="Wallet").click()
    page.get_by_label("Amount").fill(amount)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Pay ₹"))
    assert_page_basics(page)
    shot(page, "sandbox-checkout")
    page.get_by_role("button", name="Approve payment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wallet")


def search_trip(page, *, javascript: bool = True) -> None:
    page.goto("/")
    origin = page.get_by_label("From")
    if javascript:  # the suggestions as one types
        origin.press_sequentially("new del")
        expect(page.locator("#from-stations option")).to_have_attribute("value", "New Delhi (NDLS)")
        origin.fill("New Delhi (NDLS)")
    else:  # a name the server resolves
        origin.fill("New Delhi")
    page.get_by_label("To").fill("Howrah Jn")
    page.get_by_label("Date of journey").fill(
        (timezone.localdate() + timedelta(days=10)).isoformat()
    )
    assert_page_basics(page)
    shot(page, "home")
    page.get_by_role("button", name="Search trips").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New Delhi to Howrah Jn")


def test_a_new_passenger_books_cancels_one_and_a_waitlisted_one_is_promoted(
    page, new_context, device, rajdhani, portal_settings, promotions
):
    # Sign up, top up ₹5,000 through the sandbox.
    sign_up(page, name="Asha Rao", email="asha@example.com")
    top_up(page, "5000")
    expect(page.get_by_test_id("wallet-balance")).to_have_text("₹5,000.00")
    shot(page, "wallet-topped-up")

    # Search, with station suggestions; the results in local time with availability.
    search_trip(page)
    card = page.locator("article.trip-card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("12302 New Delhi Howrah Rajdhani")
    expect(card).to_contain_text("16:55")
    expect(card).to_contain_text("17 h 00 min")
    expect(card.locator(".class-offer")).to_contain_text("SL AVAILABLE-2")
    assert_page_basics(page)
    shot(page, "search-results")

    # The seat map: four berths taken, pick the two free ones.
    card.get_by_role("link", name=re.compile(r"^SL: AVAILABLE-2")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("choose seats")
    free = page.locator("input[name=seat]:not([disabled])")
    expect(free).to_have_count(2)
    expect(page.locator("input[name=seat][disabled]")).to_have_count(BERTHS - 2)
    picked = [free.nth(i).get_attribute("value") for i in range(2)]
    for value in picked:
        page.locator(f"label.seat:has(input[value='{value}'])").click()
    expect(page.locator("input[name=seat]:checked")).to_have_count(2)
    assert_page_basics(page)
    shot(page, "seat-map")
    page.get_by_role("button", name="Book the chosen seats").click()

    # Two passengers, on the seats picked; the fare reviewed; paid from the wallet.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Book 12302 New Delhi Howrah Rajdhani"
    )
    for index, (name, age, gender) in enumerate([("Asha Rao", "34", "F"), ("Ravi Rao", "36", "M")]):
        passenger = page.locator("fieldset.passenger").nth(index)
        expect(passenger.locator("legend")).to_have_text(
            f"Passenger {index + 1} · seat {picked[index]}"
        )
        passenger.get_by_label("Name").fill(name)
        passenger.get_by_label("Age").fill(age)
        passenger.get_by_label("Gender").select_option(gender)
    assert_page_basics(page)
    shot(page, "booking-form")
    page.get_by_role("button", name="Review fare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review and pay")
    total = rupees(page.locator(".fare-breakdown").inner_text().split("Total")[1])
    assert_page_basics(page)
    shot(page, "review")
    page.get_by_role("button", name=re.compile(r"^Pay ₹")).click()

    # The PNR: both confirmed on the berths picked, each with a QR.
    expect(page.get_by_role("heading", level=1)).to_contain_text("PNR")
    number = page.locator("h1 .pnr-code").inner_text()
    pnr = Pnr.objects.get(number=number)
    assert pnr.total_fare == total
    rows = page.get_by_test_id("passengers").locator("tbody tr")
    expect(rows.get_by_test_id("passenger-status")).to_have_text(["Confirmed", "Confirmed"])
    assert sorted(
        f"{p.seat.coach.code}-{p.seat.number}" for p in pnr.passengers.select_related("seat__coach")
    ) == sorted(picked)
    expect(page.locator(".pnr-qr svg")).to_have_count(2)
    assert balance("asha@example.com") == 500_000 - total
    assert_page_basics(page)
    shot(page, "pnr")

    # A second passenger books the full coach: waitlisted, WL 1, and keeps the page open.
    second = new_context(device).new_page()
    UserFactory(email="meera@example.com", full_name="Meera Iyer")
    from ttms.accounts.models import User

    fund_wallet(User.objects.get(email="meera@example.com"), 500_000)
    sign_in(second, email="meera@example.com", password=PASSWORD)
    second.goto(f"/trips/{rajdhani.pk}/book/?from=NDLS&to=HWH&class=SL")
    fieldset = second.locator("fieldset.passenger")
    fieldset.get_by_label("Name").fill("Meera Iyer")
    fieldset.get_by_label("Age").fill("29")
    fieldset.get_by_label("Gender").select_option("F")
    second.get_by_role("button", name="Review fare").click()
    second.get_by_role("button", name=re.compile(r"^Pay ₹")).click()
    waiting = second.get_by_test_id("passengers").get_by_test_id("passenger-status")
    expect(waiting).to_have_text("WL 1")
    expect(second.locator(".pnr-qr svg")).to_have_count(0)
    shot(second, "pnr-waitlisted")

    # The first cancels Ravi: the refund quoted first, then confirmed.
    page.get_by_role("button", name="Cancel passengers").click()
    page.get_by_label(re.compile(r"Ravi Rao")).check()
    page.get_by_role("button", name="Show refund").click()
    quoted = rupees(page.get_by_test_id("quote-refund").inner_text())
    ravi = Passenger.objects.get(pnr=pnr, name="Ravi Rao")
    assert quoted == ravi.fare - ravi.fare * 10 // 100  # ten days ahead: tiered keeps 10 %
    assert_page_basics(page)
    shot(page, "cancel-quote")
    page.get_by_test_id("confirm").click()
    expect(rows.get_by_test_id("passenger-status")).to_have_text(["Confirmed", "Cancelled"])
    expect(page.locator(".pnr-qr svg")).to_have_count(1)
    shot(page, "pnr-after-cancel")

    # The refund is in the wallet.
    page.get_by_role("link", name="Wallet").click()
    expect(page.get_by_test_id("wallet-balance")).to_have_text(
        f"₹{(500_000 - total + quoted) / 100:,.2f}"
    )
    expect(page.get_by_role("table").locator("tr", has_text="Booking refund")).to_contain_text(
        f"+₹{quoted / 100:,.2f}"
    )
    shot(page, "wallet-refund")

    # The second passenger's open page shows the promotion by itself (htmx refresh).
    expect(waiting).to_have_text("Confirmed", timeout=30_000)
    expect(second.locator(".pnr-qr svg")).to_have_count(1)
    assert Passenger.objects.get(name="Meera Iyer").status == PassengerStatus.CONFIRMED
    shot(second, "pnr-promoted")

    # My trips lists the PNR; its printable ticket; the public status check.
    page.get_by_role("link", name="My trips").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My trips")
    expect(page.locator("main")).to_contain_text(number)
    assert_page_basics(page)
    shot(page, "my-trips")
    page.goto(f"/bookings/{number}/ticket/")
    expect(page.locator("article.ticket")).to_have_count(2)
    shot(page, "ticket")
    page.get_by_role("button", name="Sign out").click()
    page.goto("/pnr-status/")
    page.get_by_label("PNR number").fill(number)
    page.get_by_label("Email or phone used for the booking").fill("ASHA@example.com")
    assert_page_basics(page)
    page.get_by_role("button", name="Check status").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"PNR status · {number}")
    assert_page_basics(page)
    shot(page, "pnr-status")


def test_booking_and_cancelling_work_without_javascript(
    new_context, device, rajdhani, portal_settings
):
    page = new_context(device, java_script_enabled=False).new_page()
    UserFactory(email="kabir@example.com", full_name="Kabir Shah")
    from ttms.accounts.models import User

    fund_wallet(User.objects.get(email="kabir@example.com"), 500_000)
    sign_in(page, email="kabir@example.com", password=PASSWORD)
    assert page.evaluate("() => typeof window.htmx") == "undefined"  # no script ran
    search_trip(page, javascript=False)
    page.locator("article.trip-card").get_by_role(
        "link", name=re.compile(r"^SL: AVAILABLE-2")
    ).click()
    free = page.locator("input[name=seat]:not([disabled])")
    first = free.first.get_attribute("value")
    page.locator(f"label.seat:has(input[value='{first}'])").click()
    page.get_by_role("button", name="Book the chosen seats").click()

    # One passenger on the picked berth, a second added by the form's own button.
    page.locator("fieldset.passenger").get_by_label("Name").fill("Kabir Shah")
    page.locator("fieldset.passenger").get_by_label("Age").fill("41")
    page.locator("fieldset.passenger").get_by_label("Gender").select_option("M")
    page.get_by_role("button", name="Add a passenger").click()
    expect(page.locator("fieldset.passenger")).to_have_count(2)
    expect(page.locator("fieldset.passenger").first.get_by_label("Name")).to_have_value(
        "Kabir Shah"
    )
    second = page.locator("fieldset.passenger").nth(1)
    second.get_by_label("Name").fill("Zoya Shah")
    second.get_by_label("Age").fill("39")
    second.get_by_label("Gender").select_option("F")
    page.get_by_role("button", name="Review fare").click()
    page.get_by_role("button", name=re.compile(r"^Pay ₹")).click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("PNR")
    number = page.locator("h1 .pnr-code").inner_text()
    rows = page.get_by_test_id("passengers").locator("tbody tr")
    expect(rows.get_by_test_id("passenger-status")).to_have_text(["Confirmed", "Confirmed"])
    seats = {
        (p.seat.coach.code, p.seat.number)
        for p in Passenger.objects.filter(pnr__number=number).select_related("seat__coach")
    }
    assert (first.split("-")[0], first.split("-")[1]) in seats
    shot(page, "pnr-no-javascript")

    page.get_by_role("button", name="Cancel passengers").click()
    page.get_by_label(re.compile(r"Zoya Shah")).check()
    page.get_by_role("button", name="Show refund").click()
    quoted = rupees(page.get_by_test_id("quote-refund").inner_text())
    before = balance("kabir@example.com")
    shot(page, "cancel-quote-no-javascript")
    page.get_by_test_id("confirm").click()

    expect(rows.get_by_test_id("passenger-status")).to_have_text(["Confirmed", "Cancelled"])
    assert balance("kabir@example.com") == before + quoted
    assert Passenger.objects.get(name="Zoya Shah").status == PassengerStatus.CANCELLED


@pytest.mark.parametrize(
    ("coach", "class_code", "groups", "seats"),
    [
        ("S1", "SL", 9, 72),  # bays of six berths and two side berths
        ("C1", "STANDARD", 10, 41),  # rows of 2 + 2 with the aisle, the back row of five
    ],
)
def test_seat_maps_are_drawn_as_the_coach_is_laid_out(page, coach, class_code, groups, seats):
    from booking.tests.factories import make_trip

    trip = make_trip(coaches=((coach, class_code),))
    page.goto(f"/trips/{trip.pk}/?from=ST1&to=ST3&class={class_code}")

    expect(page.locator(".coach-map [role=group]")).to_have_count(groups)
    expect(page.locator("input[name=seat]")).to_have_count(seats)
    page.keyboard.press("Tab")
    first = page.locator("input[name=seat]:not([disabled])").first
    first.focus()
    page.keyboard.press("Space")  # a seat is picked from the keyboard
    expect(first).to_be_checked()
    assert_page_basics(page)
    shot(page, f"seat-map-{class_code.lower()}")
