"""Drivers and their trips through the driver API: a driver sees and acts only on the trips
assigned to them (today's and upcoming, started and completed, boarding opened from scheduled
only), and a trip's manifest carries the tickets, the keys and a signed revocation list at a
fixed number of queries."""

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleet.models import TripEvent, TripStatus
from fleet.tests.factories import staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from ..boarding import ticket_format
from ..lifecycle.services.cancellation import booking_cancel
from ..models import BoardingScan
from .factories import adult
from .scanning import SCAN, flip, scan, token, with_part

pytestmark = pytest.mark.django_db


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
