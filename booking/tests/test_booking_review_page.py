"""The fare review and paying: picked seats booked once paid, berths shown, a short wallet topped
up through the sandbox, and what paying would refuse refused before any review, with nothing
written; pay pressed in four tabs books once."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from fleet.models import Seat
from payments.models import Payment

from ..models import Pnr
from .factories import adult, funded_user
from .pages import DEPARTURE, TODAY, balance, passenger_post, review, text_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("two_days_before")]


@pytest.fixture
def sandbox(settings):
    settings.TTMS_PAYMENT_PROVIDERS = ["sandbox"]
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = "sandbox-test-secret"


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
