"""The booking API: book, list and read PNRs; search with availability; seat maps."""

import uuid
from datetime import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework_simplejwt.tokens import RefreshToken

from booking.models import Passenger, Place, Pnr, Quota, TripClass
from fleet.models import Company, Trip
from payments.models import Account

from .factories import IST, funded_user, make_trip

NOW = datetime(2029, 12, 20, 12, 0, tzinfo=IST)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def trip(db):
    # One sleeper coach: 72 berths, 7 of them RAC side-lowers (14 RAC places); every seat
    # not RAC is GENERAL, so that the counts below are easy to follow.
    company = Company.objects.create(
        name="Indian Rail", slug="ir", kind=Company.Kind.RAIL, quota_distribution={"SL": {}}
    )
    return make_trip(company=company)


def _client(api_client, user):
    token = RefreshToken.for_user(user).access_token
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api_client


def _book(client, trip, passengers, *, key=None, **extra):
    body = {
        "trip": trip.pk,
        "from": "ST1",
        "to": "ST3",
        "class": "SL",
        "passengers": passengers,
        **extra,
    }
    return client.post(
        "/api/v1/bookings/", body, format="json", HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4())
    )


def _people(n, **fields):
    return [{"name": f"P{i}", "age": 30, "gender": "M", **fields} for i in range(n)]


def test_booking_confirms_passengers_and_charges_the_wallet(api_client, trip):
    user = funded_user(100_000)
    client = _client(api_client, user)

    response = _book(
        client,
        trip,
        [{"name": "Ravi", "age": 34, "gender": "M"}, {"name": "Sita", "age": 61, "gender": "F"}],
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["pnr"]) == 10 and body["pnr"].isdigit()
    assert body["status"] == "CNF"
    assert body["from"]["code"] == "ST1" and body["to"]["code"] == "ST3"
    assert body["class"] == "SL" and body["quota"] == "GENERAL"
    # 200 km at 45 paise a km: 9,000 paise each.
    assert [p["fare"] for p in body["passengers"]] == [9_000, 9_000]
    assert body["total_fare"] == 18_000
    assert [p["status"] for p in body["passengers"]] == ["CNF", "CNF"]
    assert all(p["coach"] == "S1" and p["seat"] for p in body["passengers"])
    # The senior without a preference is given a lower berth.
    assert body["passengers"][1]["berth_type"] == "LB"
    assert body["departure"] == "2030-01-07T08:00:00+05:30"
    assert Account.objects.get(user=user, kind="wallet").balance == 100_000 - 18_000


def test_rac_and_waitlist_positions_are_derived_in_booking_order(api_client, trip):
    client = _client(api_client, funded_user(10_000_000))
    for _ in range(16):  # 64 of the 65 berths that are not RAC berths
        assert _book(client, trip, _people(4)).status_code == 201
    assert _book(client, trip, _people(1)).json()["passengers"][0]["status"] == "CNF"

    response = _book(client, trip, _people(6))
    rac_pnr = response.json()
    assert [p["status"] for p in rac_pnr["passengers"]] == ["RAC"] * 6
    assert [p["position"] for p in rac_pnr["passengers"]] == [1, 2, 3, 4, 5, 6]
    assert rac_pnr["status"] == "RAC"

    mixed = _book(client, trip, _people(6)).json()
    assert [p["status"] for p in mixed["passengers"]] == ["RAC"] * 6
    last = _book(client, trip, _people(4)).json()
    assert [p["status"] for p in last["passengers"]] == ["RAC", "RAC", "WL", "WL"]
    assert [p["position"] for p in last["passengers"]] == [13, 14, 1, 2]
    assert last["status"] == "PARTIAL"

    detail = client.get(f"/api/v1/bookings/{last['pnr']}/").json()
    assert [p["position"] for p in detail["passengers"]] == [13, 14, 1, 2]


def test_replaying_an_idempotency_key_books_once(api_client, trip):
    user = funded_user(100_000)
    client = _client(api_client, user)
    key = str(uuid.uuid4())

    first = _book(client, trip, _people(2), key=key)
    again = _book(client, trip, _people(2), key=key)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Pnr.objects.count() == 1
    assert Account.objects.get(user=user, kind="wallet").balance == 100_000 - 18_000


def test_booking_without_money_writes_nothing(api_client, trip):
    user = funded_user(10_000)
    client = _client(api_client, user)

    response = _book(client, trip, _people(2))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "insufficient_funds"
    assert Pnr.objects.count() == 0 and Passenger.objects.count() == 0
    assert Account.objects.get(user=user, kind="wallet").balance == 10_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"passengers": []}, "passengers"),
        ({"passengers": _people(7)}, "passengers"),
        ({"passengers": [{"name": "X", "age": 200, "gender": "M"}]}, "passengers"),
        ({"passengers": [{"name": "X", "age": 30, "gender": "Q"}]}, "passengers"),
        ({"from": "NOPE"}, "from"),
        ({"to": "ST1"}, "to"),
        ({"class": "1A"}, "class"),
        ({"quota": "RAC"}, "quota"),
        ({"quota": "TATKAL", "passengers": _people(5)}, "passengers"),
        ({"quota": "FOREIGN_TOURIST"}, "passengers"),
    ],
)
def test_bad_requests_get_400_in_the_error_shape_and_write_nothing(api_client, trip, body, field):
    user = funded_user(100_000)
    client = _client(api_client, user)
    request = {"passengers": _people(1), **body}

    response = _book(client, trip, request.pop("passengers"), **request)

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"]
    assert field in error["fields"]
    assert Pnr.objects.count() == 0
    assert Account.objects.get(user=user, kind="wallet").balance == 100_000


def test_a_foreign_tourists_country_must_be_an_iso_3166_code(api_client, trip):
    user = funded_user(100_000)
    client = _client(api_client, user)
    tourist = {"name": "Jane", "age": 30, "gender": "F", "passport": "X1"}

    refused = _book(
        client,
        trip,
        [{**tourist, "nationality": "GB"}, {**tourist, "nationality": "zz"}],
        quota="FOREIGN_TOURIST",
    )
    booked = _book(client, trip, [{**tourist, "nationality": "gbr"}], quota="FOREIGN_TOURIST")

    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "passengers": {
            "1": {
                "nationality": [
                    "'ZZ' is not a country code of ISO 3166-1: "
                    "give its two letters (GB) or its three (GBR)."
                ]
            }
        }
    }
    assert booked.status_code == 201, booked.json()
    assert Passenger.objects.get().nationality == "GB"
    assert Pnr.objects.count() == 1


def test_a_booking_without_an_idempotency_key_is_refused(api_client, trip):
    client = _client(api_client, funded_user(100_000))
    response = client.post(
        "/api/v1/bookings/",
        {"trip": trip.pk, "from": "ST1", "to": "ST3", "class": "SL", "passengers": _people(1)},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"


def test_someone_elses_pnr_is_not_found(api_client, trip):
    owner = _client(api_client, funded_user(100_000))
    number = _book(owner, trip, _people(1)).json()["pnr"]

    other = _client(api_client, funded_user(0))
    response = other.get(f"/api/v1/bookings/{number}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert other.get("/api/v1/bookings/").json()["count"] == 0


def test_my_bookings_are_listed_newest_first(api_client, trip):
    client = _client(api_client, funded_user(100_000))
    first = _book(client, trip, _people(1)).json()["pnr"]
    second = _book(client, trip, _people(2)).json()["pnr"]

    listing = client.get("/api/v1/bookings/").json()

    assert listing["count"] == 2
    assert [p["pnr"] for p in listing["results"]] == [second, first]


def test_search_shows_free_seats_for_exactly_the_passengers_legs(api_client, trip):
    client = _client(api_client, funded_user(10_000_000))
    for _ in range(16):  # ST1 -> ST3: 64 of 65 general berths
        _book(client, trip, _people(4))

    def availability(origin, destination):
        response = api_client.get(
            "/api/v1/trips/search/", {"from": origin, "to": destination, "date": "2030-01-07"}
        )
        assert response.status_code == 200
        (result,) = response.json()["results"]
        (sl,) = result["availability"]
        return sl

    busy = availability("ST1", "ST2")
    assert busy["class"] == "SL"
    assert busy["free"] == {"GENERAL": 1}
    assert busy["rac_free"] == 14 and busy["rac"] == 0 and busy["waitlist"] == 0
    assert busy["status"] == "AVAILABLE-1"
    assert busy["fares"]["GENERAL"] == 4_500 and busy["fares"]["TATKAL"] == 5_850

    after = availability("ST3", "ST4")  # the same berths are free again past ST3
    assert after["free"] == {"GENERAL": 65}


@pytest.mark.parametrize(
    "day", ["9999-12-31", "9999-12-30", "3000-01-01", "0001-01-01", "0001-01-02", "1899-12-31"]
)
def test_search_of_a_date_outside_the_calendar_is_a_400_naming_the_range(api_client, trip, day):
    response = api_client.get("/api/v1/trips/search/", {"from": "ST1", "to": "ST3", "date": day})

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "Some fields are not valid.",
            "fields": {"date": ["Choose a date from 1900-01-01 to 2999-12-31."]},
        }
    }


@pytest.mark.parametrize("day", ["1900-01-01", "2999-12-31"])
def test_search_of_the_calendars_first_and_last_days_answers_no_trips(api_client, trip, day):
    response = api_client.get("/api/v1/trips/search/", {"from": "ST1", "to": "ST3", "date": day})

    assert response.status_code == 200
    assert (response.json()["count"], response.json()["results"]) == (0, [])


def test_search_of_a_trip_nobody_booked_counts_seats_from_the_vehicle(api_client, db):
    make_trip(company=Company.objects.create(name="IR", slug="ir2", kind=Company.Kind.RAIL))

    response = api_client.get(
        "/api/v1/trips/search/", {"from": "ST1", "to": "ST4", "date": "2030-01-07"}
    )

    (sl,) = response.json()["results"][0]["availability"]
    # Railway defaults for one SL coach of 65 plain berths: 6 SENIOR, 6 LADIES, 6 TATKAL.
    assert sl["free"] == {"SENIOR": 6, "LADIES": 6, "TATKAL": 6, "GENERAL": 47}
    assert sl["rac_free"] == 14


def test_seat_map_marks_seats_taken_on_the_journeys_legs(api_client, trip):
    client = _client(api_client, funded_user(100_000))
    booked = _book(client, trip, _people(1)).json()["passengers"][0]["seat"]

    def seat(origin, destination):
        response = api_client.get(
            f"/api/v1/trips/{trip.pk}/seats/", {"from": origin, "to": destination, "class": "SL"}
        )
        assert response.status_code == 200, response.json()
        seats = response.json()["seats"]
        assert len(seats) == 72
        return next(s for s in seats if s["number"] == booked)

    assert seat("ST2", "ST3")["free"] is False
    assert seat("ST3", "ST4")["free"] is True


def test_seat_map_refuses_a_class_the_trip_does_not_have(api_client, trip):
    response = api_client.get(
        f"/api/v1/trips/{trip.pk}/seats/", {"from": "ST1", "to": "ST2", "class": "1A"}
    )
    assert response.status_code == 400
    assert "class" in response.json()["error"]["fields"]


# --- Trips no longer open ---------------------------------------------------------------------

LEFT = "This trip left Station ST1 at 08:00 IST on 07 Jan 2030."


def _search(api_client, origin="ST1"):
    response = api_client.get(
        "/api/v1/trips/search/", {"from": origin, "to": "ST3", "date": "2030-01-07"}
    )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    return result


def test_search_marks_a_trip_that_left_the_boarding_stop_not_bookable(api_client, trip):
    open_before = _search(api_client)

    with time_machine.travel(datetime(2030, 1, 7, 8, 0, tzinfo=IST), tick=False):
        left = _search(api_client)
        later_stop = _search(api_client, origin="ST2")  # leaves ST2 at 09:05

    assert (open_before["bookable"], open_before["not_bookable_reason"]) == (True, None)
    assert [a["status"] for a in open_before["availability"]] == ["AVAILABLE-65"]
    assert (left["bookable"], left["not_bookable_reason"], left["availability"]) == (
        False,
        LEFT,
        [],
    )
    assert (later_stop["bookable"], later_stop["not_bookable_reason"]) == (True, None)


@pytest.mark.parametrize("status", ["departed", "arrived"])
def test_search_marks_a_trip_that_departed_not_bookable_at_any_stop(api_client, trip, status):
    Trip.objects.filter(pk=trip.pk).update(status=status)

    result = _search(api_client, origin="ST2")

    assert (result["bookable"], result["not_bookable_reason"], result["availability"]) == (
        False,
        f"Trip {trip.route.number} of 2030-01-07 is {status}; it cannot be booked.",
        [],
    )


def test_seat_map_of_a_trip_that_left_is_refused_with_the_reason(api_client, trip):
    with time_machine.travel(datetime(2030, 1, 7, 8, 30, tzinfo=IST), tick=False):
        left = api_client.get(
            f"/api/v1/trips/{trip.pk}/seats/", {"from": "ST1", "to": "ST3", "class": "SL"}
        )
        ahead = api_client.get(
            f"/api/v1/trips/{trip.pk}/seats/", {"from": "ST2", "to": "ST3", "class": "SL"}
        )

    assert left.status_code == 409
    assert left.json() == {"error": {"code": "trip_not_bookable", "message": LEFT, "fields": {}}}
    assert ahead.status_code == 200


def test_seat_map_of_a_cancelled_trip_says_it_is_cancelled(api_client, trip):
    Trip.objects.filter(pk=trip.pk).update(status="cancelled")

    response = api_client.get(
        f"/api/v1/trips/{trip.pk}/seats/", {"from": "ST1", "to": "ST3", "class": "SL"}
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "trip_not_bookable",
            "fields": {},
            "message": f"Trip {trip.route.number} of 2030-01-07 is cancelled; it cannot be booked.",
        }
    }


def test_quota_is_echoed_as_booked(api_client, trip):
    client = _client(api_client, funded_user(100_000))
    response = _book(client, trip, _people(1, gender="F"), quota=Quota.LADIES)
    # The trip earmarks no LADIES berth: the booking falls back to a GENERAL berth, but
    # the PNR keeps the quota it was booked in.
    assert response.json()["quota"] == "LADIES"
    assert response.json()["passengers"][0]["quota"] == "GENERAL"


# --- Seats picked on the seat map -------------------------------------------------------------


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
