"""Trips move by the clock: departed once their departure time has passed, arrived
TTMS_ARRIVED_GRACE_MINUTES after their arrival time, through the operator's status path
(`trip_status_change`), each step a TripEvent "by the clock"; cancelled trips and trips
tracking has moved already are left as they are; a second run, or two at once, change
nothing more."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fleet.models import Trip, TripEvent, TripStatus
from ttms.audit.models import AuditEntry
from ttms.celery import BEAT_SCHEDULE
from ttms.testing import run_together

from ..lifecycle.services import trips as trip_services
from ..lifecycle.services.trips import ClockRun, trips_advance_by_clock
from ..tasks import trips_advance_by_clock_task
from .factories import make_trip

pytestmark = pytest.mark.django_db
S = TripStatus
IST = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def trip():
    """Leaves 07 Jan 2030 08:00 IST, arrives 11:15 IST (4 stops)."""
    return make_trip()


def _steps(trip) -> list[tuple]:
    return list(
        TripEvent.objects.filter(trip=trip)
        .order_by("pk")
        .values_list("from_status", "to_status", "reason", "by")
    )


def _set(trip, status) -> None:
    Trip.objects.filter(pk=trip.pk).update(status=status)


def test_a_scheduled_trip_departs_by_the_clock_once_its_departure_has_passed(trip):
    run = trips_advance_by_clock(now=trip.departure_at + timedelta(seconds=1))

    assert run == ClockRun(departed=1, arrived=0, skipped=0)
    assert Trip.objects.get(pk=trip.pk).status == S.DEPARTED
    assert _steps(trip) == [
        (S.SCHEDULED, S.BOARDING, "by the clock", None),
        (S.BOARDING, S.DEPARTED, "by the clock", None),
    ]
    assert list(
        AuditEntry.objects.filter(action="trip.status_changed")
        .order_by("pk")
        .values_list("actor", "data")
    ) == [
        (None, {"from": S.SCHEDULED, "to": S.BOARDING, "reason": "by the clock"}),
        (None, {"from": S.BOARDING, "to": S.DEPARTED, "reason": "by the clock"}),
    ]


def test_nothing_moves_before_the_departure_time(trip):
    run = trips_advance_by_clock(now=trip.departure_at - timedelta(seconds=1))

    assert run == ClockRun()
    assert Trip.objects.get(pk=trip.pk).status == S.SCHEDULED
    assert _steps(trip) == []


def test_a_boarding_trip_departs_in_one_step(trip):
    _set(trip, S.BOARDING)

    trips_advance_by_clock(now=trip.departure_at)

    assert _steps(trip) == [(S.BOARDING, S.DEPARTED, "by the clock", None)]


def test_a_departed_trip_arrives_only_once_the_grace_after_its_arrival_has_passed(trip, settings):
    settings.TTMS_ARRIVED_GRACE_MINUTES = 30
    _set(trip, S.DEPARTED)
    grace_ends = trip.arrival_at + timedelta(minutes=30)

    early = trips_advance_by_clock(now=grace_ends - timedelta(seconds=1))
    status_before = Trip.objects.get(pk=trip.pk).status
    on_time = trips_advance_by_clock(now=grace_ends)

    assert (early, status_before) == (ClockRun(), S.DEPARTED)
    assert on_time == ClockRun(arrived=1)
    assert _steps(trip) == [(S.DEPARTED, S.ARRIVED, "by the clock", None)]


def test_a_trip_long_past_goes_all_the_way_to_arrived(trip):
    run = trips_advance_by_clock(now=trip.arrival_at + timedelta(days=1))

    assert run == ClockRun(departed=1, arrived=1)
    assert [to for _, to, _, _ in _steps(trip)] == [S.BOARDING, S.DEPARTED, S.ARRIVED]


@pytest.mark.parametrize("status", [S.CANCELLED, S.ARRIVED])
def test_cancelled_and_arrived_trips_are_left_alone(trip, status):
    _set(trip, status)

    run = trips_advance_by_clock(now=trip.arrival_at + timedelta(days=1))

    assert run == ClockRun()
    assert Trip.objects.get(pk=trip.pk).status == status
    assert _steps(trip) == []


def test_a_trip_tracking_has_moved_ahead_is_only_moved_further_never_back(trip):
    """Tracking marked it departed early (the geofence): the clock does not board it again
    at the departure time, and marks it arrived after the grace."""
    _set(trip, S.DEPARTED)

    at_departure = trips_advance_by_clock(now=trip.departure_at + timedelta(minutes=1))
    long_after = trips_advance_by_clock(now=trip.arrival_at + timedelta(hours=2))

    assert (at_departure, long_after) == (ClockRun(), ClockRun(arrived=1))
    assert _steps(trip) == [(S.DEPARTED, S.ARRIVED, "by the clock", None)]


def test_a_second_run_changes_nothing(trip):
    now = trip.departure_at + timedelta(minutes=5)
    trips_advance_by_clock(now=now)
    events = TripEvent.objects.count()

    again = trips_advance_by_clock(now=now)

    assert again == ClockRun()
    assert TripEvent.objects.count() == events == 2


def test_the_clock_goes_through_the_operators_status_path(trip, monkeypatch):
    """The admin's and the API's path (`trip_status_change`), so whatever a status change
    does to a trip with bookings happens when the clock makes it."""
    calls = []
    real = trip_services.trip_status_change

    def spy(**kwargs):
        calls.append((kwargs["trip"].pk, kwargs["to_status"], kwargs["by"], kwargs["reason"]))
        return real(**kwargs)

    monkeypatch.setattr(trip_services, "trip_status_change", spy)

    trips_advance_by_clock(now=trip.departure_at)

    assert calls == [
        (trip.pk, S.BOARDING, None, "by the clock"),
        (trip.pk, S.DEPARTED, None, "by the clock"),
    ]


def test_one_run_moves_at_most_its_batch_oldest_first(trip):
    later = make_trip(code_prefix="LT", departure=trip.departure_at + timedelta(hours=1))

    first = trips_advance_by_clock(now=later.departure_at, limit=1)

    assert first == ClockRun(departed=1)
    assert Trip.objects.get(pk=trip.pk).status == S.DEPARTED
    assert Trip.objects.get(pk=later.pk).status == S.SCHEDULED


def test_the_clock_runs_every_minute_from_beat(trip, time_machine):
    time_machine.move_to(trip.departure_at + timedelta(minutes=1), tick=False)

    answer = trips_advance_by_clock_task()

    assert BEAT_SCHEDULE["booking-trips-by-the-clock"]["task"] == (
        "booking.tasks.trips_advance_by_clock_task"
    )
    assert answer == "departed 1, arrived 0, left for the next run 0"
    assert Trip.objects.get(pk=trip.pk).status == S.DEPARTED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_move_each_trip_once():
    trips = [
        make_trip(code_prefix=f"C{i}", departure=datetime(2030, 1, 7, 6 + i, tzinfo=IST))
        for i in range(6)
    ]
    now = trips[-1].arrival_at + timedelta(hours=1)

    runs = run_together(2, lambda i: trips_advance_by_clock(now=now))

    assert sum(r.departed for r in runs) == 6
    assert sum(r.arrived for r in runs) == 6
    for trip in trips:
        assert [to for _, to, _, _ in _steps(trip)] == [S.BOARDING, S.DEPARTED, S.ARRIVED]
