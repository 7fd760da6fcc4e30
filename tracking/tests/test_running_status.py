"""A trip's running status: the stops table with scheduled, expected and actual times."""

import pytest

from tracking.selectors import running_status_get

from .test_stop_events_trail import T0, at, geofence, run  # noqa: F401 (a fixture)
from .test_stop_events_trail import trip as trip

pytestmark = pytest.mark.django_db


def table(running):
    return [
        (
            row.sequence,
            row.scheduled_arrival,
            row.scheduled_departure,
            row.expected_arrival,
            row.actual_arrival,
            row.actual_departure,
            row.delay_seconds,
            row.state,
        )
        for row in running.stops
    ]


def test_before_any_fix_the_running_status_is_the_timetable(trip):
    running = running_status_get(trip_id=trip.pk, now=at(-30))

    assert running.fix is None
    assert running.fix_age_seconds is None
    assert running.delay_seconds is None
    assert table(running) == [
        (1, None, T0, None, None, None, None, "upcoming"),
        (2, at(10), at(12), None, None, None, None, "upcoming"),
        (3, at(22), at(24), None, None, None, None, "upcoming"),
        (4, at(34), None, None, None, None, None, "upcoming"),
    ]


def test_ten_minutes_late_at_the_second_stop_the_running_status_shows_actual_and_expected(trip):
    run(trip, until=1260)  # at the second stop since 08:20, due out at 08:12; 08:21 now

    running = running_status_get(trip_id=trip.pk, now=at(21, 30))

    assert running.fix.recorded_at == at(21)
    assert running.fix_age_seconds == 30
    assert running.delay_seconds == 540
    assert running.last_stop_sequence == 2
    assert running.next_stop_sequence == 3
    assert table(running) == [
        (1, None, T0, None, at(-5), at(10, 10), 610, "departed"),
        (2, at(10), at(12), None, at(20), None, 600, "arrived"),
        (3, at(22), at(24), at(31), None, None, 540, "upcoming"),
        (4, at(34), None, at(43), None, None, 540, "upcoming"),
    ]


def test_after_the_last_arrival_every_stop_has_its_actual_times_or_is_skipped(trip):
    run(trip)

    running = running_status_get(trip_id=trip.pk, now=at(43))

    assert table(running) == [
        (1, None, T0, None, at(-5), at(10, 10), 610, "departed"),
        (2, at(10), at(12), None, at(20), at(22, 10), 600, "departed"),
        (3, at(22), at(24), None, None, None, None, "skipped"),
        (4, at(34), None, None, at(42), None, 480, "arrived"),
    ]
    assert running.next_stop_sequence is None
    assert running.fix_age_seconds == 0
