"""Who may publish a trip's positions and who may watch them.

Publishers: a driver assigned to the trip (`Trip.drivers`); fixes are taken while the trip
boards or runs. Watchers: a passenger holding a confirmed or RAC passenger on one of the
trip's PNRs, staff of the trip's operator, platform admins, and anyone at all (even signed
out) when the operator made its positions public (`Company.positions_public`).
"""

from dataclasses import dataclass

from booking.models import Passenger, PassengerStatus
from fleet.models import CompanyMembership, Trip
from ttms.accounts.models import Role

PUBLISH, WATCH = "publish", "watch"
# Why a connection or request is refused.
NO_TRIP, SIGN_IN, FORBIDDEN = "no_trip", "sign_in", "forbidden"


@dataclass(frozen=True)
class TripAccess:
    """What `user` may do on a trip: `role` is PUBLISH, WATCH or None, with `refusal`
    (NO_TRIP, SIGN_IN, FORBIDDEN) when None."""

    trip_id: int
    role: str | None
    refusal: str | None = None
    company_id: int | None = None


def trip_access(user, trip_id: int) -> TripAccess:
    """One read of the trip (with its operator), then at most two small existence checks."""
    trip = (
        Trip.objects.filter(pk=trip_id)
        .values("pk", "route__company_id", "route__company__positions_public")
        .first()
    )
    if trip is None:
        return TripAccess(trip_id, None, NO_TRIP)
    company_id = trip["route__company_id"]
    signed_in = user is not None and user.is_authenticated

    def grant(role):
        return TripAccess(trip_id, role, None, company_id)

    assigned = Trip.drivers.through.objects.filter(
        trip_id=trip_id, user_id=getattr(user, "pk", None)
    )
    if signed_in and assigned.exists():
        return grant(PUBLISH)
    if trip["route__company__positions_public"]:
        return grant(WATCH)
    if not signed_in:
        return TripAccess(trip_id, None, SIGN_IN, company_id)
    if user.role == Role.PLATFORM_ADMIN or user.is_superuser:
        return grant(WATCH)
    if CompanyMembership.objects.filter(user_id=user.pk, company_id=company_id).exists():
        return grant(WATCH)
    holds = Passenger.objects.filter(
        pnr__trip_id=trip_id,
        pnr__user_id=user.pk,
        status__in=[PassengerStatus.CONFIRMED, PassengerStatus.RAC],
    ).exists()
    if holds:
        return grant(WATCH)
    return TripAccess(trip_id, None, FORBIDDEN, company_id)
