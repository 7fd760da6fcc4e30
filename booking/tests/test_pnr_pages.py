"""The passenger's PNR pages: My trips (upcoming and past, at a fixed number of queries), a
PNR's page and its self-refreshing passengers fragment (statuses with RAC/WL positions,
berths, QRs), cancelling some passengers against a refund quote, and the public PNR status
check (a match needs the holder's email or phone; every miss looks the same; throttled)."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from payments.money import format_money
from payments.selectors import wallet_for_user
from ttms.accounts.tests.factories import UserFactory

from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.trips import trip_cancel
from ..models import Cancellation, Passenger, Pnr
from .factories import adult, funded_user
from .test_ticket_pages import api_tickets, decode_svg, svgs, text_of

pytestmark = pytest.mark.django_db

IST = ZoneInfo("Asia/Kolkata")


def pnr_url(pnr) -> str:
    return reverse("booking:pnr", args=[pnr.number])


def fragment_url(pnr) -> str:
    return reverse("booking:pnr-passengers", args=[pnr.number])


def cancel_url(pnr) -> str:
    return reverse("booking:cancel", args=[pnr.number])


LOOKUP_URL = "/pnr-status/"


def money(amount: int) -> str:
    return format_money(amount, "INR")


def balance(user) -> int:
    return wallet_for_user(user=user).balance


def statuses(pnr) -> list[tuple[str, str, int]]:
    return list(
        Passenger.objects.filter(pnr=pnr).order_by("index").values_list("name", "status", "refund")
    )


def row_of(html: str, passenger) -> str:
    """The words of a passenger's row in the passengers table."""
    match = re.search(rf'<tr data-passenger="{passenger.pk}">(.*?)</tr>', html, re.S)
    assert match, f"no row for passenger {passenger.pk}"
    return text_of(match.group(1))


def qr_figures(html: str) -> dict[int, str]:
    return {
        int(pk): body
        for pk, body in re.findall(
            r'<figure class="pnr-qr" data-passenger="(\d+)">(.*?)</figure>', html, re.S
        )
    }


def page_title_and_h1(html: str) -> tuple[str, list[str]]:
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    return title, [text_of(h) for h in re.findall(r"<h1\b.*?</h1>", html, re.S)]


@pytest.fixture
def clock():
    """clock(moment): the time stands at `moment` (aware) for the rest of the test."""
    travellers = []

    def set_to(moment: datetime):
        while travellers:
            travellers.pop().stop()
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield set_to
    while travellers:
        travellers.pop().stop()


@pytest.fixture
def three_days_ahead(ticketed, clock, client):
    """The ticketed trip three days before it leaves, its holder signed in: the tiered
    policy keeps 10 % of a confirmed fare."""
    clock(ticketed.trip.departure_at - timedelta(days=3))
    client.force_login(ticketed.holder)
    return ticketed


# --- My trips -----------------------------------------------------------------------------------


@pytest.fixture
def journeys(make_sleeper_trip, book):
    """One holder with four PNRs on two trips: on the trip of Mon 7 Jan 2030 (08:00 IST from
    ST1), ST1→ST4 (arrives 11:10, two passengers), ST1→ST2 (arrives 09:00) and ST2→ST3
    (leaves 09:05, arrives 10:05); on the trip of Mon 14 Jan (08:00 from BB1), BB1→BB4.
    Someone else holds a PNR on the first trip."""
    first = make_sleeper_trip()
    second = make_sleeper_trip(departure=datetime(2030, 1, 14, 8, 0, tzinfo=IST), code_prefix="BB")
    holder = funded_user()
    pnrs = {
        "whole": book(first, [adult("Asha", 34, "F"), adult("Ravi", 36)], user=holder),
        "first_leg": book(first, [adult("Kiran")], user=holder, destination="ST2"),
        "middle": book(
            first, [adult("Meera", 40, "F")], user=holder, origin="ST2", destination="ST3"
        ),
        "next_week": book(second, [adult("Dev")], user=holder, origin="BB1"),
    }
    book(first, [adult("Other")])
    return holder, first, second, pnrs


def numbers(rows) -> list[str]:
    return [row.pnr.number for row in rows]


def test_my_trips_splits_upcoming_from_past_at_the_arrival_at_the_alighting_stop(
    journeys, client, clock
):
    holder, first, _, pnrs = journeys
    clock(datetime(2030, 1, 7, 10, 30, tzinfo=IST))  # the first trip is under way
    client.force_login(holder)

    response = client.get(reverse("booking:my-trips"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    context = response.context
    # Upcoming: soonest departure first; still on board to ST4 (arrives 11:10) counts.
    assert numbers(context["upcoming"]) == [pnrs["whole"].number, pnrs["next_week"].number]
    # Past: latest departure first.
    assert numbers(context["past"]) == [pnrs["middle"].number, pnrs["first_leg"].number]
    html = response.content.decode()
    upcoming_html, past_html = html.split('id="past-heading"')
    assert re.findall(r'data-pnr="(\d+)"', upcoming_html) == numbers(context["upcoming"])
    assert re.findall(r'data-pnr="(\d+)"', past_html) == numbers(context["past"])
    whole = pnrs["whole"]
    route = first.route
    article = re.search(
        rf'<article class="pnr-trip" data-pnr="{whole.number}"[^>]*>(.*?)</article>', html, re.S
    ).group(1)
    assert text_of(article) == (
        f"PNR {whole.number} Confirmed {route.number} {route.name} · "
        f"{route.company.name} Station ST1 (ST1) Departs Mon 07 Jan 2030, 08:00 IST → "
        "Station ST4 (ST4) Arrives Mon 07 Jan 2030, 11:10 IST Class SL Passengers 2 "
        f"Total fare {money(whole.total_fare)}"
    )
    assert f'href="{pnr_url(whole)}"' in article

    clock(datetime(2030, 1, 14, 12, 0, tzinfo=IST))  # a week on, the second trip arrived
    client.force_login(holder)
    context = client.get(reverse("booking:my-trips")).context
    assert numbers(context["upcoming"]) == []
    assert context["none_upcoming"] is True
    assert numbers(context["past"]) == [
        pnrs["next_week"].number,
        pnrs["middle"].number,
        pnrs["first_leg"].number,
        pnrs["whole"].number,
    ]


def test_my_trips_lists_cancelled_trips_and_bookings_with_the_past_not_as_upcoming(
    journeys, client, clock
):
    holder, _, second, pnrs = journeys
    clock(datetime(2030, 1, 7, 6, 0, tzinfo=IST))
    trip_cancel(trip=second, by=None, reason="Track work between BB2 and BB3")
    booking_cancel(pnr=pnrs["first_leg"], by=holder)
    client.force_login(holder)

    response = client.get(reverse("booking:my-trips"))

    context = response.context
    assert numbers(context["upcoming"]) == [pnrs["whole"].number, pnrs["middle"].number]
    assert numbers(context["past"]) == [pnrs["next_week"].number, pnrs["first_leg"].number]
    html = response.content.decode()
    assert text_of(re.search(r'<h2 id="past-heading">(.*?)</h2>', html).group(1)) == (
        "Past and cancelled"
    )
    past_html = html.split('id="past-heading"')[1]
    assert re.findall(r'data-pnr="(\d+)"', past_html) == numbers(context["past"])
    assert re.findall(r'data-testid="trip-cancelled">([^<]*)<', html) == [
        "Trip cancelled by the operator"
    ]


def test_my_trips_without_bookings_points_to_search(client):
    client.force_login(UserFactory())

    response = client.get(reverse("booking:my-trips"))

    assert response.status_code == 200
    html = response.content.decode()
    assert page_title_and_h1(html) == ("My trips · TTMS", ["My trips"])
    assert (
        "You have no bookings yet. Search for a train or a bus to book your first journey."
    ) in text_of(html)
    assert f'href="{reverse("booking:search")}"' in html
    assert "pnr-trip" not in html


def test_my_trips_without_a_journey_ahead_says_so_above_the_past_ones(journeys, client, clock):
    holder, *_ = journeys
    clock(datetime(2030, 2, 1, tzinfo=IST))
    client.force_login(holder)

    html = client.get(reverse("booking:my-trips")).content.decode()

    assert "No journeys ahead. Find a train or a bus" in text_of(html)
    assert html.index('data-testid="no-upcoming"') < html.index('id="past-heading"')


def test_my_trips_costs_the_same_queries_for_one_pnr_as_for_six(
    make_sleeper_trip, book, client, clock
):
    trip = make_sleeper_trip()
    holder = funded_user()
    book(trip, [adult("Solo")], user=holder)
    clock(trip.departure_at - timedelta(days=3))
    client.force_login(holder)
    client.get(reverse("booking:my-trips"))
    with CaptureQueriesContext(connection) as one:
        response = client.get(reverse("booking:my-trips"))
    assert len(response.context["upcoming"]) == 1

    pnrs = [book(trip, [adult(f"P{i}{j}") for j in range(i)], user=holder) for i in range(2, 7)]
    booking_cancel(
        pnr=pnrs[0], by=holder, passenger_ids=[pnrs[0].passengers.order_by("index").first().pk]
    )
    with CaptureQueriesContext(connection) as six:
        response = client.get(reverse("booking:my-trips"))

    rows = response.context["upcoming"]
    # One departure: the latest booked first.
    assert [row.passengers for row in rows] == [6, 5, 4, 3, 2, 1]
    assert [row.status for row in rows] == ["CNF"] * 6
    assert [row.cancelled for row in rows] == [0, 0, 0, 0, 1, 0]
    # The session, the user, the count for the pages, the PNRs, their passengers.
    assert len(one) == len(six) == 5, [q["sql"] for q in six.captured_queries]


# --- One PNR ------------------------------------------------------------------------------------


def test_the_pnr_page_shows_the_journey_passengers_and_their_qrs(
    three_days_ahead, client, api_client
):
    pnr, route = three_days_ahead.pnr, three_days_ahead.trip.route
    asha, ravi = three_days_ahead.passengers

    response = client.get(pnr_url(pnr))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert page_title_and_h1(html) == (f"PNR {pnr.number} · TTMS", [f"PNR {pnr.number}"])
    page = text_of(html)
    assert (
        f"{route.number} {route.name} Station ST1 (ST1) Departs Mon 07 Jan 2030, 08:00 "
        "IST → Station ST4 (ST4) Arrives Mon 07 Jan 2030, 11:10 IST "
        f"Operator {route.company.name} Class SL Quota General Distance 300 km "
        f"Total fare {money(pnr.total_fare)} Booked "
    ) in page
    assert "PNR status: Confirmed" in page
    for passenger in (asha, ravi):
        seat = passenger.seat
        assert row_of(html, passenger) == (
            f"{passenger.index} {passenger.name} {passenger.age} "
            f"{passenger.get_gender_display()} Confirmed {seat.coach.code} {seat.number} "
            f"{seat.get_berth_type_display()} {money(passenger.fare)} —"
        )
    expected = api_tickets(api_client, three_days_ahead.holder, pnr)
    figures = qr_figures(html)
    assert list(figures) == [asha.pk, ravi.pk]
    for passenger in (asha, ravi):
        [svg] = svgs(figures[passenger.pk])
        assert decode_svg(svg) == expected[passenger.pk]
    ticket = reverse("booking:ticket", args=[pnr.number])
    assert f'<a href="{ticket}" role="button">Print ticket</a>' in html
    assert f'href="{cancel_url(pnr)}"' in html
    assert (
        f'<div id="pnr-passengers" class="pnr-passengers" hx-get="{fragment_url(pnr)}" '
        'hx-trigger="every 15s" hx-swap="outerHTML">'
    ) in html
    assert 'href="/static/css/pnr.css"' in html


def test_a_trip_cancelled_by_the_operator_shows_why_and_offers_no_ticket_to_print(
    three_days_ahead, client
):
    pnr = three_days_ahead.pnr
    trip_cancel(trip=three_days_ahead.trip, by=None, reason="Flooding near Station ST2")

    html = client.get(pnr_url(pnr)).content.decode()

    notice = re.search(r'<p class="notice notice-error" role="status">(.*?)</p>', html, re.S)
    assert text_of(notice.group(1)) == (
        "The operator cancelled this trip: Flooding near Station ST2. The tickets are void, "
        "and the fares are refunded to the wallet."
    )
    assert reverse("booking:ticket", args=[pnr.number]) not in html
    assert "Print ticket" not in text_of(html)
    assert f'href="{cancel_url(pnr)}"' not in html
    ticket = client.get(reverse("booking:ticket", args=[pnr.number])).content.decode()
    assert text_of(
        re.search(r'<p class="notice notice-error" role="status">(.*?)</p>', ticket, re.S).group(1)
    ) == (
        "The operator cancelled this trip: Flooding near Station ST2. These tickets are "
        "void, and the fares are refunded to the wallet."
    )


def test_the_fragment_is_the_passengers_part_alone(three_days_ahead, client):
    pnr = three_days_ahead.pnr

    response = client.get(fragment_url(pnr))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode().strip()
    assert html.startswith('<div id="pnr-passengers"')
    assert html.endswith("</div>")
    assert "<html" not in html and "<h1" not in html
    assert len(svgs(html)) == 2
    page = client.get(pnr_url(pnr)).content.decode()
    assert html in page  # the page includes exactly this fragment


def test_a_pnr_whose_trip_has_left_offers_no_cancellation_and_stops_refreshing(
    ticketed, client, clock
):
    clock(ticketed.trip.arrival_at + timedelta(minutes=1))
    client.force_login(ticketed.holder)

    html = client.get(pnr_url(ticketed.pnr)).content.decode()

    assert f'href="{cancel_url(ticketed.pnr)}"' not in html
    assert "hx-trigger" not in html
    assert 'id="pnr-passengers"' in html


def test_the_pnr_page_costs_the_same_queries_for_one_passenger_as_for_six(
    make_sleeper_trip, book, client, clock
):
    trip = make_sleeper_trip(berths=3, quotas={})  # three berths, no RAC berth
    holder = funded_user()
    one = book(trip, [adult("Solo")], user=holder)
    six = book(trip, [adult(f"P{i}") for i in range(6)], user=holder)
    booking_cancel(
        pnr=six,
        by=holder,
        passenger_ids=[six.passengers.get(index=6).pk],
        now=trip.departure_at - timedelta(days=3),
    )
    assert [p.status for p in six.passengers.order_by("index")] == [
        "CNF",
        "CNF",
        "WL",
        "WL",
        "WL",
        "CAN",
    ]
    clock(trip.departure_at - timedelta(days=3))
    client.force_login(holder)
    client.get(pnr_url(one))  # the ticket key is made on first use

    with CaptureQueriesContext(connection) as for_one:
        assert client.get(pnr_url(one)).status_code == 200
    with CaptureQueriesContext(connection) as for_six:
        html = client.get(pnr_url(six)).content.decode()
    with CaptureQueriesContext(connection) as fragment:
        assert client.get(fragment_url(six)).status_code == 200

    assert len(svgs(html)) == 2
    assert [
        text_of(s) for s in re.findall(r'data-testid="passenger-status">(.*?)</span>', html)
    ] == ["Confirmed", "Confirmed", "WL 1", "WL 2", "WL 3", "Cancelled"]
    # The session, the user, the PNR, its passengers, the ticket keys; the page also asks
    # the cancellation's rules whether anything can be cancelled (the chart, boardings).
    assert len(for_one) == len(for_six) == 7, [q["sql"] for q in for_six.captured_queries]
    assert len(fragment) == 5, [q["sql"] for q in fragment.captured_queries]


@pytest.mark.usefixtures("tasks_in_process")
def test_a_waitlisted_passenger_sees_the_promotion_in_the_fragment(
    make_sleeper_trip, book, client, clock, django_capture_on_commit_callbacks
):
    trip = make_sleeper_trip(berths=1, quotas={})  # one lower berth, no RAC berth
    seated = book(trip, [adult("Asha", 34, "F")])
    waiting = book(trip, [adult("Ravi", 36)])
    later = book(trip, [adult("Meera", 40, "F")])
    clock(trip.departure_at - timedelta(days=3))
    ravi = waiting.passengers.get()
    client.force_login(waiting.user)

    before = client.get(fragment_url(waiting)).content.decode()
    assert row_of(before, ravi) == f"1 Ravi 36 Male WL 1 — — {money(ravi.fare)} —"
    assert svgs(before) == []
    assert "hx-trigger" in before

    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(pnr=seated, by=seated.user)

    after = client.get(fragment_url(waiting)).content.decode()
    ravi.refresh_from_db()
    assert ravi.status == "CNF"
    assert row_of(after, ravi) == (
        f"1 Ravi 36 Male Confirmed S1 1 Lower berth {money(ravi.fare)} —"
    )
    assert len(svgs(after)) == 1
    assert "PNR status: Confirmed" in text_of(after)
    client.force_login(later.user)
    meera = later.passengers.get()
    assert "WL 1" in row_of(client.get(fragment_url(later)).content.decode(), meera)


def test_another_users_pnr_its_fragment_and_cancel_page_are_404(three_days_ahead, client):
    pnr = three_days_ahead.pnr
    ravi = three_days_ahead.passengers[1]
    wallet = balance(three_days_ahead.holder)
    client.force_login(funded_user())

    for url in (
        pnr_url(pnr),
        fragment_url(pnr),
        cancel_url(pnr),
        f"{cancel_url(pnr)}?quote=1&passengers={ravi.pk}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert pnr.number not in response.content.decode()
    response = client.post(cancel_url(pnr), {"passengers": [ravi.pk], "refund": "0"})

    assert response.status_code == 404
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CNF", 0)]
    assert balance(three_days_ahead.holder) == wallet
    assert not Cancellation.objects.exists()
    assert client.get(pnr_url(Pnr(number="0000000000"))).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(ticketed, client):
    for url in (
        reverse("booking:my-trips"),
        pnr_url(ticketed.pnr),
        fragment_url(ticketed.pnr),
        cancel_url(ticketed.pnr),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


# --- Cancelling ---------------------------------------------------------------------------------


def test_the_cancel_page_lists_the_active_passengers_to_choose(three_days_ahead, client):
    pnr = three_days_ahead.pnr
    asha, ravi = three_days_ahead.passengers

    response = client.get(cancel_url(pnr))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert page_title_and_h1(html) == (
        f"Cancel passengers · PNR {pnr.number} · TTMS",
        [f"Cancel passengers · PNR {pnr.number}"],
    )
    for p in (asha, ravi):
        label = re.search(rf'<label for="passenger-{p.pk}">(.*?)</label>', html, re.S)
        assert (
            f'<input type="checkbox" name="passengers" value="{p.pk}" id="passenger-{p.pk}">'
        ) in label.group(1)
        assert text_of(label.group(1)) == (
            f"{p.index}. {p.name} · Confirmed · {p.seat.coach.code} {p.seat.number}"
        )
    assert (
        '<button type="submit" name="quote" value="1" class="secondary">Show refund</button>'
    ) in html
    assert 'class="pnr-confirm"' not in html  # nothing to confirm before a quote


def test_cancelling_one_passenger_shows_the_quote_then_refunds_exactly_it(three_days_ahead, client):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    asha, ravi = three_days_ahead.passengers
    fare = ravi.fare
    charge, refund = fare * 1000 // 10_000, fare - fare * 1000 // 10_000
    assert (fare, charge, refund) == (13_500, 1_350, 12_150)
    before = balance(holder)

    quote = client.get(cancel_url(pnr), {"quote": "1", "passengers": [ravi.pk]})

    assert quote.status_code == 200
    html = quote.content.decode()
    table = re.search(r'<table class="[^"]*" data-testid="quote">(.*?)</table>', html, re.S).group(
        1
    )
    assert text_of(table) == (
        "Passenger Status Fare Charge Refund Rule "
        "2. Ravi Confirmed ₹135.00 ₹13.50 ₹121.50 At least 48 h before departure: 10 % charge. "
        "Total ₹135.00 ₹13.50 ₹121.50"
    )
    assert html.index('data-testid="quote"') < html.index('id="choose-heading"')  # quote first
    assert (
        f"Refund policy of {pnr.trip.route.company.name}: Tiered (48 h 90 %, 24 h 75 %, 12 h 50 %)."
    ) in text_of(html)
    form = re.search(r'<form method="post" class="pnr-confirm">(.*?)</form>', html, re.S).group(1)
    assert f'<input type="hidden" name="passengers" value="{ravi.pk}">' in form
    assert '<input type="hidden" name="refund" value="12150">' in form
    assert text_of(form) == "Cancel 1 passenger and refund ₹121.50"
    assert f'id="passenger-{ravi.pk}" checked' in html
    assert f'id="passenger-{asha.pk}">' in html
    assert balance(holder) == before  # a quote changes nothing
    assert not Cancellation.objects.exists()

    response = client.post(
        cancel_url(pnr), {"passengers": [ravi.pk], "refund": "12150"}, follow=True
    )

    assert response.redirect_chain == [(pnr_url(pnr), 302)]
    assert (
        f"Cancelled Ravi (passenger 2) of PNR {pnr.number}. ₹121.50 is refunded to your wallet."
    ) in text_of(response.content.decode())
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CAN", refund)]
    assert balance(holder) == before + refund
    cancellation = Cancellation.objects.get()
    assert (cancellation.refund, cancellation.cancelled_by) == (refund, holder)
    page = response.content.decode()
    assert row_of(page, ravi) == "2 Ravi 36 Male Cancelled — — ₹135.00 ₹121.50"
    assert list(qr_figures(page)) == [asha.pk]
    assert "PNR status: Confirmed" in text_of(page)


def test_sending_the_cancel_form_twice_refunds_once_and_says_so(three_days_ahead, client):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    asha, ravi = three_days_ahead.passengers
    form = {"passengers": [ravi.pk], "refund": "12150"}
    assert client.post(cancel_url(pnr), form).status_code == 302
    after_first = balance(holder)

    again = client.post(cancel_url(pnr), form)

    assert again.status_code == 409
    html = again.content.decode()
    assert f"Passenger 2 of PNR {pnr.number} is already cancelled." in text_of(
        re.search(r'data-testid="cancel-error">(.*?)</p>', html).group(1)
    )
    assert balance(holder) == after_first
    assert Cancellation.objects.count() == 1
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CAN", 12_150)]
    assert f'id="passenger-{asha.pk}"' in html and f'id="passenger-{ravi.pk}"' not in html


def test_choosing_nobody_shows_the_error_at_the_choices_and_changes_nothing(
    three_days_ahead, client
):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    before = balance(holder)

    for response in (
        client.get(cancel_url(pnr), {"quote": "1"}),
        client.post(cancel_url(pnr), {"refund": "12150"}),
    ):
        assert response.status_code == 400
        html = response.content.decode()
        fieldset = re.search(r'<fieldset class="pnr-choices"([^>]*)>(.*?)</fieldset>', html, re.S)
        assert 'aria-invalid="true" aria-describedby="passengers-error"' in fieldset.group(1)
        assert (
            '<small class="field-error" id="passengers-error" role="alert">Choose at '
            "least one passenger to cancel.</small>"
        ) in fieldset.group(2)
        assert 'data-testid="quote"' not in html

    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CNF", 0)]
    assert balance(holder) == before
    assert not Cancellation.objects.exists()


def test_a_passenger_of_another_pnr_is_refused_at_the_choices(three_days_ahead, book, client):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    stranger = book(three_days_ahead.trip, [adult("Zoe")]).passengers.get()
    before = balance(holder)

    response = client.post(cancel_url(pnr), {"passengers": [stranger.pk], "refund": "0"})

    assert response.status_code == 400
    assert (
        f'id="passengers-error" role="alert">Passenger {stranger.pk} is not on PNR '
        f"{pnr.number}.</small>"
    ) in response.content.decode()
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CNF", 0)]
    assert Passenger.objects.get(pk=stranger.pk).status == "CNF"
    assert balance(holder) == before


def test_a_refund_that_changed_since_it_was_shown_is_shown_again_not_paid(
    three_days_ahead, client, clock
):
    holder, pnr = three_days_ahead.holder, three_days_ahead.pnr
    ravi = three_days_ahead.passengers[1]
    before = balance(holder)
    clock(three_days_ahead.trip.departure_at - timedelta(hours=30))  # now 25 % is kept
    client.force_login(holder)

    response = client.post(cancel_url(pnr), {"passengers": [ravi.pk], "refund": "12150"})

    assert response.status_code == 409
    html = response.content.decode()
    assert (
        "The refund is now ₹101.25: it changed since it was shown. Check it, then confirm again."
    ) in text_of(html)
    assert '<input type="hidden" name="refund" value="10125">' in html
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CNF", 0)]
    assert balance(holder) == before
    assert not Cancellation.objects.exists()


def test_after_departure_nothing_can_be_cancelled(ticketed, client, clock):
    pnr, holder = ticketed.pnr, ticketed.holder
    ravi = ticketed.passengers[1]
    before = balance(holder)
    clock(ticketed.trip.departure_at + timedelta(minutes=5))
    client.force_login(holder)
    message = (
        "The trip left Station ST1 at 08:00 on 07 Jan 2030; the booking can no longer be cancelled."
    )

    page = client.get(cancel_url(pnr))
    post = client.post(cancel_url(pnr), {"passengers": [ravi.pk], "refund": "0"})

    assert page.status_code == 200
    assert message in text_of(page.content.decode())
    assert 'name="passengers"' not in page.content.decode()
    assert post.status_code == 409
    assert message in text_of(post.content.decode())
    assert statuses(pnr) == [("Asha", "CNF", 0), ("Ravi", "CNF", 0)]
    assert balance(holder) == before
    assert not Cancellation.objects.exists()


# --- Public PNR status --------------------------------------------------------------------------


@pytest.fixture
def known(ticketed):
    holder = ticketed.holder
    holder.email, holder.phone = "asha.rao@example.com", "+919876543210"
    holder.save(update_fields=["email", "phone"])
    return ticketed


def lookup(client, number, contact, **extra):
    return client.post(LOOKUP_URL, {"pnr": number, "contact": contact}, **extra)


def test_the_status_check_page_is_a_form_with_labelled_fields(client):
    response = client.get(LOOKUP_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert page_title_and_h1(html) == ("PNR status · TTMS", ["PNR status"])
    assert '<form method="post" action="/pnr-status/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert '<label for="id_pnr">PNR number' in html
    assert '<label for="id_contact">Email or phone used for the booking' in html


@pytest.mark.parametrize(
    "contact",
    [
        "Asha.Rao@Example.COM ",
        "asha.rao@example.com",
        "+91 98765-43210",
        " +919876543210",
        "98765 43210",
        "098765-43210",
        "0091 98765 43210",
    ],
)
def test_the_holders_email_in_any_case_or_phone_shows_the_status(known, client, contact):
    pnr = known.pnr
    asha, ravi = known.passengers

    response = lookup(client, f" {pnr.number} ", contact)

    assert response.status_code == 200
    html = response.content.decode()
    assert page_title_and_h1(html) == (
        f"PNR status · {pnr.number} · TTMS",
        [f"PNR status · {pnr.number}"],
    )
    table = re.search(r'data-testid="passengers">(.*?)</table>', html, re.S).group(1)
    assert text_of(table) == (
        "# Name Status Coach Berth "
        f"1 Asha Confirmed S1 {asha.seat.number} {asha.seat.get_berth_type_display()} "
        f"2 Ravi Confirmed S1 {ravi.seat.number} {ravi.seat.get_berth_type_display()}"
    )
    assert "Departs Mon 07 Jan 2030, 08:00 IST" in text_of(html)
    assert svgs(html) == []
    assert cancel_url(pnr) not in html and "asha.rao" not in html.lower()


def test_a_wrong_contact_an_unknown_pnr_and_a_malformed_one_get_the_same_answer(known, client):
    real = known.pnr.number
    unknown = "1" + real[1:] if real[0] != "1" else "2" + real[1:]
    assert not Pnr.objects.filter(number=unknown).exists()

    def answer(number, contact):
        response = lookup(client, number, contact)
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
        return response.status_code, html.replace(number, "NUMBER")

    wrong_contact = answer(real, "someone@example.com")
    wrong_phone = answer(real, "+919876543211")
    unknown_pnr = answer(unknown, "asha.rao@example.com")
    malformed = answer("12345abcde", "asha.rao@example.com")
    too_long = answer("9" * 40, "asha.rao@example.com")
    huge_contact = answer(real, "a" * 300 + "@example.com")

    assert wrong_contact == wrong_phone == unknown_pnr == malformed == too_long == huge_contact
    status, html = wrong_contact
    assert status == 404
    assert (
        '<p class="notice notice-error" role="alert" data-testid="lookup-error">No booking '
        "matches this PNR and contact.</p>"
    ) in html
    assert "Asha" not in html and "someone@example.com" not in html
    assert 'value="NUMBER"' in html  # the number is kept to correct, the contact is not


def test_the_status_check_refuses_a_post_without_the_csrf_token(known):
    response = lookup(Client(enforce_csrf_checks=True), known.pnr.number, "asha.rao@example.com")

    assert response.status_code == 403
    assert "Asha" not in response.content.decode()


def test_blank_fields_are_errors_at_the_fields(client):
    response = lookup(client, "", "")

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_pnr_error" role="alert">This field is required.</small>' in html
    assert 'id="id_contact_error" role="alert">This field is required.</small>' in html


def test_failed_lookups_are_throttled_per_client_address(known, client, settings):
    settings.TTMS_PNR_LOOKUP_FAILURE_LIMIT = 3
    pnr = known.pnr
    for _ in range(3):
        assert lookup(client, pnr.number, "guess@example.com").status_code == 404

    throttled = lookup(client, pnr.number, "asha.rao@example.com")  # even the right one

    assert throttled.status_code == 429
    html = throttled.content.decode()
    assert "Too many lookups matched no booking. Try again in 15 minute(s)." in text_of(html)
    assert "Asha" not in html
    other_client = lookup(client, pnr.number, "asha.rao@example.com", REMOTE_ADDR="198.51.100.7")
    assert other_client.status_code == 200
    # Successes do not count: a holder checking often is never throttled.
    for _ in range(5):
        assert (
            lookup(client, pnr.number, "+919876543210", REMOTE_ADDR="198.51.100.8").status_code
            == 200
        )
