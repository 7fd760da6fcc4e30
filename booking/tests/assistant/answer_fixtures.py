"""Fixtures of the assistant's answer tests (imported by the modules that use them): a
Rwandan bus with departures through the day, and a fake language model in the settings."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from booking.tests.buses import KIGALI, make_rwanda_bus
from fleet.models import Trip

DEPARTURES = (time(8, 0), time(14, 0), time(16, 0))


@pytest.fixture
def travel_day() -> date:
    """The day the buses run: ten days ahead in Kigali (bookable, within the horizon)."""
    return timezone.now().astimezone(KIGALI).date() + timedelta(days=10)


@pytest.fixture
def buses(db, travel_day) -> list[Trip]:
    """Volcano Express's Kigali (KGL) – Musanze (MSZ) – Rubavu (RBV) bus leaving KGL at
    08:00, 14:00 and 16:00 Kigali time on `travel_day`: STANDARD only, RWF 2,500 KGL–MSZ,
    41 seats each."""
    first = make_rwanda_bus(departure=datetime.combine(travel_day, DEPARTURES[0], tzinfo=KIGALI))
    trips = [first]
    for at in DEPARTURES[1:]:
        leaves = datetime.combine(travel_day, at, tzinfo=KIGALI)
        trips.append(
            Trip.objects.create(
                route=first.route,
                service_date=travel_day,
                departure_at=leaves,
                arrival_at=leaves + (first.arrival_at - first.departure_at),
                vehicle=first.vehicle,
            )
        )
    return trips
