"""Every write the booking domain knows, one function per operation, by workflow:
`create` (booking), `promotion`, `cancellation`, `charting`, `trips` (operator trip
cancellation, vehicle swap)."""

from .cancellation import booking_cancel
from .create import (
    BOOKABLE_STATUSES,
    PNR_NUMBER_ATTEMPTS,
    REFERENCE_TYPE,
    PassengerIn,
    booking_create,
)
from .promotion import promote_waitlist

__all__ = [
    "BOOKABLE_STATUSES",
    "PNR_NUMBER_ATTEMPTS",
    "REFERENCE_TYPE",
    "PassengerIn",
    "booking_cancel",
    "booking_create",
    "promote_waitlist",
]
