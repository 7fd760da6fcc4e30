"""QR images of tickets, drawn by the `qrcode` package: PNG (Pillow) and SVG (one path).

Error correction M (15 %): a ticket's 420-450 alphanumeric characters (longer with long
names) fit a version 12-13 symbol that phone cameras and handheld scanners read from paper
and screens.
"""

import hashlib
import io

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage


def _code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=8)
    code.add_data(text)
    code.make(fit=True)
    return code


def qr_png(text: str) -> bytes:
    """A black-on-white PNG of `text`, 8 pixels a module, with the 4-module quiet zone."""
    buffer = io.BytesIO()
    _code(text).make_image().save(buffer)
    return buffer.getvalue()


def qr_svg(text: str) -> str:
    """A standalone SVG of `text` (one path, sized in millimetres, scalable for print)."""
    return _code(text).make_image(image_factory=SvgPathImage).to_string(encoding="unicode")


# Drawing a ticket's QR takes tens of milliseconds (the mask choice, in pure Python), and a
# ticket's text stays the same until its seat or signing key changes: images are cached
# by the text's digest (the site cache: Redis when configured).
CACHE_SECONDS = 24 * 3600


def _cached(kind: str, text: str, draw) -> bytes | str:
    from django.core.cache import cache  # here: the drawing functions need no settings

    key = f"ticket-qr:{kind}:{hashlib.sha256(text.encode()).hexdigest()}"
    image = cache.get(key)
    if image is None:
        image = draw(text)
        cache.set(key, image, CACHE_SECONDS)
    return image


def ticket_png(text: str) -> bytes:
    """`qr_png`, from the cache when drawn before."""
    return _cached("png", text, qr_png)


def ticket_svg(text: str) -> str:
    """`qr_svg`, from the cache when drawn before."""
    return _cached("svg", text, qr_svg)
