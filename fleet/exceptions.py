"""Refusals of the fleet domain, shown to users in the API's one error shape and in admin."""

from django.utils.translation import gettext_lazy as _

from ttms.exceptions import DomainError


class FleetError(DomainError):
    code = "fleet_error"


class TripLocked(FleetError):
    """The trip has departed (or arrived, or was cancelled): it is history and stays as is."""

    code = "trip_locked"
    status_code = 409
    default_message = _("This trip has departed; it can no longer be changed.")


class InvalidStatusTransition(FleetError):
    code = "invalid_status_transition"
    status_code = 409
    default_message = _("The trip cannot move to that status from its current one.")


class RouteInService(FleetError):
    """A route's stops or times cannot change while one of its trips is on the way."""

    code = "route_in_service"
    status_code = 409
    default_message = _("A trip of this route is on its way; change its stops after it arrives.")


class VehicleInService(FleetError):
    code = "vehicle_in_service"
    status_code = 409
    default_message = _("This vehicle is on a trip; change its seats after the trip arrives.")


class Busy(FleetError):
    """A row lock was not granted in time: another change of the same trip is running."""

    code = "busy"
    status_code = 503
    default_message = _("Someone else is changing this trip right now; try again in a moment.")


class ApplicationDecided(FleetError):
    """An operator application is approved or declined once."""

    code = "application_decided"
    status_code = 409
    default_message = _("This application has already been decided.")


class AssignmentConflict(FleetError):
    """A vehicle or a driver would be on two trips at once (their times, plus the
    turnaround, overlap): the message names the other trip."""

    code = "assignment_conflict"
    status_code = 409
    default_message = _("This vehicle or driver is already on another trip at that time.")


class InvitationAccepted(FleetError):
    """The staff member has chosen a password already: there is nothing to accept."""

    code = "invitation_accepted"
    status_code = 409
    default_message = _("This person has already chosen a password; they sign in as usual.")
