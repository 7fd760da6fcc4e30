"""Every write the booking domain knows, one function per operation, by workflow:
`create` (booking), `promotion`, `cancellation`, `charting`, `trips` (operator trip
status changes and cancellation, vehicle swap)."""

from ..selectors import BOOKABLE_STATUSES
from .cancellation import booking_cancel
from .charting import chart_prepare, charts_prepare_due
from .create import (
    PNR_NUMBER_ATTEMPTS,
    REFERENCE_TYPE,
    BookingPlan,
    PassengerIn,
    booking_create,
    booking_precheck,
    passengers_check,
)
from .promotion import promote_waitlist
from .trips import (
    SwapResult,
    TripCancelResult,
    TripStatusChange,
    trip_cancel,
    trip_status_change,
    vehicle_swap,
)

__all__ = [
    "BOOKABLE_STATUSES",
    "PNR_NUMBER_ATTEMPTS",
    "REFERENCE_TYPE",
    "BookingPlan",
    "PassengerIn",
    "SwapResult",
    "TripCancelResult",
    "TripStatusChange",
    "booking_cancel",
    "booking_create",
    "booking_precheck",
    "chart_prepare",
    "charts_prepare_due",
    "passengers_check",
    "promote_waitlist",
    "trip_cancel",
    "trip_status_change",
    "vehicle_swap",
]
