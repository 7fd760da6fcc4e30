"""The demo's operators (`manage.py load_demo`): each in its own currency with its rules,
fares that make sense in that currency, every bus trip with a bus and a driver that are on no
other trip at the same time, and a second load that changes nothing."""

from datetime import datetime, timedelta
from io import StringIO
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from fleet.demo_data import TURNAROUND_MINUTES
from fleet.models import Company, Trip, TripEvent

from ..models import FareRule, StageFare

pytestmark = pytest.mark.django_db

START = datetime(2030, 1, 7, 0, 5, tzinfo=ZoneInfo("UTC"))


def _load_demo() -> str:
    out = StringIO()
    with time_machine.travel(START, tick=False):
        call_command("load_demo", "--force", stdout=out)
    return out.getvalue()


def _clashes() -> list[tuple]:
    """Pairs of bus trips sharing a bus or a driver less than the turnaround apart."""
    gap = timedelta(minutes=TURNAROUND_MINUTES)
    uses: dict[tuple, list[Trip]] = {}
    for trip in Trip.objects.filter(route__company__kind=Company.Kind.BUS).prefetch_related(
        "drivers"
    ):
        uses.setdefault(("bus", trip.vehicle_id), []).append(trip)
        for driver in trip.drivers.all():
            uses.setdefault(("driver", driver.pk), []).append(trip)
    clashes = []
    for key, trips in uses.items():
        trips.sort(key=lambda t: t.departure_at)
        for a, b in pairwise(trips):
            if b.departure_at < a.arrival_at + gap:
                clashes.append((key, a.pk, b.pk))
    return clashes


def _fare(client, origin: str, destination: str, number: str) -> tuple[str, dict]:
    answer = client.get(
        f"/api/v1/trips/search/?from={origin}&to={destination}&date=2030-01-08"
    ).json()
    trip = next(t for t in answer["results"] if t["number"] == number)
    return trip["currency"], {a["class"]: a["fares"]["GENERAL"] for a in trip["availability"]}


def test_the_demo_operators_sell_in_their_currency_with_a_rota_nobody_is_on_twice(settings, client):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    _load_demo()
    counts = (Trip.objects.count(), TripEvent.objects.count(), FareRule.objects.count())
    again = _load_demo()

    companies = {c.slug: c for c in Company.objects.all()}
    assert {slug: c.currency for slug, c in companies.items()} == {
        "indian-railways": "INR",
        "rwanda-intercity": "RWF",
        "virunga-express": "RWF",
        "nairobi-metro-shuttle": "KES",
    }
    assert companies["rwanda-intercity"].rules.quotas == ("GENERAL", "LADIES")
    assert companies["virunga-express"].rules.quotas == ("GENERAL",)
    assert companies["virunga-express"].rules.swap_upgrades is True
    assert companies["nairobi-metro-shuttle"].rules.max_passengers == 4
    bus_trips = Trip.objects.filter(route__company__kind=Company.Kind.BUS)
    assert bus_trips.count() == 14 * (20 + 4 + 8 + 4 + 28)
    assert not bus_trips.filter(drivers__isnull=True).exists()
    assert _clashes() == []
    assert _fare(client, "RW-NYB", "RW-MUS", "101") == ("RWF", {"STANDARD": 2_500})
    assert _fare(client, "RW-NYB", "RW-RUB", "103") == ("RWF", {"VIP": 5_000})
    assert _fare(client, "RW-NYB", "RW-RSZ", "401") == ("RWF", {"STANDARD": 7_488})
    assert _fare(client, "KE-ODN", "KE-KGM", "23") == ("KES", {"STANDARD": 5_000})
    assert _fare(client, "KE-ODN", "KE-THK", "237") == ("KES", {"STANDARD": 21_000})
    assert StageFare.objects.count() == 6 * 6
    assert (Trip.objects.count(), TripEvent.objects.count(), FareRule.objects.count()) == counts
    assert "bus trips given a bus and a driver: 0" in again
    assert "fare rules: 0 created" in again
