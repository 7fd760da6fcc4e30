"""The route's geometry and the matching of fixes onto it: pure, no database."""

import math
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracking.fixes import Fix
from tracking.progress import (
    RouteGeometry,
    StopPoint,
    distance_m,
    progress_advance,
    route_geometry,
)

T0 = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
# One degree of latitude, in metres, on the sphere progress uses.
DEGREE_M = math.radians(1) * 6_371_008.8


def stop(sequence, lat, lon, km=0.0, arrival=None, departure=None):
    return StopPoint(
        sequence=sequence,
        station_id=sequence,
        code=f"S{sequence}",
        name=f"Stop {sequence}",
        lat=lat,
        lon=lon,
        distance_m=km * 1000,
        arrival_offset_s=arrival,
        departure_offset_s=departure,
    )


def north_line(count=4, step=0.09):
    """`count` stops due north of (-2.0, 30.0), `step` degrees apart, 10 minutes' run and 2
    minutes' stop each."""
    return tuple(
        stop(
            i + 1,
            -2.0 + step * i,
            30.0,
            km=step * DEGREE_M * i / 1000,
            arrival=None if i == 0 else 720 * i - 120,
            departure=None if i == count - 1 else 720 * i,
        )
        for i in range(count)
    )


def fix_at(geometry, metres, seconds, *, east_m=0.0):
    lat, lon = geometry.point_at(metres)
    lon += east_m / (DEGREE_M * math.cos(math.radians(lat)))
    return Fix(trip_id=1, lat=lat, lon=lon, recorded_at=T0 + timedelta(seconds=seconds))


def test_geometry_measures_the_line_through_its_stops():
    geometry = RouteGeometry.from_stops(north_line())

    assert [round(m, 1) for m in geometry.stop_m] == [0.0, 10007.6, 20015.1, 30022.7]
    assert round(geometry.length_m, 1) == 30022.7
    assert round(distance_m(-2.0, 30.0, -1.91, 30.0), 1) == 10007.6


def test_a_stop_without_coordinates_is_placed_by_its_distance_between_its_neighbours():
    stops = (
        stop(1, -2.0, 30.0, km=0),
        stop(2, None, None, km=25),
        stop(3, -1.9, 30.0, km=100),
    )

    geometry = RouteGeometry.from_stops(stops)

    assert geometry.points[1] == pytest.approx((-1.975, 30.0))
    assert round(geometry.stop_m[1], 1) == round(0.025 * DEGREE_M, 1)


def test_a_route_with_fewer_than_two_located_stops_has_no_usable_geometry():
    stops = (stop(1, -2.0, 30.0), stop(2, None, None, km=5))

    assert not RouteGeometry.from_stops(stops).usable


def test_projection_finds_the_nearest_point_of_the_line_and_its_offset():
    geometry = RouteGeometry.from_stops(north_line())
    fix = fix_at(geometry, 4000.0, 0, east_m=30.0)

    found = geometry.project(fix.lat, fix.lon)

    assert round(found.progress_m, 1) == 4000.0
    assert round(found.offset_m, 1) == 30.0


def test_on_an_out_and_back_route_the_window_keeps_the_return_leg_on_the_return_leg():
    # Out north 10 km and back on the same road: the same place is 2 km and 18 km along.
    stops = (stop(1, -2.0, 30.0), stop(2, -1.91, 30.0, km=10), stop(3, -2.0, 30.0, km=20))
    geometry = RouteGeometry.from_stops(stops)
    lat, lon = geometry.point_at(2000.0)

    anywhere = geometry.project(lat, lon)
    on_the_way_back = geometry.project(lat, lon, low_m=15_000.0, high_m=19_000.0)

    assert round(anywhere.progress_m) == 2000
    assert round(on_the_way_back.progress_m) == round(geometry.length_m - 2000.0)


def test_jitter_backwards_never_moves_progress_back():
    stops = north_line()
    trip = SimpleNamespace(stops=stops, departure_at=T0, vehicle_kind="bus")
    geometry = route_geometry(stops)
    status = None
    seen = []
    for seconds, metres in [(0, 1000.0), (10, 1150.0), (20, 1120.0), (30, 1300.0), (40, 1290.0)]:
        status = progress_advance(
            trip=trip, fix=fix_at(geometry, metres, seconds), previous=status, now=T0
        )
        seen.append(status["progress_m"])

    assert seen == [1000.0, 1150.0, 1150.0, 1300.0, 1300.0]


def test_a_persistent_move_back_beyond_the_tolerance_is_believed():
    stops = north_line()
    trip = SimpleNamespace(stops=stops, departure_at=T0, vehicle_kind="bus")
    geometry = route_geometry(stops)
    status = progress_advance(trip=trip, fix=fix_at(geometry, 5000.0, 0), previous=None, now=T0)
    seen = []
    for seconds in (30, 60, 90):
        status = progress_advance(
            trip=trip, fix=fix_at(geometry, 4300.0, seconds), previous=status, now=T0
        )
        seen.append(status["progress_m"])

    assert seen == [5000.0, 5000.0, 4300.0]


def test_a_jump_ahead_after_a_gps_gap_is_accepted_when_the_speed_is_plausible():
    stops = north_line()
    trip = SimpleNamespace(stops=stops, departure_at=T0, vehicle_kind="bus")
    geometry = route_geometry(stops)
    status = progress_advance(trip=trip, fix=fix_at(geometry, 1000.0, 0), previous=None, now=T0)

    # Five minutes without a fix, 6 km further: 72 km/h.
    after_gap = progress_advance(
        trip=trip, fix=fix_at(geometry, 7000.0, 300), previous=status, now=T0
    )
    # Ten seconds later, 8 km further: beyond any bus; matched no further than it could go.
    impossible = progress_advance(
        trip=trip, fix=fix_at(geometry, 15000.0, 310), previous=after_gap, now=T0
    )

    assert after_gap["progress_m"] == 7000.0
    assert impossible["progress_m"] == 7000.0
    assert impossible["off_route"] is True


def test_a_fix_far_from_the_route_does_not_move_progress():
    stops = north_line()
    trip = SimpleNamespace(stops=stops, departure_at=T0, vehicle_kind="bus")
    geometry = route_geometry(stops)
    status = progress_advance(trip=trip, fix=fix_at(geometry, 1000.0, 0), previous=None, now=T0)

    away = progress_advance(
        trip=trip, fix=fix_at(geometry, 1500.0, 30, east_m=5000.0), previous=status, now=T0
    )

    assert away["progress_m"] == 1000.0
    assert away["off_route"] is True


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.floats(min_value=0.0, max_value=300.0),  # driven since the last fix
            st.floats(min_value=-40.0, max_value=40.0),  # GPS error along the road
            st.floats(min_value=-40.0, max_value=40.0),  # and across it
            st.integers(min_value=1, max_value=30),  # seconds to the next fix
        ),
        min_size=1,
        max_size=60,
    )
)
def test_progress_is_monotonic_for_any_jittered_trail(steps):
    stops = north_line()
    trip = SimpleNamespace(stops=stops, departure_at=T0, vehicle_kind="bus")
    geometry = route_geometry(stops)
    status, metres, seconds = None, 500.0, 0
    progress, events = [], []
    for driven, along, across, gap in steps:
        metres = min(metres + driven, geometry.length_m)
        seconds += gap
        status = progress_advance(
            trip=trip,
            fix=fix_at(geometry, metres + along, seconds, east_m=across),
            previous=status,
            now=T0 + timedelta(seconds=seconds),
        )
        progress.append(status["progress_m"])
        events.extend(status["events"])

    assert progress == sorted(progress)
    for kind in ("arrived", "departed", "skipped"):
        sequences = [e["sequence"] for e in events if e["kind"] == kind]
        assert len(sequences) == len(set(sequences))
    settled = [e["sequence"] for e in events if e["kind"] in ("departed", "skipped")]
    assert settled == sorted(settled)
