"""Two staff assigning the same bus (or driver) to two overlapping trips at the same moment,
for real on PostgreSQL: the vehicle's (or driver's) row lock makes the second see the first,
so exactly one succeeds and the other is refused naming the trip that won."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fleet.exceptions import AssignmentConflict
from fleet.models import Trip
from fleet.services import trip_update
from ttms.accounts.models import Role
from ttms.testing import run_together

from .factories import TripFactory, staff_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KIGALI = ZoneInfo("Africa/Kigali")
ROUNDS = 5


def _runs(route, day: int) -> list[Trip]:
    """The 06:00-09:20 and 08:00-11:20 runs of `route` on January `day`, 2030."""
    return [
        TripFactory(
            route=route,
            departure_at=(leaves := datetime(2030, 1, day, hour, tzinfo=KIGALI)),
            arrival_at=leaves + timedelta(minutes=200),
        )
        for hour in (6, 8)
    ]


def _race(trips: list[Trip], **assignment) -> list[str]:
    def work(i: int) -> str:
        try:
            trip_update(trip=Trip.objects.get(pk=trips[i].pk), **assignment)
        except AssignmentConflict as exc:
            return exc.message
        return "assigned"

    return run_together(2, work)


def test_of_two_overlapping_trips_racing_for_one_bus_exactly_one_gets_it(line_a):
    _, bus, route = line_a
    for day in range(7, 7 + ROUNDS):
        trips = _runs(route, day)

        outcomes = _race(trips, vehicle=bus)

        winner = next(t for t, o in zip(trips, outcomes, strict=True) if o == "assigned")
        refused = [o for o in outcomes if o != "assigned"]
        assert len(refused) == 1
        assert refused[0].startswith("Vehicle A BUS 1 is already on trip A1 leaving ")
        leaves = winner.departure_at.astimezone(KIGALI).strftime("%d %b %Y %H:%M")
        assert f"leaving {leaves} CAT" in refused[0]
        assert [Trip.objects.get(pk=t.pk).vehicle_id for t in trips].count(bus.pk) == 1


def test_of_two_overlapping_trips_racing_for_one_driver_exactly_one_gets_them(line_a, company_a):
    _, _, route = line_a
    driver = staff_user(company_a, Role.DRIVER, full_name="Aline Uwase")
    for day in range(7, 7 + ROUNDS):
        trips = _runs(route, day)

        outcomes = _race(trips, drivers=[driver])

        assert sorted(o.split(" already")[0] for o in outcomes) == [
            "Driver Aline Uwase",
            "assigned",
        ]
        assert sum(Trip.objects.get(pk=t.pk).drivers.count() for t in trips) == 1
