"""Helpers of the page tests: the words of a page, the QR codes it draws (read back by
zxing-cpp), the tickets the API gives, and the addresses and rows of a PNR's pages."""

import io
import re

import resvg_py
import zxingcpp
from django.urls import reverse
from PIL import Image

from payments.ledger.selectors import wallet_for_user
from payments.money import format_money

from ..models import Passenger


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
    return wallet_for_user(user=user).balance


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
