"""My trips: the passenger's PNRs, upcoming and past (split at the arrival at the alighting
stop, at a fixed clock), cancelled trips and bookings, and at a fixed number of queries."""

import re
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ttms.accounts.tests.factories import UserFactory

from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.trips import trip_cancel
from .factories import IST, adult, funded_user
from .pages import (
    money,
    page_title_and_h1,
    pnr_url,
    text_of,
)

pytestmark = pytest.mark.django_db


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
    # The session, the user, the count for the pages, the PNRs, their passengers, and the
    # header's count of unread notifications.
    assert len(one) == len(six) == 6, [q["sql"] for q in six.captured_queries]
