"""The audit trail tests' trip (a bus with its company admin), with the tasks a service enqueues
run in this process."""

import pytest

from booking.tests.factories import make_trip
from fleet.models import Company, Trip
from fleet.tests.factories import CompanyFactory, staff_user


@pytest.fixture
def tasks_in_process(monkeypatch):
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def bus_trip(db):
    """A bus of 41 STANDARD seats on ST1-ST2-ST3 (100 km a leg), with its company admin."""
    made = make_trip(
        company=CompanyFactory(kind=Company.Kind.BUS), coaches=[("B1", "STANDARD")], stops=3
    )
    trip = Trip.objects.get(pk=made.pk)  # its times read back in UTC, as entries show
    trip.admin = staff_user(trip.route.company, email="admin@operator.test")
    return trip
