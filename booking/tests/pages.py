"""Helpers of the page tests: the words of a page and its field errors, the QR codes it draws
(read back by zxing-cpp), the tickets the API gives, the addresses and rows of a PNR's pages,
and the search and booking forms sent as a browser sends them, on the day of sale the search
and booking page tests stand at (TODAY, two days before DEPARTURE)."""

import io
import re
from datetime import datetime, timedelta

import resvg_py
import zxingcpp
from django.urls import reverse
from PIL import Image

from payments.ledger.selectors import wallet_for_user
from ttms.money import format_money

from ..models import Passenger
from .factories import IST


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


def pnr_url(pnr) -> str:
    return reverse("booking:pnr", args=[pnr.number])


def fragment_url(pnr) -> str:
    return reverse("booking:pnr-passengers", args=[pnr.number])


def cancel_url(pnr) -> str:
    return reverse("booking:cancel", args=[pnr.number])


def money(amount: int) -> str:
    return format_money(amount, "INR")


def balance(user) -> int:
    wallet = wallet_for_user(user=user)
    return wallet.balance if wallet else 0


def statuses(pnr) -> list[tuple[str, str, int]]:
    return list(
        Passenger.objects.filter(pnr=pnr).order_by("index").values_list("name", "status", "refund")
    )


def row_of(html: str, passenger) -> str:
    """The words of a passenger's row in the passengers table."""
    match = re.search(rf'<tr data-passenger="{passenger.pk}">(.*?)</tr>', html, re.S)
    assert match, f"no row for passenger {passenger.pk}"
    return text_of(match.group(1))


def qr_figures(html: str) -> dict[int, str]:
    return {
        int(pk): body
        for pk, body in re.findall(
            r'<figure class="pnr-qr" data-passenger="(\d+)">(.*?)</figure>', html, re.S
        )
    }


def page_title_and_h1(html: str) -> tuple[str, list[str]]:
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    return title, [text_of(h) for h in re.findall(r"<h1\b.*?</h1>", html, re.S)]


DEPARTURE = datetime(2030, 1, 7, 8, 0, tzinfo=IST)
TODAY = DEPARTURE - timedelta(days=2)


def field_error(html: str, name: str) -> str:
    """The error shown next to the input named `name` (includes/field.html)."""
    found = re.search(
        rf'name="{re.escape(name)}".*?<small class="field-error"[^>]*>([^<]*)<', html, re.S
    )
    return found.group(1).strip() if found else ""


def search(client, origin="ST1", destination="ST3", day="2030-01-07"):
    return client.get(reverse("booking:search"), {"from": origin, "to": destination, "date": day})


def passenger_post(
    trip,
    people,
    *,
    seats=(),
    quota="GENERAL",
    action="review",
    origin="ST1",
    destination="ST3",
    class_code="SL",
) -> dict:
    data = {
        "from": origin,
        "to": destination,
        "class": class_code,
        "quota": quota,
        "action": action,
        "form-TOTAL_FORMS": str(len(people)),
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "1",
        "form-MAX_NUM_FORMS": "6",
    }
    for i, (name, age, gender) in enumerate(people):
        data.update(
            {
                f"form-{i}-name": name,
                f"form-{i}-age": str(age),
                f"form-{i}-gender": gender,
                f"form-{i}-berth_preference": "",
                f"form-{i}-seat": seats[i] if i < len(seats) else "",
            }
        )
    return data


def review(client, trip, people, **kwargs):
    """Send the passengers form; returns the review page's response and its draft key."""
    response = client.post(
        reverse("booking:book", args=[trip.pk]), passenger_post(trip, people, **kwargs)
    )
    assert response.status_code == 302, text_of(response.content.decode())
    key = re.search(r"draft=([0-9a-f]+)", response["Location"]).group(1)
    return client.get(response["Location"]), key
