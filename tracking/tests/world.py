"""A trip to track and the people around it, for tracking's tests."""

from dataclasses import dataclass
from datetime import timedelta

from rest_framework_simplejwt.tokens import AccessToken

from booking.lifecycle.services.cancellation import booking_cancel
from booking.models import Passenger, PassengerStatus
from booking.sales.services.create import booking_create
from booking.tests.factories import adult, funded_user, make_trip
from fleet.models import Station, Trip, TripStatus
from fleet.tests.factories import staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

# The route's stops lie on the parallel 20° N, 0.9° of longitude (about 94 km) apart.
LAT, LON0, LON_STEP = 20.0, 78.0, 0.9


def token(user) -> str:
    return str(AccessToken.for_user(user))


def ws_path(trip_id: int, user=None) -> str:
    query = f"?token={token(user)}" if user else ""
    return f"/ws/trips/{trip_id}/positions/{query}"


def tracked_trip(*, code_prefix: str = "ST", status: str = TripStatus.BOARDING) -> Trip:
    """A rail trip of four stops, boarding, with one assigned driver (`trip.driver`)."""
    trip = make_trip(code_prefix=code_prefix)
    for stop in trip.route.stops.select_related("station"):
        Station.objects.filter(pk=stop.station_id).update(
            latitude=LAT, longitude=LON0 + LON_STEP * (stop.sequence - 1)
        )
    Trip.objects.filter(pk=trip.pk).update(status=status)
    trip.refresh_from_db()
    trip.driver = UserFactory(role=Role.DRIVER)
    trip.drivers.add(trip.driver)
    return trip


def holder(trip: Trip, status: str = PassengerStatus.CONFIRMED, origin: str = "ST1"):
    """A user holding a PNR of `trip` whose passenger is then in `status`."""
    user = funded_user(role=Role.PASSENGER)
    last = trip.route.stops.order_by("-sequence").values_list("station__code", flat=True)[0]
    pnr = booking_create(
        user=user,
        trip_id=trip.pk,
        origin_code=origin,
        destination_code=last,
        class_code="SL",
        quota="GENERAL",
        passengers=[adult()],
        now=trip.departure_at - timedelta(days=2),
    )
    if status == PassengerStatus.CANCELLED:
        booking_cancel(pnr=pnr, by=user, now=trip.departure_at - timedelta(days=1))
    else:
        Passenger.objects.filter(pnr=pnr).update(status=status)
    return user


@dataclass
class World:
    trip: Trip
    driver: object
    cnf: object  # holds a confirmed passenger
    rac: object  # holds an RAC passenger
    cancelled: object  # held a passenger, cancelled
    waitlisted: object
    staff: object  # of the trip's operator
    other_trip: Trip
    other_driver: object  # drives other_trip
    other_passenger: object  # holds a confirmed passenger of other_trip
    stranger: object  # a signed-in passenger with nothing to do with either


def world() -> World:
    trip = tracked_trip()
    other = tracked_trip(code_prefix="OT")
    return World(
        trip=trip,
        driver=trip.driver,
        cnf=holder(trip),
        rac=holder(trip, PassengerStatus.RAC),
        cancelled=holder(trip, PassengerStatus.CANCELLED),
        waitlisted=holder(trip, PassengerStatus.WAITLISTED),
        staff=staff_user(trip.route.company),
        other_trip=other,
        other_driver=other.driver,
        other_passenger=holder(other, origin="OT1"),
        stranger=UserFactory(role=Role.PASSENGER),
    )
