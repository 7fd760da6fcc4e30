"""A PNR's page and its self-refreshing passengers fragment: the journey, statuses with RAC/WL
positions, berths and QRs; a trip the operator cancelled; a trip that left; only the holder's;
at a fixed number of queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.trips import trip_cancel
from ..models import Cancellation, Pnr
from .factories import adult, funded_user
from .pages import (
    api_tickets,
    balance,
    cancel_url,
    decode_svg,
    fragment_url,
    money,
    page_title_and_h1,
    pnr_url,
    qr_figures,
    row_of,
    statuses,
    svgs,
    text_of,
)

pytestmark = pytest.mark.django_db


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
    # the cancellation's rules whether anything can be cancelled (the chart, boardings),
    # and the header counts the unread notifications.
    assert len(for_one) == len(for_six) == 8, [q["sql"] for q in for_six.captured_queries]
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
