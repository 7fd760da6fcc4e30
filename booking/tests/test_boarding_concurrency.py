"""Real concurrency against PostgreSQL: simultaneous scans of one ticket board it once;
the same offline batch uploaded from two connections at once is answered once; a scan
racing a cancellation never leaves a cancelled passenger boarded."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from ttms.testing import run_together

from ..boarding.services.issue import tickets_issue
from ..boarding.services.scans import OfflineScan, scans_upload
from ..exceptions import CancellationNotAllowed
from ..lifecycle.services.cancellation import booking_cancel
from ..models import Boarding, BoardingScan, PassengerStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def qr_of(ticketed, index: int = 0) -> str:
    passenger = ticketed.pnr.passengers.select_related("seat__coach").get(
        pk=ticketed.passengers[index].pk
    )
    return tickets_issue(ticketed.pnr, [passenger])[0].token


def test_ten_simultaneous_scans_board_the_ticket_once(ticketed):
    qr = qr_of(ticketed)
    trip, driver = ticketed.trip, ticketed.driver

    def scan(i: int) -> dict:
        client = APIClient()
        client.force_authenticate(driver)
        response = client.post(
            "/api/v1/driver/scan/",
            {"trip": trip.pk, "qr": qr, "device": f"door-{i}"},
            format="json",
        )
        assert response.status_code == 200, response.content
        return response.json()

    with time_machine.travel(trip.departure_at - timedelta(minutes=20), tick=True):
        answers = run_together(10, scan)
    assert Counter(a["result"] for a in answers) == {"valid": 1, "already_boarded": 9}
    boarding = Boarding.objects.select_related("scan").get()
    winner = next(a for a in answers if a["result"] == "valid")
    assert boarding.scan_id == winner["scan"]
    assert all(a["boarding"]["device"] == winner["boarding"]["device"] for a in answers)
    assert BoardingScan.objects.count() == 10


def test_one_batch_uploaded_twice_at_once_is_answered_once(ticketed):
    trip, driver = ticketed.trip, ticketed.driver
    start = trip.departure_at - timedelta(minutes=50)
    batch = [
        OfflineScan(f"n-{i}", qr_of(ticketed, i % 2), start + timedelta(seconds=i))
        for i in range(6)
    ]
    with time_machine.travel(trip.departure_at - timedelta(minutes=20), tick=True):
        answers = run_together(
            2, lambda i: scans_upload(trip=trip, driver=driver, device="tablet", scans=batch)
        )
    assert BoardingScan.objects.count() == 6
    assert Boarding.objects.count() == 2
    first = [(a.result, a.scan.pk) for a in answers[0]]
    assert first == [(a.result, a.scan.pk) for a in answers[1]]
    assert [r for r, _ in first] == ["valid", "valid"] + ["already_boarded"] * 4


@pytest.mark.parametrize("run", range(3))
def test_a_scan_racing_a_cancellation_never_boards_a_cancelled_passenger(ticketed, run):
    trip, driver = ticketed.trip, ticketed.driver
    passenger = ticketed.passengers[0]
    qr = qr_of(ticketed)

    def work(i: int):
        if i == 0:
            try:
                return booking_cancel(
                    pnr=ticketed.pnr, by=ticketed.holder, passenger_ids=[passenger.pk]
                )
            except CancellationNotAllowed as refused:
                return refused
        from ..boarding.services.scans import ticket_scan

        return ticket_scan(trip=trip, driver=driver, qr=qr)

    with time_machine.travel(trip.departure_at - timedelta(minutes=20), tick=True):
        cancelled, scanned = run_together(2, work)
    passenger.refresh_from_db()
    if scanned.result == "valid":
        assert isinstance(cancelled, CancellationNotAllowed)
        assert passenger.status == PassengerStatus.CONFIRMED
        assert Boarding.objects.filter(passenger=passenger).exists()
    else:
        assert scanned.result == "cancelled"
        assert passenger.status == PassengerStatus.CANCELLED
        assert not Boarding.objects.exists()


def test_two_taps_on_start_at_once_move_the_trip_once(ticketed):
    from fleet.models import TripEvent

    trip, driver = ticketed.trip, ticketed.driver

    def start(_) -> tuple[int, str]:
        client = APIClient()
        client.force_authenticate(driver)
        response = client.post(f"/api/v1/driver/trips/{trip.pk}/start/")
        return response.status_code, response.json()["status"]

    assert run_together(4, start) == [(200, "departed")] * 4
    assert list(
        TripEvent.objects.filter(trip=trip).order_by("pk").values_list("from_status", "to_status")
    ) == [("scheduled", "boarding"), ("boarding", "departed")]
