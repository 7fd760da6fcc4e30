"""The admin's boarding sheet of a trip (who boarded, when, by whom, where; who did not; the
conflicts), as the selectors give it, scoped to the company, linked from the scan list and
at a fixed number of queries."""

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fleet.models import Station
from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from ..boarding.selectors import ScanLine, boarding_sheet
from ..boarding.services.issue import tickets_issue
from ..boarding.services.scans import OfflineScan, scans_upload, ticket_scan
from ..lifecycle.services.cancellation import booking_cancel
from ..models import BoardingConflict, Passenger
from .factories import adult
from .pages import text_of

pytestmark = pytest.mark.django_db


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
