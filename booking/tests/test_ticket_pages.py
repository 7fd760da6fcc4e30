"""The printable ticket page (the journey; per seated passenger a QR that decodes, with a
real decoder, to the API's ticket; the others listed with the reason) and the admin's
boarding sheet of a trip (who boarded, when, by whom, where; who did not; the conflicts),
scoped to the company and at a fixed number of queries."""

import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import resvg_py
import zxingcpp
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from fleet.models import Station
from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from ..boarding.selectors import ScanLine, boarding_sheet
from ..boarding.services.issue import tickets_issue
from ..boarding.services.scans import OfflineScan, scans_upload, ticket_scan
from ..lifecycle.services.cancellation import booking_cancel
from ..models import BoardingConflict, Passenger
from .factories import adult, funded_user

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


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, re.S)


def decode_svg(svg: str) -> str:
    """The text of the one QR code an SVG draws, rendered by resvg, read by zxing-cpp."""
    png = bytes(resvg_py.svg_to_bytes(svg_string=svg, dpi=96.0, background="#ffffff"))
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1, f"{len(found)} codes found"
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def api_tickets(api_client, user, pnr) -> dict[int, str]:
    """The QR text of each ticket of `pnr`, by passenger id, as the tickets API gives it."""
    api_client.force_authenticate(user)
    response = api_client.get(f"/api/v1/bookings/{pnr.number}/tickets/")
    assert response.status_code == 200, response.content
    return {t["passenger"]: t["qr"] for t in response.json()}


def text_of(html: str) -> str:
    """The words of `html`, a tag counting as a space."""
    return " ".join(re.sub(r"<[^>]*>", " ", html).split())


# --- The ticket page ----------------------------------------------------------------------------


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


# --- The admin's boarding sheet -----------------------------------------------------------------


def sheet_url(trip) -> str:
    return reverse("admin:booking_boardingscan_trip", args=[trip.pk])


def qr_of(passenger) -> str:
    [ticket] = tickets_issue(passenger.pnr, [passenger])
    return ticket.token


@pytest.fixture
def scanned(ticketed, boarding_time, book):
    """The ticketed trip at boarding (07:30 IST, departure 08:00), with two more PNRs:
    Asha boards online at 07:30 (Dev, door-1); Ravi is scanned offline by two devices, the
    rear at 07:40 (Dev, uploaded 07:50) and the front at 07:35 (Lata, uploaded 07:55), so
    the front boards him and the rear is a conflict; Meera is never scanned; Kiran
    cancels, then his old QR is refused."""
    trip, dev = ticketed.trip, ticketed.driver
    lata = staff_user(trip.route.company, role=Role.DRIVER, full_name="Lata Driver")
    trip.drivers.add(lata)
    meera = book(trip, [adult("Meera", 40, "F")]).passengers.get()
    kiran_pnr = book(trip, [adult("Kiran", 50, "M")])
    kiran = kiran_pnr.passengers.select_related("pnr__origin", "seat__coach").get()
    kiran_qr = qr_of(kiran)
    booking_cancel(pnr=kiran_pnr, by=kiran_pnr.user)
    asha, ravi = (
        Passenger.objects.select_related("pnr__origin", "seat__coach").get(pk=p.pk)
        for p in ticketed.passengers
    )
    st1 = Station.objects.get(code="ST1")
    t0 = trip.departure_at - timedelta(minutes=30)

    assert (
        ticket_scan(
            trip=trip, driver=dev, qr=qr_of(asha), station=st1, device="door-1", now=t0
        ).result
        == "valid"
    )
    [rear] = scans_upload(
        trip=trip,
        driver=dev,
        device="rear",
        now=t0 + timedelta(minutes=20),
        scans=[OfflineScan("r-1", qr_of(ravi), t0 + timedelta(minutes=10), st1)],
    )
    [front] = scans_upload(
        trip=trip,
        driver=lata,
        device="front",
        now=t0 + timedelta(minutes=25),
        scans=[OfflineScan("f-1", qr_of(ravi), t0 + timedelta(minutes=5), st1)],
    )
    assert (rear.result, front.result, front.conflict is not None) == ("valid", "valid", True)
    assert ticket_scan(trip=trip, driver=dev, qr=kiran_qr, now=t0).result == "cancelled"
    return SimpleNamespace(trip=trip, asha=asha, ravi=ravi, meera=meera, kiran=kiran)


def test_the_boarding_sheet_lists_who_boarded_who_did_not_and_the_conflicts(scanned, client):
    client.force_login(staff_user(scanned.trip.route.company, role=Role.COMPANY_ADMIN))

    response = client.get(sheet_url(scanned.trip))

    assert response.status_code == 200
    context = response.context
    st1 = "Station ST1 (ST1)"
    front = ScanLine("07 Jan 2030 07:35 IST", "Lata Driver", st1, "front", True)
    rear = ScanLine("07 Jan 2030 07:40 IST", "Dev Driver", st1, "rear", True)
    rows = [
        (r.passenger.name, r.passenger.seat.coach.code, r.passenger.seat.number, r.boarded)
        for r in context["rows"]
    ]
    seat = {p.name: p.seat for p in (scanned.asha, scanned.ravi, scanned.meera)}
    assert sorted(seat.values(), key=lambda s: (s.row, s.column)) == [
        seat["Asha"],
        seat["Ravi"],
        seat["Meera"],
    ]  # so this is coach and berth order
    assert rows == [
        (
            "Asha",
            "S1",
            seat["Asha"].number,
            ScanLine("07 Jan 2030 07:30 IST", "Dev Driver", st1, "door-1", False),
        ),
        ("Ravi", "S1", seat["Ravi"].number, front),
        ("Meera", "S1", seat["Meera"].number, None),
    ]
    assert [(r.passenger.name, r.boarded) for r in context["cancelled"]] == [("Kiran", None)]
    [conflict] = context["conflicts"]
    assert (conflict.passenger.name, conflict.winner, conflict.loser, conflict.reported) == (
        "Ravi",
        front,
        rear,
        "07 Jan 2030 07:55 IST",
    )
    assert conflict.conflict == BoardingConflict.objects.get()
    assert context["counts"] == {"tickets": 3, "boarded": 2, "not_boarded": 1, "conflicts": 1}
    assert context["scans"] == [("Valid: boarded", 3), ("Cancelled ticket", 1)]

    html = response.content.decode()
    counts = re.search(r'data-testid="boarding-counts">(.*?)</p>', html, re.S).group(1)
    assert text_of(counts) == "3 tickets · 2 boarded · 1 not boarded · 1 conflict"
    page = text_of(html)
    assert (f"Meera 40 F {scanned.meera.pnr.number} ST1 ST4 CNF not boarded") in page
    assert (
        "Asha 34 F "
        f"{scanned.asha.pnr.number} ST1 ST4 CNF 07 Jan 2030 07:30 IST "
        "Dev Driver Station ST1 (ST1) door-1"
    ) in page
    assert (
        "07 Jan 2030 07:35 IST · Lata Driver · Station ST1 (ST1) · front (offline) "
        "07 Jan 2030 07:40 IST · Dev Driver · Station ST1 (ST1) · rear (offline) "
        "07 Jan 2030 07:55 IST"
    ) in page
    assert "@media print" in html


def test_the_boarding_sheet_is_the_selectors_as_the_admin_renders_it(scanned, client):
    client.force_login(staff_user(scanned.trip.route.company, role=Role.COMPANY_ADMIN))

    sheet = boarding_sheet(scanned.trip)
    context = client.get(sheet_url(scanned.trip)).context

    assert sheet["counts"] == {"tickets": 3, "boarded": 2, "not_boarded": 1, "conflicts": 1}
    assert [(r.passenger.pk, r.boarded) for r in sheet["rows"]] == [
        (r.passenger.pk, r.boarded) for r in context["rows"]
    ]
    assert [c.conflict.pk for c in sheet["conflicts"]] == [
        c.conflict.pk for c in context["conflicts"]
    ]
    assert {k: sheet[k] for k in ("trip_number", "origin", "departure", "counts", "scans")} == {
        k: context[k] for k in ("trip_number", "origin", "departure", "counts", "scans")
    }
    assert str(sheet["conflicts"][0].winner) == (
        "07 Jan 2030 07:35 IST · Lata Driver · Station ST1 (ST1) · front (offline)"
    )


def test_staff_of_another_company_get_no_boarding_sheet(scanned, client):
    client.force_login(staff_user(CompanyFactory(), role=Role.COMPANY_ADMIN))
    assert client.get(sheet_url(scanned.trip)).status_code == 404
    scans = client.get(reverse("admin:booking_boardingscan_changelist"))
    assert scans.status_code == 200 and scans.context["cl"].result_count == 0
    conflicts = client.get(reverse("admin:booking_boardingconflict_changelist"))
    assert conflicts.status_code == 200 and conflicts.context["cl"].result_count == 0

    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True))
    assert client.get(sheet_url(scanned.trip)).status_code == 200
    client.logout()
    response = client.get(sheet_url(scanned.trip))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_scan_list_links_each_trip_to_its_sheet_and_finds_scans_by_pnr(scanned, client):
    client.force_login(staff_user(scanned.trip.route.company, role=Role.COMPANY_ADMIN))
    url = reverse("admin:booking_boardingscan_changelist")

    everything = client.get(url)
    by_pnr = client.get(url, {"q": scanned.ravi.pnr.number})
    by_trip = client.get(url, {"trip": scanned.trip.pk, "result": "cancelled"})
    conflicts = client.get(reverse("admin:booking_boardingconflict_changelist"))

    assert everything.context["cl"].result_count == 4
    assert f'href="{sheet_url(scanned.trip)}"' in everything.content.decode()
    # Ravi's PNR is also Asha's: their three scans.
    assert sorted(s.passenger.name for s in by_pnr.context["cl"].result_list) == [
        "Asha",
        "Ravi",
        "Ravi",
    ]
    assert [s.passenger.name for s in by_trip.context["cl"].result_list] == ["Kiran"]
    assert conflicts.context["cl"].result_count == 1
    assert f'href="{sheet_url(scanned.trip)}"' in conflicts.content.decode()
    conflict = BoardingConflict.objects.get()
    for url in (
        reverse("admin:booking_boardingscan_change", args=[conflict.loser_id]),
        reverse("admin:booking_boardingconflict_change", args=[conflict.pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()  # read-only


@pytest.mark.usefixtures("boarding_time")
def test_the_boarding_sheet_costs_the_same_queries_for_more_passengers(ticketed, book, client):
    trip, driver = ticketed.trip, ticketed.driver
    client.force_login(staff_user(trip.route.company, role=Role.COMPANY_ADMIN))
    passengers = list(ticketed.pnr.passengers.select_related("pnr__origin", "seat__coach"))
    ticket_scan(trip=trip, driver=driver, qr=qr_of(passengers[0]))
    client.get(sheet_url(trip))  # ticket keys generated, caches warm
    with CaptureQueriesContext(connection) as few:
        assert client.get(sheet_url(trip)).context["counts"]["tickets"] == 2

    pnrs = [book(trip, [adult(f"P{i}{j}") for j in range(4)]) for i in range(3)]
    station = Station.objects.get(code="ST1")
    for pnr in pnrs:
        for passenger in pnr.passengers.select_related("pnr__origin", "seat__coach")[:2]:
            ticket_scan(trip=trip, driver=driver, qr=qr_of(passenger), station=station)
    later = passengers[1]
    at = trip.departure_at - timedelta(minutes=20)
    for device, minutes in (("rear", 2), ("front", 1)):
        scans_upload(
            trip=trip,
            driver=driver,
            device=device,
            scans=[OfflineScan(device, qr_of(later), at + timedelta(minutes=minutes), station)],
        )
    booking_cancel(
        pnr=pnrs[0], by=pnrs[0].user, passenger_ids=[pnrs[0].passengers.order_by("index").last().pk]
    )
    with CaptureQueriesContext(connection) as many:
        counts = client.get(sheet_url(trip)).context["counts"]
    assert counts == {"tickets": 13, "boarded": 8, "not_boarded": 5, "conflicts": 1}
    assert len(many) == len(few)
