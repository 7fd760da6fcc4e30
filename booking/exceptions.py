"""Errors the booking services raise; the API shows them in its one error shape."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ttms.exceptions import DomainError


class BookingError(DomainError):
    code = "booking_refused"
    status_code = 409
    default_message = _("The booking cannot be made.")


class InvalidBooking(BookingError):
    """The request itself is wrong (stops, class, passengers): nothing to retry as is."""

    code = "invalid"
    status_code = 400
    default_message = _("The booking request is not valid.")


class QuotaNotSold(InvalidBooking):
    """The operator does not sell the quota asked for (`Company.rules.quotas`)."""

    code = "quota_not_sold"
    default_message = _("The operator does not sell this quota.")


class SoldOut(BookingError):
    """No seat is left for some passenger, and the operator keeps no waiting list."""

    code = "sold_out"
    default_message = _("No seats are left for this journey; nothing was booked or charged.")

    @classmethod
    def for_class(cls, class_code: str) -> "SoldOut":
        """'No seats left in VIP for this journey; nothing was booked or charged.'"""
        return cls(
            gettext(
                "No seats left in {class_code} for this journey; nothing was booked or charged."
            ).format(class_code=class_code)
        )


class FareNotSet(InvalidBooking):
    """The operator has set no fare for this class on this journey: it is not on sale."""

    code = "fare_not_set"
    default_message = _("No fare is set for this class on this journey; it is not on sale.")


class TripNotBookable(BookingError):
    code = "trip_not_bookable"
    default_message = _("This trip is no longer open for booking.")

    @classmethod
    def for_trip(cls, trip) -> "TripNotBookable":
        """'Trip 12951 of 2030-01-07 is cancelled; it cannot be booked.'"""
        return cls(
            gettext("Trip {number} of {date} is {status}; it cannot be booked.").format(
                number=trip.route.number,
                date=trip.service_date,
                status=trip.get_status_display().lower(),
            )
        )


class BookingNotOpen(BookingError):
    code = "booking_not_open"
    default_message = _("Booking for this journey has not opened yet.")


class NotAllConfirmed(BookingError):
    code = "not_all_confirmed"
    default_message = _(
        "Not every passenger could be confirmed, and the booking asked for "
        "all or none; nothing was booked or charged."
    )


class NotOneCoach(BookingError):
    code = "not_one_coach"
    default_message = _(
        "The passengers could not all be confirmed in one coach, as the "
        "booking asked; nothing was booked or charged."
    )


class ChartPrepared(BookingError):
    code = "chart_prepared"
    default_message = _(
        "The chart of this trip is prepared: only berths free now can be "
        "booked, and not every passenger would get one; nothing was booked "
        "or charged."
    )


class Busy(BookingError):
    """A lock was not granted within the bounded wait: retrying shortly is safe."""

    code = "busy"
    status_code = 503
    default_message = _("Many people are booking this trip right now; retry in a moment.")


class CancellationError(DomainError):
    code = "cancellation_refused"
    status_code = 409
    default_message = _("This booking cannot be cancelled.")


class InvalidCancellation(CancellationError):
    """The request names passengers that are not this PNR's, or none."""

    code = "invalid"
    status_code = 400
    default_message = _("The cancellation request is not valid.")


class AlreadyCancelled(CancellationError):
    code = "already_cancelled"
    default_message = _("These passengers are already cancelled.")


class CancellationNotAllowed(CancellationError):
    code = "cancellation_not_allowed"


class VehicleSwapRefused(BookingError):
    code = "vehicle_swap_refused"
    default_message = _("The trip's vehicle cannot be swapped.")


class ChartingRefused(BookingError):
    """The trip is not one a chart can be prepared for (departed, arrived, cancelled)."""

    code = "charting_refused"
    default_message = _("The chart of this trip cannot be prepared.")


class InvalidScan(DomainError):
    """The scan names something that cannot be (a station the trip does not call at):
    refused before anything is recorded."""

    code = "invalid"
    status_code = 400
    default_message = _("The scan is not valid.")


class NoTicket(DomainError):
    """The passenger holds no seat (waitlisted, cancelled), so has no ticket."""

    code = "no_ticket"
    status_code = 409
    default_message = _("This passenger has no ticket.")


class PosRefused(DomainError):
    """A point-of-sale request that this agent or device may not make."""

    code = "pos_refused"
    status_code = 403
    default_message = _("This sale is not yours to make.")
