from collections import Counter

import pytest
from django.core.exceptions import ValidationError

from fleet.exceptions import VehicleInService
from fleet.layouts import Fixture, LayoutError, build_seats, bus_fixtures
from fleet.models import Coach, Seat, SeatLayout, TripStatus
from fleet.services import coach_build_seats, standard_layout

Kind = SeatLayout.Kind


def _types(seats):
    return dict(Counter(s.berth_type for s in seats))


def test_sleeper_has_72_berths_in_bays_of_eight_with_7_rac_side_lowers():
    seats = build_seats(Kind.SL)

    assert [s.number for s in seats] == [str(n) for n in range(1, 73)]
    assert _types(seats) == {"LB": 18, "MB": 18, "UB": 18, "SL": 9, "SU": 9}
    assert [s.berth_type for s in seats[:8]] == ["LB", "MB", "UB", "LB", "MB", "UB", "SL", "SU"]
    assert [s.number for s in seats if s.is_rac] == ["7", "15", "23", "31", "39", "47", "55"]
    assert (seats[8].row, seats[8].column) == (1, 0)


def test_third_ac_has_the_sleeper_plan_with_4_rac_berths():
    seats = build_seats(Kind.AC3)

    assert _types(seats) == {"LB": 18, "MB": 18, "UB": 18, "SL": 9, "SU": 9}
    assert sum(s.is_rac for s in seats) == 4


@pytest.mark.parametrize(("kind", "bays"), [(Kind.AC2_48, 8), (Kind.AC2_54, 9)])
def test_second_ac_has_bays_of_six_without_middle_berths(kind, bays):
    seats = build_seats(kind)

    assert len(seats) == bays * 6
    assert _types(seats) == {"LB": 2 * bays, "UB": 2 * bays, "SL": bays, "SU": bays}
    assert [s.berth_type for s in seats[:6]] == ["LB", "UB", "LB", "UB", "SL", "SU"]
    assert sum(s.is_rac for s in seats) == 3


def test_first_ac_has_24_berths_odd_lower_even_upper():
    seats = build_seats(Kind.AC1)

    assert len(seats) == 24
    assert all(s.berth_type == ("LB" if int(s.number) % 2 else "UB") for s in seats)
    assert not any(s.is_rac for s in seats)


def test_chair_car_has_78_seats_three_plus_two():
    seats = build_seats(Kind.CC)

    assert len(seats) == 78
    assert [s.berth_type for s in seats[:5]] == ["WINDOW", "MIDDLE", "AISLE", "AISLE", "WINDOW"]
    assert _types(seats) == {"WINDOW": 31, "MIDDLE": 16, "AISLE": 31}


def test_bus_two_plus_two_has_four_seats_a_row_and_a_back_row_of_five():
    seats = build_seats(Kind.BUS_2_2, rows=11)

    assert len(seats) == 45
    assert _types(seats) == {"WINDOW": 22, "AISLE": 20, "MIDDLE": 3}
    assert [(s.number, s.berth_type, s.column) for s in seats[:4]] == [
        ("1", "WINDOW", 0),
        ("2", "AISLE", 1),
        ("3", "AISLE", 3),
        ("4", "WINDOW", 4),
    ]
    assert [(s.number, s.berth_type, s.row, s.column) for s in seats[-5:]] == [
        ("41", "WINDOW", 10, 0),
        ("42", "MIDDLE", 10, 1),
        ("43", "MIDDLE", 10, 2),
        ("44", "MIDDLE", 10, 3),
        ("45", "WINDOW", 10, 4),
    ]
    assert bus_fixtures(Kind.BUS_2_2, rows=11) == [
        Fixture("driver", -1, 0),
        Fixture("door", -1, 4),
    ]


def test_bus_of_fewer_than_five_rows_has_no_back_row():
    seats = build_seats(Kind.BUS_2_2, rows=3)

    assert len(seats) == 12
    assert [s.column for s in seats[-4:]] == [0, 1, 3, 4]


def test_long_bus_has_a_rear_door_where_the_row_keeps_its_left_pair():
    seats = build_seats(Kind.BUS_2_2, rows=12)

    assert len(seats) == 47
    assert [(s.number, s.column) for s in seats if s.row == 6] == [("25", 0), ("26", 1)]
    assert [s.number for s in seats if s.row == 7][:1] == ["27"]
    assert Fixture("door", 6, 4) in bus_fixtures(Kind.BUS_2_2, rows=12)


def test_bus_two_plus_one_has_three_seats_a_row_and_a_back_row_of_four():
    seats = build_seats(Kind.BUS_2_1, rows=10)

    assert len(seats) == 31
    assert _types(seats) == {"WINDOW": 20, "AISLE": 9, "MIDDLE": 2}
    assert [(s.number, s.column) for s in seats[-4:]] == [
        ("28", 0),
        ("29", 1),
        ("30", 2),
        ("31", 3),
    ]


def test_coaster_has_the_door_beside_row_one_and_a_back_row_of_four():
    seats = build_seats(Kind.COASTER, rows=10)

    assert len(seats) == 30
    assert [(s.number, s.berth_type, s.row, s.column) for s in seats[:5]] == [
        ("1", "WINDOW", 0, 0),
        ("2", "AISLE", 0, 1),
        ("3", "WINDOW", 1, 0),
        ("4", "AISLE", 1, 1),
        ("5", "WINDOW", 1, 3),
    ]
    assert [s.number for s in seats if s.row == 9] == ["27", "28", "29", "30"]
    assert bus_fixtures(Kind.COASTER, rows=10) == [
        Fixture("driver", -1, 0),
        Fixture("door", 0, 3),
    ]


def test_custom_grid_places_window_aisle_and_middle_seats():
    seats = build_seats(Kind.GRID, grid="AB_CD\nAB_CD\nABCDE")

    assert len(seats) == 13
    assert [s.berth_type for s in seats[-5:]] == ["WINDOW", "MIDDLE", "MIDDLE", "MIDDLE", "WINDOW"]
    assert [s.berth_type for s in seats[:4]] == ["WINDOW", "AISLE", "AISLE", "WINDOW"]
    assert (seats[-1].number, seats[-1].row, seats[-1].column) == ("13", 2, 4)


@pytest.mark.parametrize(
    ("kind", "kwargs", "message"),
    [
        (Kind.BUS_2_2, {}, "A bus layout needs between 1 and 40 rows."),
        (Kind.BUS_2_1, {"rows": 41}, "A bus layout needs between 1 and 40 rows."),
        (
            Kind.GRID,
            {"grid": "AB|CD"},
            "Row 1 has characters a grid cannot hold: |. Use a letter "
            "per seat, '_' for the aisle, '.' for no seat.",
        ),
        (Kind.GRID, {"grid": "__\n.."}, "The grid has no seat: use a letter for each seat."),
        (
            Kind.SL,
            {"rac_berths": 10},
            "This layout has 9 side-lower berths; 10 cannot be RAC berths.",
        ),
    ],
)
def test_impossible_layouts_are_refused_with_a_reason(kind, kwargs, message):
    with pytest.raises(LayoutError) as exc:
        build_seats(kind, **kwargs)

    assert str(exc.value) == message


@pytest.mark.django_db
def test_seat_layout_validation_names_the_field_at_fault(company_a):
    layout = SeatLayout(company=company_a, name="Minibus", kind=Kind.GRID, grid="A#B")

    with pytest.raises(ValidationError) as exc:
        layout.full_clean()

    assert list(exc.value.message_dict) == ["grid"]


@pytest.mark.django_db
def test_coach_build_seats_replaces_seats_with_the_layouts(line_a):
    _, vehicle, _ = line_a
    coach = vehicle.coaches.get()
    vip = standard_layout(kind=Kind.BUS_2_1, rows=10)

    seats = coach_build_seats(coach=coach, layout=vip)

    coach.refresh_from_db()
    assert len(seats) == 31
    assert coach.layout == vip
    assert Seat.objects.filter(coach=coach).count() == 31


@pytest.mark.django_db
def test_coach_build_seats_is_refused_while_the_vehicle_is_on_a_trip(trip_a):
    trip_a.status = TripStatus.DEPARTED
    trip_a.save()
    coach = Coach.objects.get(vehicle=trip_a.vehicle)

    with pytest.raises(VehicleInService):
        coach_build_seats(coach=coach, layout=standard_layout(kind=Kind.BUS_2_1, rows=10))

    assert Seat.objects.filter(coach=coach).count() == 41
