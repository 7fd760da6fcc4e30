"""Boarding scans through the driver API: every way a QR can be wrong is refused with its
reason (and random input never gives a 500 or a `valid`), a ticket boards once, drivers
see and act only on the trips assigned to them, and offline uploads are idempotent with
conflicts reported."""

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet.models import TripEvent, TripStatus
from fleet.tests.factories import StationFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.notifications.models import OutboxMessage

from ..boarding import ticket_format, ticket_keys
from ..boarding.services.issue import tickets_issue
from ..boarding.services.scans import OfflineScan, scans_upload
from ..lifecycle.services.cancellation import booking_cancel
from ..models import Boarding, BoardingConflict, BoardingScan, Passenger
from .factories import adult

pytestmark = pytest.mark.django_db

SCAN = "/api/v1/driver/scan/"


def token(ticketed, index: int = 0) -> str:
    pnr = ticketed.pnr
    passenger = pnr.passengers.select_related("seat__coach").get(pk=ticketed.passengers[index].pk)
    return tickets_issue(pnr, [passenger])[0].token


def scan(client, ticketed, qr, **extra) -> dict:
    client.force_authenticate(ticketed.driver)
    response = client.post(SCAN, {"trip": ticketed.trip.pk, "qr": qr, **extra}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def flip(text: str, index: int, bit: int = 0) -> str:
    """`text` (a Base32 part) with one bit of its decoded bytes flipped."""
    data = bytearray(ticket_format.b32decode(text))
    data[index % len(data)] ^= 1 << bit
    return ticket_format.b32encode(bytes(data))


def with_part(qr: str, part: int, value: str) -> str:
    parts = qr.split(".")
    parts[part] = value
    return ".".join(parts)


# --- Online scans ---------------------------------------------------------------------------


@pytest.mark.usefixtures("boarding_time")
def test_a_ticket_boards_once_and_the_second_scan_says_when_where_and_by_whom(ticketed, api_client):
    qr = token(ticketed)
    first = scan(api_client, ticketed, qr, station="ST1", device="bus-door")
    assert first["result"] == "valid"
    assert first["ticket"]["name"] == "Asha"
    assert first["ticket"]["pnr"] == ticketed.pnr.number
    assert first["boarding"]["by"] == "Dev Driver"
    assert first["boarding"]["station"]["code"] == "ST1"
    assert first["boarding"]["device"] == "bus-door"

    second = scan(api_client, ticketed, qr)
    assert second["result"] == "already_boarded"
    boarded = Boarding.objects.get()
    local = boarded.boarded_at.astimezone(ticketed.pnr.origin.tzinfo)
    assert second["message"] == (
        f"Already boarded at {local:%H:%M on %d %b %Y} at Station ST1, scanned by Dev Driver."
    )
    assert second["boarding"] == first["boarding"]
    assert list(BoardingScan.objects.order_by("pk").values_list("result", flat=True)) == [
        "valid",
        "already_boarded",
    ]
    assert scan(api_client, ticketed, token(ticketed, 1))["result"] == "valid"
    assert Boarding.objects.count() == 2


@pytest.mark.usefixtures("boarding_time")
@pytest.mark.parametrize(
    ("part", "index"), [(2, 0), (2, 17), (2, -1), (3, 0), (3, 63), (4, 0), (4, 31)]
)
def test_one_flipped_bit_anywhere_is_an_invalid_signature(ticketed, api_client, part, index):
    qr = token(ticketed)
    for bit in (0, 7):
        altered = with_part(qr, part, flip(qr.split(".")[part], index, bit))
        answer = scan(api_client, ticketed, altered)
        assert answer["result"] == "invalid_signature", answer
        signature = {2: "HMAC", 3: "Ed25519", 4: "HMAC"}[part]
        assert signature in answer["message"]
        assert answer["ticket"] is None
    assert not Boarding.objects.exists()


@pytest.mark.usefixtures("boarding_time")
def test_an_unknown_key_id_is_refused(ticketed, api_client):
    body = ticket_format.ticket_verify(token(ticketed), ticket_keys.keyring())
    forger = ticket_format.KeyPair.from_seed("FORGED", hmac_secret=b"x" * 32, seed=b"y" * 32)
    answer = scan(api_client, ticketed, ticket_format.ticket_sign(body, forger))
    assert answer["result"] == "invalid_signature"
    assert answer["message"] == "Unknown key id FORGED: not a key of this system."


@pytest.mark.usefixtures("boarding_time")
def test_a_cancelled_passengers_ticket_is_refused(ticketed, api_client):
    qr = token(ticketed, 1)
    booking_cancel(pnr=ticketed.pnr, by=ticketed.holder, passenger_ids=[ticketed.passengers[1].pk])
    answer = scan(api_client, ticketed, qr)
    assert answer["result"] == "cancelled"
    assert answer["message"] == (
        f"Ravi (PNR {ticketed.pnr.number}, passenger 2) is cancelled: the ticket is void."
    )
    assert not Boarding.objects.exists()


@pytest.mark.usefixtures("boarding_time")
def test_another_trips_ticket_is_the_wrong_trip(ticketed, make_sleeper_trip, book, api_client):
    other = make_sleeper_trip(
        berths=8, quotas={}, code_prefix="OT", departure=ticketed.trip.departure_at
    )
    pnr = book(other, destination="OT4", origin="OT1")
    qr = tickets_issue(pnr, pnr.passengers.select_related("seat__coach"))[0].token
    answer = scan(api_client, ticketed, qr)
    assert answer["result"] == "wrong_trip"
    assert answer["message"] == (
        f"This ticket is for trip {other.route.number} of "
        f"{other.service_date:%d %b %Y}, not trip "
        f"{ticketed.trip.route.number} of "
        f"{ticketed.trip.service_date:%d %b %Y}."
    )


def test_the_validity_window_is_exact(ticketed, api_client, settings):
    qr = token(ticketed)
    body = ticket_format.ticket_verify(qr, ticket_keys.keyring())
    assert body.valid_from == ticketed.pnr.departure_at - timedelta(minutes=180)
    assert body.valid_until == ticketed.pnr.arrival_at + timedelta(minutes=360)
    for moment, result in [
        (body.valid_from - timedelta(seconds=1), "not_yet_valid"),
        (body.valid_until + timedelta(seconds=1), "expired"),
    ]:
        with time_machine.travel(moment, tick=False):
            answer = scan(api_client, ticketed, qr)
        assert answer["result"] == result
    with time_machine.travel(body.valid_from - timedelta(seconds=1), tick=False):
        answer = scan(api_client, ticketed, qr)
    local = body.valid_from.astimezone(ticketed.pnr.origin.tzinfo)
    assert answer["message"] == f"Not valid yet: valid from {local:%H:%M on %d %b %Y}."
    with time_machine.travel(body.valid_until, tick=False):
        assert scan(api_client, ticketed, qr)["result"] == "valid"


@pytest.mark.usefixtures("boarding_time")
@pytest.mark.parametrize(
    ("qr", "message"),
    [
        ("", "The QR is empty."),
        ("   ", "The QR is empty."),
        ("https://example.com/ticket", "Not a TTMS ticket."),
        ("TT2.A.B.C.D", "Unknown ticket format 'TT2'."),
        ("TT1.ABC.DEF", "The ticket is cut short or has extra parts."),
        ("TT1.abc.AA.AA.AA", "The ticket's key id is not readable."),
        ("TT1.ABC.A1.AA.AA", "The ticket is not readable: a part is not Base32."),
        ("TT1.ABC.AA.AA.AA", "The ticket's signatures have the wrong length."),
        ("TT1." + "A" * 3000, "The QR is too long to be a ticket."),
    ],
)
def test_garbage_is_malformed(ticketed, api_client, qr, message):
    answer = scan(api_client, ticketed, qr)
    assert (answer["result"], answer["message"]) == ("malformed", message)


@pytest.mark.usefixtures("boarding_time")
def test_every_truncation_is_refused(ticketed, api_client):
    qr = token(ticketed)
    results = {}
    for cut in range(0, len(qr), 7):
        results[cut] = scan(api_client, ticketed, qr[:cut])["result"]
    assert set(results.values()) == {"malformed"}, results
    assert not Boarding.objects.exists()


@pytest.mark.usefixtures("boarding_time")
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=st.binary(max_size=600) | st.text(max_size=400).map(str.encode))
def test_random_input_is_never_a_500_or_valid(ticketed, api_client, raw):
    api_client.force_authenticate(ticketed.driver)
    response = api_client.post(
        SCAN, {"trip": ticketed.trip.pk, "qr": raw.decode("latin-1")}, format="json"
    )
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert response.json()["result"] in ("malformed", "invalid_signature")
    else:
        assert response.json()["error"]["code"] == "invalid"
    assert not Boarding.objects.exists()


@pytest.mark.usefixtures("boarding_time")
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_edits_of_a_valid_ticket_never_board(ticketed, api_client, data):
    qr = token(ticketed)
    position = data.draw(st.integers(0, len(qr) - 1))
    replacement = data.draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567.1=- "))
    altered = qr[:position] + replacement + qr[position + 1 :]
    if altered.strip() == qr:
        return
    assert scan(api_client, ticketed, altered)["result"] in ("malformed", "invalid_signature")
    assert not Boarding.objects.exists()


def test_scan_input_errors_are_400_in_the_one_shape(ticketed, api_client):
    api_client.force_authenticate(ticketed.driver)
    response = api_client.post(SCAN, {"qr": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["trip"]
    response = api_client.post(
        SCAN, {"trip": ticketed.trip.pk, "qr": "x", "station": "NOPE"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["station"] == ["No station has the code 'NOPE'."]
    assert not BoardingScan.objects.exists()


def not_a_stop(ticketed) -> str:
    StationFactory(code="NDLS", name="New Delhi")
    trip = ticketed.trip
    return (
        f"New Delhi (NDLS) is not a stop of trip {trip.route.number} of "
        f"{trip.service_date:%d %b %Y}: scan at a station the trip calls at."
    )


@pytest.mark.usefixtures("boarding_time")
def test_a_scan_at_a_station_off_the_trips_route_is_refused_and_not_recorded(ticketed, api_client):
    message = not_a_stop(ticketed)
    api_client.force_authenticate(ticketed.driver)

    response = api_client.post(
        SCAN, {"trip": ticketed.trip.pk, "qr": token(ticketed), "station": "NDLS"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": message, "fields": {"station": [message]}}
    }
    assert not BoardingScan.objects.exists()
    assert not Boarding.objects.exists()
    assert scan(api_client, ticketed, token(ticketed), station="ST2")["result"] == "valid"


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


@pytest.mark.usefixtures("boarding_time")
def test_a_boarded_passenger_cannot_cancel(ticketed, api_client):
    assert scan(api_client, ticketed, token(ticketed))["result"] == "valid"
    api_client.force_authenticate(ticketed.holder)
    response = api_client.post(
        f"/api/v1/bookings/{ticketed.pnr.number}/cancel/",
        {},
        format="json",
        HTTP_IDEMPOTENCY_KEY="cancel-boarded",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cancellation_not_allowed"
    assert "Asha (passenger 1) has boarded" in response.json()["error"]["message"]
    # The other passenger, not boarded, still can.
    response = api_client.post(
        f"/api/v1/bookings/{ticketed.pnr.number}/cancel/",
        {"passengers": [ticketed.passengers[1].pk]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="cancel-other",
    )
    assert response.status_code == 200, response.content


# --- Drivers and their trips --------------------------------------------------------------


@pytest.mark.usefixtures("boarding_time")
def test_a_driver_acts_only_on_trips_assigned_to_them(ticketed, api_client):
    trip = ticketed.trip
    stranger = staff_user(trip.route.company, role=Role.DRIVER)
    passenger = UserFactory()
    qr = token(ticketed)
    for user in (stranger, passenger, ticketed.holder):
        api_client.force_authenticate(user)
        calls = [
            api_client.post(SCAN, {"trip": trip.pk, "qr": qr}, format="json"),
            api_client.post(f"/api/v1/driver/trips/{trip.pk}/start/"),
            api_client.post(f"/api/v1/driver/trips/{trip.pk}/boarding/"),
            api_client.post(f"/api/v1/driver/trips/{trip.pk}/complete/"),
            api_client.get(f"/api/v1/driver/trips/{trip.pk}/manifest/"),
            api_client.post(
                f"/api/v1/driver/trips/{trip.pk}/scans/",
                {
                    "device": "d",
                    "scans": [
                        {"nonce": "n1", "qr": qr, "scanned_at": trip.departure_at.isoformat()}
                    ],
                },
                format="json",
            ),
        ]
        for response in calls:
            assert response.status_code == 404, (user, response.content)
            assert response.json()["error"]["message"] == (
                "You are not assigned to a trip with this id."
            )
        assert api_client.get("/api/v1/driver/trips/").json()["results"] == []
    trip.refresh_from_db()
    assert trip.status == TripStatus.SCHEDULED
    assert not BoardingScan.objects.exists()


def test_the_driver_sees_todays_and_upcoming_trips(ticketed, make_sleeper_trip, api_client):
    trip = ticketed.trip
    later = make_sleeper_trip(
        berths=4, quotas={}, code_prefix="LT", departure=trip.departure_at + timedelta(days=3)
    )
    far = make_sleeper_trip(
        berths=4, quotas={}, code_prefix="FT", departure=trip.departure_at + timedelta(days=8)
    )
    for other in (later, far):
        other.drivers.add(ticketed.driver)
    api_client.force_authenticate(ticketed.driver)
    with time_machine.travel(trip.departure_at - timedelta(hours=1), tick=False):
        listed = api_client.get("/api/v1/driver/trips/").json()["results"]
    assert [t["id"] for t in listed] == [trip.pk, later.pk]
    assert listed[0]["tickets"] == 2 and listed[0]["boarded"] == 0
    assert listed[0]["from"]["code"] == "ST1" and listed[0]["to"]["code"] == "ST4"
    assert (
        listed[0]["departure"]
        == trip.departure_at.astimezone(ticketed.pnr.origin.tzinfo).isoformat()
    )
    # Arrived more than 12 hours ago: no longer listed.
    with time_machine.travel(trip.arrival_at + timedelta(hours=12, seconds=1), tick=False):
        listed = api_client.get("/api/v1/driver/trips/").json()["results"]
    assert [t["id"] for t in listed] == [later.pk]


def test_start_and_complete_move_the_trip_along(ticketed, api_client):
    trip = ticketed.trip
    api_client.force_authenticate(ticketed.driver)
    base = f"/api/v1/driver/trips/{trip.pk}"
    response = api_client.post(f"{base}/complete/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_status_transition"
    response = api_client.post(f"{base}/start/")
    assert response.status_code == 200
    assert response.json()["status"] == "departed"
    assert list(
        TripEvent.objects.filter(trip=trip).values_list("from_status", "to_status", "by")
    ) == [
        ("scheduled", "boarding", ticketed.driver.pk),
        ("boarding", "departed", ticketed.driver.pk),
    ]
    assert api_client.post(f"{base}/start/").status_code == 200  # already departed: as is
    assert api_client.post(f"{base}/boarding/").json()["status"] == "departed"
    response = api_client.post(f"{base}/complete/")
    assert response.json()["status"] == "arrived"
    response = api_client.post(f"{base}/complete/")
    assert response.status_code == 200
    response = api_client.post(f"{base}/start/")
    assert response.status_code == 200 and response.json()["status"] == "arrived"
    assert TripEvent.objects.filter(trip=trip).count() == 3


def test_a_cancelled_trip_cannot_be_started(ticketed, api_client):
    from ..lifecycle.services.trips import trip_cancel

    trip_cancel(trip=ticketed.trip, by=None, reason="Flooded tracks")
    api_client.force_authenticate(ticketed.driver)
    for action in ("boarding", "start", "complete"):
        response = api_client.post(f"/api/v1/driver/trips/{ticketed.trip.pk}/{action}/")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "trip_locked"
        assert "was cancelled" in response.json()["error"]["message"]


def test_boarding_opens_from_scheduled_only(ticketed, api_client):
    api_client.force_authenticate(ticketed.driver)
    response = api_client.post(f"/api/v1/driver/trips/{ticketed.trip.pk}/boarding/")
    assert response.status_code == 200 and response.json()["status"] == "boarding"
    assert TripEvent.objects.filter(trip=ticketed.trip).count() == 1


# --- Manifest -------------------------------------------------------------------------------


def _unseal_offline(revocations: str, keys: list[dict]) -> dict:
    """The TR1 list checked as a scanner would: Ed25519 and the public key, no Django."""
    kind, kid, body, signature = revocations.split(".")
    public = next(k["public_key"] for k in keys if k["kid"] == kid)
    key = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(public + "=="))
    key.verify(ticket_format.b32decode(signature), f"{kind}.{kid}.{body}".encode())
    return json.loads(ticket_format.b32decode(body))


@pytest.mark.usefixtures("boarding_time")
def test_the_manifest_has_the_tickets_keys_and_a_signed_revocation_list(ticketed, api_client):
    booking_cancel(pnr=ticketed.pnr, by=ticketed.holder, passenger_ids=[ticketed.passengers[1].pk])
    api_client.force_authenticate(ticketed.driver)
    scan(api_client, ticketed, token(ticketed))
    manifest = api_client.get(f"/api/v1/driver/trips/{ticketed.trip.pk}/manifest/").json()
    assert manifest["trip"]["id"] == ticketed.trip.pk
    [entry] = manifest["tickets"]
    assert (entry["name"], entry["status"], entry["from"], entry["to"]) == (
        "Asha",
        "CNF",
        "ST1",
        "ST4",
    )
    assert entry["qr"] == token(ticketed)
    assert entry["boarded_at"] is not None
    revoked = _unseal_offline(manifest["revocations"], manifest["public_keys"])
    assert revoked["t"] == ticketed.trip.pk
    assert revoked["r"] == [ticketed.passengers[1].pk]
    tampered = with_part(manifest["revocations"], 2, flip(manifest["revocations"].split(".")[2], 0))
    with pytest.raises(InvalidSignature):
        _unseal_offline(tampered, manifest["public_keys"])


def test_the_manifest_costs_the_same_queries_for_more_passengers(ticketed, book, api_client):
    api_client.force_authenticate(ticketed.driver)
    url = f"/api/v1/driver/trips/{ticketed.trip.pk}/manifest/"
    api_client.get(url)  # keys generated
    with CaptureQueriesContext(connection) as few:
        assert len(api_client.get(url).json()["tickets"]) == 2
    for _ in range(3):
        book(ticketed.trip, [adult(f"P{i}") for i in range(4)])
    with CaptureQueriesContext(connection) as many:
        assert len(api_client.get(url).json()["tickets"]) == 14
    assert len(many) == len(few)


# --- Offline uploads ---------------------------------------------------------------------------


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
    # Trip, keys, PNR lock, passenger, boarding, two inserts, savepoints.
    assert len(again) == len(first) <= 12, [q["sql"][:80] for q in again]


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
