"""Path converters of the booking addresses (registered by `BookingConfig.ready`)."""

from .models import PNR_PATTERN


class PnrConverter:
    """`<pnr:pnr>`: a PNR number, exactly its 10 ASCII digits. Anything else (letters, a
    NUL byte, other digits) matches no address, so it is the site's 404 before any query;
    PostgreSQL would refuse a NUL byte with an error of its own."""

    regex = PNR_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)
