"""The simulator's motion (pure): where a vehicle is at a given time on its timetable, with
its delays, and GPS noise that stays within its radius."""

import random
from collections import namedtuple
from datetime import UTC, datetime, timedelta

import pytest

from tracking.simulator import (
    VehiclePlan,
    Waypoint,
    distance_m,
    noise_apply,
    plan_draw,
    speedup_cap,
    waypoints_from_stops,
)

DEPARTURE = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)
# Three stops due north along a meridian, 0.1° (11,119.5 m) apart: leave A at 0, call at B
# from 600 s to 720 s, reach C at 1,320 s.
A = Waypoint(sequence=1, lat=0.0, lon=30.0, arrival_s=0, departure_s=0)
B = Waypoint(sequence=2, lat=0.1, lon=30.0, arrival_s=600, departure_s=720)
C = Waypoint(sequence=3, lat=0.2, lon=30.0, arrival_s=1320, departure_s=1320)


def at(seconds: float) -> datetime:
    return DEPARTURE + timedelta(seconds=seconds)


def test_an_on_time_vehicle_is_where_its_timetable_puts_it():
    plan = VehiclePlan(waypoints=(A, B, C), departure_at=DEPARTURE)

    before = plan.state_at(at(-60))
    halfway = plan.state_at(at(300))
    calling = plan.state_at(at(650))
    done = plan.state_at(at(5000))

    assert (before.lat, before.lon, before.at_stop, before.speed_kmh) == (0.0, 30.0, 1, 0.0)
    assert halfway.lat == pytest.approx(0.05)
    assert halfway.lon == pytest.approx(30.0)
    assert halfway.at_stop is None
    assert halfway.heading == pytest.approx(0.0)
    assert halfway.speed_kmh == pytest.approx(11_119.49 / 600 * 3.6, abs=0.01)
    assert (calling.lat, calling.at_stop, calling.speed_kmh) == (0.1, 2, 0.0)
    assert (done.lat, done.at_stop, done.finished) == (0.2, 3, True)
    assert plan.finished_at == at(1320)


def test_delays_hold_the_departure_and_slow_every_leg_by_one_pace():
    # 2 min late away, 7 min late at the end: the 1,200 s of running take 1,500 s.
    plan = VehiclePlan(
        waypoints=(A, B, C), departure_at=DEPARTURE, start_delay_s=120, end_delay_s=420
    )

    assert plan.pace == 1.25
    assert plan.state_at(at(119)).at_stop == 1
    assert plan.state_at(at(120 + 375)).lat == pytest.approx(0.05)
    assert plan.arrival_at(2) == at(870)  # 120 + 600 × 1.25
    # The two-minute dwell at B is kept: it leaves at 990, not at its scheduled 720.
    assert plan.state_at(at(989)).at_stop == 2
    assert plan.state_at(at(991)).at_stop is None
    assert plan.arrival_at(3) == at(1740)  # 1,320 scheduled + 420
    assert plan.finished_at == at(1740)


def test_a_late_vehicle_never_leaves_a_stop_before_its_scheduled_departure():
    long_dwell = Waypoint(sequence=2, lat=0.1, lon=30.0, arrival_s=600, departure_s=1200)
    c = Waypoint(sequence=3, lat=0.2, lon=30.0, arrival_s=1800, departure_s=1800)
    plan = VehiclePlan(
        waypoints=(A, long_dwell, c), departure_at=DEPARTURE, start_delay_s=60, end_delay_s=60
    )

    assert plan.arrival_at(2) == at(660)
    assert plan.state_at(at(1199)).at_stop == 2
    assert plan.arrival_at(3) == at(1860)


def test_drawn_delays_stay_within_the_maximum_and_repeat_with_the_seed():
    plans = [
        plan_draw(
            waypoints=[A, B, C],
            departure_at=DEPARTURE,
            delay_max_s=600,
            rng=random.Random(seed),
        )
        for seed in range(200)
    ]

    assert all(0 <= p.start_delay_s <= 300 for p in plans)
    assert all(p.start_delay_s <= p.end_delay_s <= 600 for p in plans)
    assert all(at(1320) <= p.finished_at <= at(1920) for p in plans)
    assert len({p.end_delay_s for p in plans}) == 200
    again = plan_draw(
        waypoints=[A, B, C], departure_at=DEPARTURE, delay_max_s=600, rng=random.Random(7)
    )
    assert again == plans[7]


def test_no_delay_allowed_means_on_time():
    plan = plan_draw(
        waypoints=[A, B, C], departure_at=DEPARTURE, delay_max_s=0, rng=random.Random(1)
    )

    assert (plan.start_delay_s, plan.end_delay_s, plan.finished_at) == (0, 0, at(1320))


def test_gps_noise_stays_within_its_radius():
    rng = random.Random(3)

    moved = [
        distance_m(12.97, 77.59, *noise_apply(12.97, 77.59, noise_m=15, rng=rng))
        for _ in range(2000)
    ]

    assert max(moved) <= 15.0 + 1e-6
    assert max(moved) > 14.0  # the whole disc is used
    assert sum(moved) / len(moved) == pytest.approx(10.0, abs=0.5)  # 2/3 of the radius
    assert noise_apply(12.97, 77.59, noise_m=0, rng=rng) == (12.97, 77.59)


def test_the_speedup_is_capped_below_the_vehicle_kinds_maximum_speed():
    assert speedup_cap(speedup=5, top_speed_kmh=100, max_speed_kmh=140) == pytest.approx(1.26)
    assert speedup_cap(speedup=1.1, top_speed_kmh=100, max_speed_kmh=140) == 1.1
    assert speedup_cap(speedup=3, top_speed_kmh=180, max_speed_kmh=140) == 1.0


Stop = namedtuple("Stop", "sequence lat lon arrival_offset_s departure_offset_s")


def test_waypoints_take_the_stops_with_coordinates_in_sequence():
    stops = [
        Stop(3, 0.2, 30.0, 1320, None),
        Stop(1, 0.0, 30.0, None, 0),
        Stop(2, None, None, 600, 720),
    ]

    assert waypoints_from_stops(stops) == [
        Waypoint(sequence=1, lat=0.0, lon=30.0, arrival_s=0, departure_s=0),
        Waypoint(sequence=3, lat=0.2, lon=30.0, arrival_s=1320, departure_s=1320),
    ]


def test_a_plan_needs_two_stops_with_coordinates():
    with pytest.raises(ValueError):
        VehiclePlan(waypoints=(A,), departure_at=DEPARTURE)
