"""Every write the booking domain knows, one function per operation, by workflow:
`create` (booking), `promotion`, `cancellation`, `charting`, `trips` (operator trip
status changes and cancellation, vehicle swap)."""

from ..selectors import BOOKABLE_STATUSES
from .create import (
    PNR_NUMBER_ATTEMPTS,
    REFERENCE_TYPE,
    BookingPlan,
    PassengerIn,
    booking_create,
    booking_precheck,
    passengers_check,
)

__all__ = [
    "BOOKABLE_STATUSES",
    "PNR_NUMBER_ATTEMPTS",
    "REFERENCE_TYPE",
    "BookingPlan",
    "PassengerIn",
    "booking_create",
    "booking_precheck",
    "passengers_check",
]
