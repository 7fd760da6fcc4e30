"""The trip the operator cancels: a 40-seat bus, and the PNRs sold on it."""

from datetime import timedelta

import pytest

from fleet.models import Company
from fleet.tests.factories import CompanyFactory

from ...sales.services.create import booking_create
from ..factories import adult, funded_user, make_trip
from .support import FUNDS


@pytest.fixture
def bus_trip(db):
    """A bus of 41 STANDARD seats (coach B1) on ST1-ST2-ST3, 100 km a leg, leaving 07 Jan
    2030 08:00 IST, of a bus company (every seat GENERAL)."""
    return make_trip(
        company=CompanyFactory(kind=Company.Kind.BUS), coaches=[("B1", "STANDARD")], stops=3
    )


@pytest.fixture
def sold(bus_trip):
    """Two holders: Asha with a PNR of two and a PNR of one (ST2→ST3), Ravi with one."""
    asha, ravi = funded_user(FUNDS), funded_user(FUNDS)
    now = bus_trip.departure_at - timedelta(days=2)

    def book(user, passengers, origin="ST1"):
        return booking_create(
            user=user,
            trip_id=bus_trip.pk,
            origin_code=origin,
            destination_code="ST3",
            class_code="STANDARD",
            quota="GENERAL",
            passengers=passengers,
            now=now,
        )

    return {
        "asha": asha,
        "ravi": ravi,
        "pnrs": [
            book(asha, [adult("Asha", gender="F"), adult("Kiran")]),
            book(ravi, [adult("Ravi")]),
            book(asha, [adult("Asha", gender="F")], origin="ST2"),
        ],
    }
