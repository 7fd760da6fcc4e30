"""The booking API's search with availability and its seat maps: free seats for exactly the
passenger's legs, the calendar's range, trips no longer open, and the quota echoed as booked."""

from datetime import datetime

import pytest
import time_machine

from booking.models import Quota
from fleet.models import Company, Trip

from ..factories import IST, funded_user, make_trip
from .support import _book, _client, _people


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
