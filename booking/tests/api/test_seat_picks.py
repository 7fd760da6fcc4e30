"""Seats picked on the seat map through the booking API: given exactly, or another when taken on
an overlapping leg; a seat of another class or picked twice refused with nothing written; at
one query for the picks."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.models import Passenger, Place, Pnr, TripClass
from payments.models import Account

from ..factories import funded_user, make_trip
from .support import _book, _client, _people


def _placed(body) -> list[tuple[str, str, str, str]]:
    return [(p["status"], p["coach"], p["seat"], p["berth_type"]) for p in body["passengers"]]


def test_a_seat_picked_on_the_seat_map_is_given_exactly(api_client, trip):
    # given: a senior, who would get a lower berth, picks upper berth 11 of S1
    client = _client(api_client, funded_user(100_000))

    response = _book(
        client, trip, [{"name": "Sita", "age": 61, "gender": "F", "coach": "S1", "seat": "11"}]
    )

    assert response.status_code == 201, response.json()
    assert _placed(response.json()) == [("CNF", "S1", "11", "UB")]
    assert Passenger.objects.get().seat.number == "11"
    read_back = client.get(f"/api/v1/bookings/{response.json()['pnr']}/").json()
    assert _placed(read_back) == [("CNF", "S1", "11", "UB")]


def test_two_passengers_get_the_seats_they_picked_in_two_coaches(api_client, make_sleeper_trip):
    trip = make_sleeper_trip(coaches=("S1", "S2"), quotas={})
    client = _client(api_client, funded_user(100_000))

    response = _book(
        client,
        trip,
        [
            {"name": "Asha", "age": 34, "gender": "F", "coach": "S2", "seat": "20"},
            {"name": "Ravi", "age": 36, "gender": "M", "coach": "S1", "seat": "5"},
        ],
    )

    assert response.status_code == 201, response.json()
    assert _placed(response.json()) == [("CNF", "S2", "20", "LB"), ("CNF", "S1", "5", "MB")]


def test_a_seat_taken_on_an_overlapping_leg_falls_back_to_another_seat(api_client, trip):
    # given: S1 12 is booked from ST2 to ST4
    other = _client(api_client, funded_user(100_000))
    first = _book(other, trip, _people(1, coach="S1", seat="12"), **{"from": "ST2", "to": "ST4"})
    assert _placed(first.json()) == [("CNF", "S1", "12", "LB")]
    user = funded_user(100_000)
    client = _client(api_client, user)

    # when: it is picked for ST1 to ST3, which shares the leg ST2-ST3
    response = _book(client, trip, _people(1, coach="S1", seat="12"))

    # then: booked all the same, on the first berth by the usual rules
    assert response.status_code == 201, response.json()
    assert _placed(response.json()) == [("CNF", "S1", "1", "LB")]
    assert Account.objects.get(user=user, kind="wallet").balance == 100_000 - 9_000
    assert sorted(Passenger.objects.values_list("seat__number", flat=True)) == ["1", "12"]


def _refused(response, user, fields):
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == fields
    assert Pnr.objects.count() == 0 and Passenger.objects.count() == 0
    assert TripClass.objects.count() == 0 and Place.objects.count() == 0
    assert Account.objects.get(user=user, kind="wallet").balance == 100_000
    return error["message"]


@pytest.mark.parametrize(("coach", "seat"), [("S1", "99"), ("S9", "1"), ("B1", "1")])
def test_a_seat_not_of_the_booked_class_of_the_trip_is_refused_and_nothing_written(
    api_client, db, coach, seat
):
    # given: a trip of a sleeper coach S1 and an AC three tier coach B1
    trip = make_trip(coaches=(("S1", "SL"), ("B1", "3A")))
    user = funded_user(100_000)
    client = _client(api_client, user)

    # when: the second passenger of an SL booking names a seat that is not an SL seat
    response = _book(client, trip, [*_people(1), *_people(1, coach=coach, seat=seat)])

    # then
    message = _refused(
        response,
        user,
        {
            "passengers": {
                "1": [f"There is no seat {seat} in coach {coach} in class SL of this trip."]
            }
        },
    )
    assert message == f"There is no seat {seat} in coach {coach} in class SL of this trip."


def test_the_same_seat_picked_twice_is_refused_and_nothing_written(api_client, trip):
    user = funded_user(100_000)
    client = _client(api_client, user)

    response = _book(client, trip, _people(2, coach="S1", seat="12"))

    message = _refused(
        response,
        user,
        {
            "passengers": {
                "1": ["Another passenger of this booking already asks for seat 12 in coach S1."]
            }
        },
    )
    assert message == "Two passengers ask for the same seat; each seat holds one passenger."


@pytest.mark.parametrize("picked", [{"coach": "S1"}, {"seat": "12"}, {"coach": "S1", "seat": "  "}])
def test_a_coach_without_a_seat_or_a_seat_without_a_coach_is_refused(api_client, trip, picked):
    user = funded_user(100_000)
    client = _client(api_client, user)

    response = _book(client, trip, _people(1, **picked))

    message = _refused(
        response,
        user,
        {"passengers": {"0": ["Give both the coach and the seat number, or neither."]}},
    )
    assert message == "A seat asked for needs both its coach and its number."


def test_picking_seats_costs_one_query_and_not_picking_none(api_client, trip):
    # given: a first booking has made the trip's inventory and the company's accounts
    client = _client(api_client, funded_user(10_000_000))
    assert _book(client, trip, _people(2)).status_code == 201

    def statements(passengers) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert _book(client, trip, passengers).status_code == 201
        return len(captured.captured_queries)

    # when
    plain = statements(_people(2))
    picked = statements(
        [
            {"name": "A", "age": 30, "gender": "M", "coach": "S1", "seat": "40"},
            {"name": "B", "age": 30, "gender": "M", "coach": "S1", "seat": "41"},
        ]
    )

    # then
    assert picked == plain + 1
