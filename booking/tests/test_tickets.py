"""Signed tickets: the QR images decode, with a real QR decoder, to exactly the signed text;
the text verifies offline with the Ed25519 public key alone (outside Django); keys rotate
and revoke; only the holder (or the company's staff) gets the QR."""

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import resvg_py
import zxingcpp
from django.test import override_settings
from PIL import Image

from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from ..boarding import ticket_format, ticket_keys
from ..lifecycle.services.cancellation import booking_cancel
from ..models import TicketKey

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "scripts" / "verify_ticket.py"

pytestmark = pytest.mark.django_db


def qr_url(pnr, passenger, ext: str) -> str:
    return f"/api/v1/bookings/{pnr.number}/tickets/{passenger.pk}/qr.{ext}"


def tickets_of(client, pnr) -> list[dict]:
    response = client.get(f"/api/v1/bookings/{pnr.number}/tickets/")
    assert response.status_code == 200, response.content
    return response.json()


def decode(png: bytes) -> str:
    """The text of the one QR code in a PNG, read by zxing-cpp. Only QR codes are looked
    for: with every format on, the reader now and then also takes a stretch of the QR's
    modules for a linear barcode."""
    found = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    assert [code.format for code in found] == [zxingcpp.BarcodeFormat.QRCode]
    return found[0].text


def verify_outside_django(keys: list[dict], token: str, tmp_path) -> subprocess.CompletedProcess:
    """scripts/verify_ticket.py in a fresh interpreter that has no Django settings and
    fails if Django gets imported; validity checked at this (travelled) moment."""
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps(keys))
    guard = (
        "import runpy, sys; sys.argv = sys.argv[1:]; "
        "sys.modules['django'] = None; "  # importing Django would raise
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "DATABASE"))}
    return subprocess.run(
        [sys.executable, "-I", "-c", guard, str(VERIFIER), str(keys_file), token, str(time.time())],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


@pytest.mark.usefixtures("boarding_time")
@pytest.mark.parametrize("ext", ["png", "svg"])
def test_qr_decodes_to_the_signed_ticket_which_verifies_offline(
    ticketed, api_client, ext, tmp_path
):
    api_client.force_authenticate(ticketed.holder)
    [first, second] = tickets_of(api_client, ticketed.pnr)
    assert [first["name"], second["name"]] == ["Asha", "Ravi"]
    response = api_client.get(qr_url(ticketed.pnr, ticketed.passengers[0], ext))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    if ext == "png":
        assert response["Content-Type"] == "image/png"
        png = response.content
    else:
        assert response["Content-Type"].startswith("image/svg+xml")
        png = bytes(
            resvg_py.svg_to_bytes(
                svg_string=response.content.decode(), dpi=96.0, background="#ffffff"
            )
        )
    text = decode(png)
    assert text == first["qr"]
    assert text.startswith("TT1.") and text.count(".") == 4

    keys = api_client.get("/api/v1/tickets/keys/").json()
    checked = verify_outside_django(keys, text, tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    body = json.loads(checked.stdout)
    passenger = ticketed.passengers[0]
    assert body["p"] == ticketed.pnr.number
    assert (body["i"], body["x"], body["n"]) == (passenger.pk, 1, "Asha")
    assert (body["t"], body["f"], body["d"], body["st"]) == (ticketed.trip.pk, "ST1", "ST4", "CNF")
    assert (body["h"], body["s"]) == (passenger.seat.coach.code, passenger.seat.number)

    # One changed character and the same offline check refuses it.
    tampered = text[:10] + ("A" if text[10] != "A" else "B") + text[11:]
    refused = verify_outside_django(keys, tampered, tmp_path)
    assert refused.returncode == 1
    assert refused.stdout.startswith("refused:")


def test_the_qr_text_is_alphanumeric_and_deterministic(ticketed, api_client):
    api_client.force_authenticate(ticketed.holder)
    once = [t["qr"] for t in tickets_of(api_client, ticketed.pnr)]
    again = [t["qr"] for t in tickets_of(api_client, ticketed.pnr)]
    assert once == again
    alphanumeric = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")  # QR's mode 2
    for token in once:
        assert set(token) <= alphanumeric
        assert len(token) < 600


def test_only_the_holder_or_the_company_gets_the_qr(ticketed, api_client):
    passenger = ticketed.passengers[0]
    url = qr_url(ticketed.pnr, passenger, "png")
    stranger = UserFactory()
    api_client.force_authenticate(stranger)
    response = api_client.get(url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert api_client.get(f"/api/v1/bookings/{ticketed.pnr.number}/tickets/").status_code == 404

    other_company = staff_user(CompanyFactory(), role=Role.COMPANY_ADMIN)
    api_client.force_authenticate(other_company)
    assert api_client.get(url).status_code == 404

    own_company = staff_user(ticketed.trip.route.company, role=Role.AGENT)
    api_client.force_authenticate(own_company)
    assert api_client.get(url).status_code == 200

    api_client.force_authenticate(None)
    assert api_client.get(url).status_code == 401


def test_another_pnrs_passenger_is_not_found(ticketed, book, api_client):
    other = book(ticketed.trip, user=ticketed.holder)
    api_client.force_authenticate(ticketed.holder)
    stranger = other.passengers.get()
    response = api_client.get(
        f"/api/v1/bookings/{ticketed.pnr.number}/tickets/{stranger.pk}/qr.svg"
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "has no passenger" in response.json()["error"]["message"]


def test_waitlisted_and_cancelled_passengers_have_no_ticket(ticketed, api_client):
    cancelled = ticketed.passengers[1]
    booking_cancel(
        pnr=ticketed.pnr,
        by=ticketed.holder,
        passenger_ids=[cancelled.pk],
        now=ticketed.trip.departure_at.replace(year=2029),
    )
    api_client.force_authenticate(ticketed.holder)
    response = api_client.get(qr_url(ticketed.pnr, cancelled, "png"), HTTP_ACCEPT="image/png")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_ticket"
    assert "cancelled" in response.json()["error"]["message"]
    assert [t["name"] for t in tickets_of(api_client, ticketed.pnr)] == ["Asha"]


# --- Keys ---------------------------------------------------------------------------------------


def test_first_use_generates_one_key_and_never_exposes_the_private_half(api_client):
    assert not TicketKey.objects.exists()
    keys = api_client.get("/api/v1/tickets/keys/").json()
    assert api_client.get("/api/v1/tickets/keys/").json() == keys
    [key] = keys
    stored = TicketKey.objects.get()
    assert key == {
        "kid": stored.kid,
        "algorithm": "Ed25519",
        "public_key": stored.ed25519_public,
        "signing": True,
    }
    assert stored.ed25519_private not in json.dumps(keys)
    assert stored.kid == ticket_format.kid_for(ticket_keys._b64(stored.ed25519_public))


@pytest.mark.usefixtures("boarding_time")
def test_rotation_keeps_old_tickets_valid_until_their_key_is_revoked(ticketed, api_client):
    api_client.force_authenticate(ticketed.holder)
    old = tickets_of(api_client, ticketed.pnr)[0]
    new_key = ticket_keys.key_rotate()
    new = tickets_of(api_client, ticketed.pnr)[0]
    assert new["kid"] == new_key.kid != old["kid"]
    ring = ticket_keys.keyring()
    assert ring.signing.kid == new_key.kid
    assert ticket_format.ticket_verify(old["qr"], ring).passenger == old["passenger"]
    assert [k["kid"] for k in api_client.get("/api/v1/tickets/keys/").json()] == [
        new_key.kid,
        old["kid"],
    ]

    with pytest.raises(ticket_keys.KeyConfigurationError, match="rotate first"):
        ticket_keys.key_revoke(new_key.kid)
    ticket_keys.key_revoke(old["kid"])
    with pytest.raises(ticket_format.TicketRejected) as refused:
        ticket_format.ticket_verify(old["qr"], ticket_keys.keyring())
    assert refused.value.result == "invalid_signature"
    assert "revoked" in refused.value.message
    assert (
        ticket_format.ticket_verify(new["qr"], ticket_keys.keyring()).passenger == new["passenger"]
    )


def test_keys_from_the_environment_sign_and_the_database_stays_empty(ticketed, api_client):
    first, second = ticket_keys.setting_entry_generate(), ticket_keys.setting_entry_generate()
    with override_settings(TTMS_TICKET_KEYS=f"{first},{second}"):
        api_client.force_authenticate(ticketed.holder)
        [ticket, _] = tickets_of(api_client, ticketed.pnr)
        assert ticket["kid"] == first.split(":")[0]
        assert [k["kid"] for k in api_client.get("/api/v1/tickets/keys/").json()] == [
            first.split(":")[0],
            second.split(":")[0],
        ]
        with pytest.raises(ticket_keys.KeyConfigurationError, match="TTMS_TICKET_KEYS"):
            ticket_keys.key_rotate()
    assert not TicketKey.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (",", "names no key"),
        ("ABC:c2VjcmV0:c2VlZA", "entry 1 is not"),
        ("abc:" + "A" * 43 + ":" + "A" * 43, "key id"),
    ],
)
def test_a_bad_key_setting_is_refused_with_its_entry(value, message):
    ticket_keys.keyring_from_setting.cache_clear()
    with pytest.raises(ticket_keys.KeyConfigurationError, match=message):
        ticket_keys.keyring_from_setting(value)


def test_a_driver_gets_the_qr_of_trips_they_drive_only(ticketed, make_sleeper_trip, api_client):
    other_trip = make_sleeper_trip(berths=4, quotas={}, code_prefix="OT")
    colleague = staff_user(ticketed.trip.route.company, role=Role.DRIVER)
    other_trip.drivers.add(colleague)
    url = qr_url(ticketed.pnr, ticketed.passengers[0], "png")
    api_client.force_authenticate(colleague)
    assert api_client.get(url).status_code == 404
    api_client.force_authenticate(ticketed.driver)
    assert api_client.get(url).status_code == 200
    ticketed.trip.drivers.add(colleague)  # two drivers: still one PNR found
    api_client.force_authenticate(colleague)
    assert api_client.get(url).status_code == 200
