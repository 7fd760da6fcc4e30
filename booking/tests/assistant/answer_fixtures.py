"""Fixtures of the assistant's answer tests (imported by the modules that use them): a
Rwandan bus with departures through the day, and a fake language model in the settings."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from booking.tests.buses import KIGALI, make_rwanda_bus
from fleet.models import Trip

from .fake_llm import FakeLLM, serve

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


@pytest.fixture
def fake_llm(settings):
    """A fake OpenAI-compatible server (`FakeLLM`: set `.reply`, read `.requests`), and the
    settings pointing at it with a one-second timeout."""
    holder: list = [None]
    server, thread = serve(holder)
    host, port = server.server_address[:2]
    holder[0] = fake = FakeLLM(url=f"http://{host}:{port}/v1")
    settings.TTMS_LLM_URL = fake.url
    settings.TTMS_LLM_MODEL = "test-model"
    settings.TTMS_LLM_API_KEY = "test-key"
    settings.TTMS_LLM_TIMEOUT = 1
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
