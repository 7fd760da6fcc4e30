"""QR images of tickets, drawn by the `qrcode` package: PNG (Pillow) and SVG (one path).

Error correction M (15 %): a ticket's ~350 alphanumeric characters fit a version 12-13
symbol that phone cameras and handheld scanners read from paper and screens.
"""

import io

import qrcode
import qrcode.constants
from qrcode.image.svg import SvgPathImage


def _code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         box_size=8)
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
