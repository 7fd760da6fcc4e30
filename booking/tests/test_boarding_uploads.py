"""Offline boarding uploads: idempotent, checked at the moment each scan was made, two devices
letting one ticket in give one boarding and a reported conflict, an upload naming a station
off the trip's route is refused whole, at a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleet.tests.factories import staff_user
from ttms.accounts.models import Role
from ttms.notifications.models import OutboxMessage

from ..boarding import ticket_format, ticket_keys
from ..boarding.services.issue import tickets_issue
from ..boarding.services.scans import OfflineScan, scans_upload
from ..models import Boarding, BoardingConflict, BoardingScan, Passenger
from .factories import adult
from .scanning import not_a_stop, scan, token

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("boarding_time")
def test_an_upload_naming_a_station_off_the_route_is_refused_whole(ticketed, api_client):
    message = not_a_stop(ticketed)
    start = ticketed.trip.departure_at - timedelta(minutes=40)
    api_client.force_authenticate(ticketed.driver)

    response = api_client.post(
        f"/api/v1/driver/trips/{ticketed.trip.pk}/scans/",
        {
            "device": "tablet-1",
            "scans": [
                offline("a-1", token(ticketed), start, station="ST1"),
                offline("a-2", token(ticketed, 1), start, station="NDLS"),
            ],
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": message,
            "fields": {"scans": {"1": {"station": [message]}}},
        }
    }
    assert not BoardingScan.objects.exists()
    assert not Boarding.objects.exists()


def upload(client, ticketed, device: str, scans: list[dict], user=None) -> list[dict]:
    client.force_authenticate(user or ticketed.driver)
    response = client.post(
        f"/api/v1/driver/trips/{ticketed.trip.pk}/scans/",
        {"device": device, "scans": scans},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def offline(nonce: str, qr: str, at, **extra) -> dict:
    return {"nonce": nonce, "qr": qr, "scanned_at": at.isoformat(), **extra}


@pytest.mark.usefixtures("boarding_time")
def test_uploading_the_same_batch_twice_changes_nothing(ticketed, api_client):
    start = ticketed.trip.departure_at - timedelta(minutes=40)
    batch = [
        offline("a-1", token(ticketed), start, station="ST1"),
        offline("a-2", token(ticketed, 1), start + timedelta(seconds=20)),
        offline("a-3", "garbage", start + timedelta(seconds=30)),
        offline("a-4", token(ticketed), start + timedelta(seconds=40), result="already_boarded"),
    ]
    first = upload(api_client, ticketed, "tablet-1", batch)
    assert [a["result"] for a in first] == ["valid", "valid", "malformed", "already_boarded"]
    assert [a["nonce"] for a in first] == ["a-1", "a-2", "a-3", "a-4"]
    assert not any(a["duplicate"] or a["conflict"] for a in first)
    state = (
        BoardingScan.objects.count(),
        list(Boarding.objects.values_list("passenger", "scan", "boarded_at")),
        OutboxMessage.objects.count(),
    )

    second = upload(api_client, ticketed, "tablet-1", batch)
    assert [a["duplicate"] for a in second] == [True] * 4
    strip = [{k: v for k, v in a.items() if k != "duplicate"} for a in second]
    assert strip == [{k: v for k, v in a.items() if k != "duplicate"} for a in first]
    assert state == (
        BoardingScan.objects.count(),
        list(Boarding.objects.values_list("passenger", "scan", "boarded_at")),
        OutboxMessage.objects.count(),
    )
    assert Boarding.objects.get(passenger=ticketed.passengers[0]).boarded_at == start


@pytest.mark.usefixtures("boarding_time")
@pytest.mark.parametrize("earlier_uploads_first", [True, False])
def test_two_devices_letting_one_ticket_in_give_one_boarding_and_a_reported_conflict(
    ticketed, api_client, earlier_uploads_first
):
    admin = staff_user(ticketed.trip.route.company, role=Role.COMPANY_ADMIN)
    qr = token(ticketed)
    start = ticketed.trip.departure_at - timedelta(minutes=40)
    front = ("front", [offline("f-1", qr, start + timedelta(minutes=1), station="ST1")])
    rear = ("rear", [offline("r-1", qr, start + timedelta(minutes=2), station="ST1")])
    order = [front, rear] if earlier_uploads_first else [rear, front]
    answers = {device: upload(api_client, ticketed, device, scans)[0] for device, scans in order}
    boarding = Boarding.objects.select_related("scan").get()
    assert boarding.scan.nonce == "f-1"  # the earlier scan wins, whatever the upload order
    assert boarding.boarded_at == start + timedelta(minutes=1)
    conflict = BoardingConflict.objects.get()
    assert (conflict.winner.nonce, conflict.loser.nonce) == ("f-1", "r-1")
    assert conflict.passenger_id == ticketed.passengers[0].pk
    later = answers["rear"] if earlier_uploads_first else answers["front"]
    assert later["conflict"] is True
    if earlier_uploads_first:
        assert (answers["front"]["result"], answers["rear"]["result"]) == (
            "valid",
            "already_boarded",
        )
    else:
        assert (answers["rear"]["result"], answers["front"]["result"]) == ("valid", "valid")
    [message] = OutboxMessage.objects.filter(topic="boarding.conflict")
    assert message.user_id == admin.pk
    assert message.payload == {
        "trip": ticketed.trip.pk,
        "pnr": ticketed.pnr.number,
        "passenger": ticketed.passengers[0].pk,
        "winner_scan": conflict.winner_id,
        "loser_scan": conflict.loser_id,
    }


@pytest.mark.usefixtures("boarding_time")
def test_a_device_that_refused_the_second_scan_raises_no_conflict(ticketed, api_client):
    qr = token(ticketed)
    start = ticketed.trip.departure_at - timedelta(minutes=40)
    assert scan(api_client, ticketed, qr)["result"] == "valid"
    [answer] = upload(
        api_client,
        ticketed,
        "tablet",
        [offline("t-1", qr, start + timedelta(hours=1), result="already_boarded")],
    )
    assert answer["result"] == "already_boarded" and answer["conflict"] is False
    assert not BoardingConflict.objects.exists()


@pytest.mark.usefixtures("boarding_time")
def test_offline_scans_are_checked_at_the_moment_they_were_made(ticketed):
    qr = token(ticketed)
    body = ticket_format.ticket_verify(qr, ticket_keys.keyring())
    before = OfflineScan("early", qr, body.valid_from - timedelta(minutes=1))
    future = OfflineScan("future", qr, body.valid_until + timedelta(days=30))
    answers = scans_upload(
        trip=ticketed.trip, driver=ticketed.driver, device="t", scans=[future, before]
    )
    assert [a.result for a in answers] == ["valid", "not_yet_valid"]
    # A clock far ahead counts as the upload's moment, which is inside the window.
    assert answers[0].scan.scanned_at < body.valid_until


@pytest.mark.usefixtures("boarding_time")
def test_a_scan_the_device_refused_boards_nobody_even_when_earlier(ticketed, api_client):
    qr = token(ticketed)
    start = ticketed.trip.departure_at - timedelta(minutes=40)
    assert scan(api_client, ticketed, qr)["result"] == "valid"
    boarding = Boarding.objects.get()
    [answer] = upload(
        api_client, ticketed, "tablet", [offline("t-0", qr, start, result="not_yet_valid")]
    )  # the device's clock was off
    assert answer["result"] == "not_yet_valid"
    assert answer["message"] == (
        "Refused offline on the device (not valid yet): Asha did not board with this scan."
    )
    assert answer["conflict"] is False
    assert Boarding.objects.get() == boarding
    assert Boarding.objects.get().scan_id == boarding.scan_id
    assert not BoardingConflict.objects.exists()
    [answer] = upload(
        api_client,
        ticketed,
        "tablet",
        [offline("t-1", token(ticketed, 1), start, result="cancelled")],
    )
    assert answer["result"] == "cancelled"
    assert not Boarding.objects.filter(passenger=ticketed.passengers[1]).exists()


@pytest.mark.usefixtures("boarding_time")
def test_a_scan_costs_a_fixed_number_of_queries(ticketed, book, api_client):
    api_client.force_authenticate(ticketed.driver)
    scan(api_client, ticketed, "warm-up: keys generated")
    first_qr, second_qr = token(ticketed), token(ticketed, 1)
    with CaptureQueriesContext(connection) as first:
        assert scan(api_client, ticketed, first_qr)["result"] == "valid"
    for _ in range(4):
        book(ticketed.trip, [adult(f"P{i}") for i in range(6)])
    with CaptureQueriesContext(connection) as again:
        assert scan(api_client, ticketed, second_qr)["result"] == "valid"
    # Trip, keys, PNR lock, passenger, boarding, two inserts, savepoints; and the holder's
    # "passenger.boarded" (the outbox's reads, the message, its in-app delivery).
    assert len(again) == len(first) <= 16, [q["sql"][:80] for q in again]


@pytest.mark.usefixtures("boarding_time")
def test_a_nonce_twice_in_one_batch_is_answered_once(ticketed, api_client):
    start = ticketed.trip.departure_at - timedelta(minutes=40)
    scan_once = offline("same", token(ticketed), start)
    answers = upload(api_client, ticketed, "tablet", [scan_once, scan_once])
    assert [(a["result"], a["duplicate"]) for a in answers] == [("valid", False), ("valid", True)]
    assert answers[0]["scan"] == answers[1]["scan"]
    assert BoardingScan.objects.count() == 1


@pytest.mark.usefixtures("boarding_time")
def test_a_repeated_upload_costs_the_same_queries_however_long(ticketed, book, api_client):
    for _ in range(2):
        book(ticketed.trip, [adult(f"P{i}") for i in range(6)])
    passengers = list(ticketed.pnr.trip.pnrs.values_list("passengers", flat=True))
    start = ticketed.trip.departure_at - timedelta(minutes=40)
    qrs = [
        tickets_issue(p.pnr, [p])[0].token
        for p in Passenger.objects.filter(pk__in=passengers).select_related(
            "pnr__origin", "pnr__destination", "seat__coach"
        )
    ]
    short = [offline(f"s-{i}", qr, start + timedelta(seconds=i)) for i, qr in enumerate(qrs[:2])]
    long = [offline(f"l-{i}", qr, start + timedelta(seconds=i)) for i, qr in enumerate(qrs[2:])]
    upload(api_client, ticketed, "a", short)
    upload(api_client, ticketed, "b", long)
    with CaptureQueriesContext(connection) as again_short:
        assert all(a["duplicate"] for a in upload(api_client, ticketed, "a", short))
    with CaptureQueriesContext(connection) as again_long:
        answers = upload(api_client, ticketed, "b", long)
    assert len(answers) == 12 and all(a["duplicate"] for a in answers)
    assert len(again_long) == len(again_short)
