"""The printable ticket page: the journey; per seated passenger a QR that decodes, with a
real decoder, to the API's ticket; the others listed with the reason; only the holder and the
company's staff see it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from ..lifecycle.services.cancellation import booking_cancel
from .factories import adult, funded_user
from .pages import api_tickets, decode_svg, svgs, text_of

pytestmark = pytest.mark.django_db


def ticket_url(pnr) -> str:
    return reverse("booking:ticket", args=[pnr.number])


def passenger_blocks(html: str) -> dict[int, str]:
    """The ticket page's block of each passenger, by passenger id, in page order."""
    return {
        int(pk): block
        for pk, block in re.findall(
            r'<article class="ticket" data-passenger="(\d+)"(.*?)</article>', html, re.S
        )
    }


def test_the_ticket_page_shows_the_journey_and_a_qr_per_seated_passenger(
    ticketed, client, api_client
):
    pnr, route = ticketed.pnr, ticketed.trip.route
    client.force_login(ticketed.holder)

    response = client.get(ticket_url(pnr))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert f"<title>Ticket · PNR {pnr.number} · TTMS</title>" in html
    assert re.search(rf"<h1>Ticket · PNR <span[^>]*>{pnr.number}</span></h1>", html)
    page = text_of(html)
    assert f"{route.number} {route.name}" in page
    assert (
        "Station ST1 (ST1) Departs Mon 07 Jan 2030, 08:00 IST ⟶ "
        "Station ST4 (ST4) Arrives Mon 07 Jan 2030, 11:10 IST"
    ) in page
    assert "Class SL Quota General PNR status Confirmed" in page
    assert "@media print" in html and "break-inside: avoid" in html

    expected = api_tickets(api_client, ticketed.holder, pnr)
    blocks = passenger_blocks(html)
    assert list(blocks) == [p.pk for p in ticketed.passengers]
    for passenger in ticketed.passengers:
        block = blocks[passenger.pk]
        seat = passenger.seat
        assert (
            f"{passenger.index}. {passenger.name} PNR {pnr.number} · {route.number} "
            f"{route.name} · ST1 → ST4"
        ) in text_of(block)
        assert (
            f"Age {passenger.age} Gender {passenger.get_gender_display()} Status "
            f"Confirmed Coach {seat.coach.code} Seat {seat.number} "
            f"{seat.get_berth_type_display()}"
        ) in text_of(block)
        [svg] = svgs(block)
        assert decode_svg(svg) == expected[passenger.pk]
    assert len(svgs(html)) == 2


def test_a_cancelled_passenger_is_listed_without_a_qr(ticketed, client, api_client):
    asha, ravi = ticketed.passengers
    booking_cancel(
        pnr=ticketed.pnr,
        by=ticketed.holder,
        passenger_ids=[ravi.pk],
        now=ticketed.trip.departure_at - timedelta(days=1),
    )
    client.force_login(ticketed.holder)

    html = client.get(ticket_url(ticketed.pnr)).content.decode()

    blocks = passenger_blocks(html)
    assert svgs(blocks[ravi.pk]) == []
    assert "Status Cancelled" in text_of(blocks[ravi.pk])
    assert (
        "Cancelled (cancelled by the passenger): no ticket. A QR printed before the "
        "cancellation is refused at boarding."
    ) in text_of(blocks[ravi.pk])
    assert "Coach" not in text_of(blocks[ravi.pk])
    [svg] = svgs(blocks[asha.pk])
    assert decode_svg(svg) == api_tickets(api_client, ticketed.holder, ticketed.pnr)[asha.pk]
    assert len(svgs(html)) == 1
    assert "PNR status Confirmed" in text_of(html)  # the one still travelling is


def test_a_waitlisted_passenger_is_listed_with_their_position_without_a_qr(
    make_sleeper_trip, book, client
):
    trip = make_sleeper_trip(berths=1, quotas={})  # one lower berth, no RAC berth
    holder = funded_user()
    pnr = book(trip, [adult("Asha", 34, "F"), adult("Ravi", 36, "M")], user=holder)
    asha, ravi = pnr.passengers.order_by("index")
    assert (asha.status, ravi.status) == ("CNF", "WL")
    client.force_login(holder)

    html = client.get(ticket_url(pnr)).content.decode()

    blocks = passenger_blocks(html)
    assert len(svgs(blocks[asha.pk])) == 1
    assert svgs(blocks[ravi.pk]) == []
    assert "Status WL 1" in text_of(blocks[ravi.pk])
    assert "Waitlisted (WL 1): no ticket until a berth or an RAC place is confirmed." in text_of(
        blocks[ravi.pk]
    )
    assert "PNR status Mixed: see each passenger" in text_of(html)


def test_only_the_holder_and_the_companys_staff_see_the_ticket(ticketed, client):
    url = ticket_url(ticketed.pnr)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"

    for outsider in (UserFactory(), staff_user(CompanyFactory(), role=Role.COMPANY_ADMIN)):
        client.force_login(outsider)
        response = client.get(url)
        assert response.status_code == 404
        assert ticketed.pnr.number not in response.content.decode()

    client.force_login(staff_user(ticketed.trip.route.company, role=Role.AGENT))
    assert client.get(url).status_code == 200
    client.force_login(ticketed.holder)
    assert client.get(url).status_code == 200
    assert client.get(reverse("booking:ticket", args=["0000000000"])).status_code == 404
