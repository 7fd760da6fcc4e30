"""The assistant's answer: the query understood, the trips of the results page's own search
narrowed to what was asked, links to the seat map with everything filled in, the day's other
departures when none leaves in the window, one question when a station is missing, and the
home station of a signed-in passenger."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from booking.assistant.answer import AssistantInputError, assistant_answer, user_home_station
from booking.tests.factories import adult
from payments.tests.factories import fund_wallet
from ttms.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


KGL_MSZ = {"origin": "KGL", "destination": "MSZ", "class_code": "STANDARD"}


def rwf_user():
    user = UserFactory()
    fund_wallet(user, 1_000_000, "RWF")
    return user


def ask(text, travel_day, **kwargs):
    return assistant_answer(text=text, today=travel_day - timedelta(days=1), **kwargs)


def test_the_answer_lists_the_trips_with_seats_fares_and_seat_map_links(buses, travel_day):
    answer = ask("kigali to musanze tomorrow for 2", travel_day, language="en")

    assert answer.question is None
    assert answer.query.as_json()["passengers"] == 2
    assert (answer.origin.code, answer.destination.code, answer.day) == ("KGL", "MSZ", travel_day)
    assert [row.option.trip.pk for row in answer.trips] == [t.pk for t in buses]
    first = answer.trips[0]
    assert first.departure_text.endswith(" 08:00 CAT (Africa/Kigali)")
    assert first.arrival_text.endswith(" 10:00 CAT (Africa/Kigali)")
    [offer] = first.classes
    assert (offer.class_code, offer.label, offer.status, offer.free, offer.fits) == (
        "STANDARD",
        "Standard",
        "41 seats free",
        41,
        True,
    )
    assert (offer.fare, offer.currency, offer.fare_text) == (2_500, "RWF", "RWF\xa02,500")
    url = urlsplit(offer.url)
    assert url.path == f"/trips/{buses[0].pk}/"
    assert parse_qs(url.query) == {
        "from": ["KGL"],
        "to": ["MSZ"],
        "class": ["STANDARD"],
        "passengers": ["2"],
    }
    assert answer.message.startswith("Kigali Nyabugogo to Musanze, ")
    assert answer.message.endswith(", for 2 passengers: 3 trips with seats:")
    assert answer.results_url == f"/trips/?from=KGL&to=MSZ&date={travel_day.isoformat()}"


def test_a_time_of_day_keeps_the_trips_leaving_then(buses, travel_day):
    answer = ask("kigali to musanze tomorrow afternoon", travel_day)

    assert [row.option.trip.pk for row in answer.trips] == [buses[1].pk, buses[2].pk]
    assert answer.other_departures is False
    assert ", leaving 12:00–17:00, " in answer.message


def test_nothing_in_the_window_shows_the_days_other_departures_saying_so(buses, travel_day):
    answer = ask("bus kigali to musanze tomorow evening for 2", travel_day)

    assert answer.query.as_json()["after"] == "17:00"
    assert answer.other_departures is True
    # The nearest to the evening first: 16:00, 14:00, 08:00.
    assert [row.option.trip.pk for row in answer.trips] == [t.pk for t in reversed(buses)]
    assert answer.message.endswith(
        ", leaving 17:00–21:00, for 2 passengers: nothing leaves then; "
        "3 other departures that day, the nearest first:"
    )


def test_trips_without_seats_for_everyone_come_last(buses, travel_day, book):
    buyer = rwf_user()
    for party in (6, 6, 6, 6, 6, 6, 3):  # 39 of the 08:00's 41 seats
        book(buses[0], passengers=[adult()] * party, user=buyer, **KGL_MSZ)

    answer = ask("kigali to musanze tomorrow for 3", travel_day)

    assert [row.option.trip.pk for row in answer.trips] == [buses[1].pk, buses[2].pk, buses[0].pk]
    assert [row.fits for row in answer.trips] == [True, True, False]
    assert (answer.trips[2].classes[0].free, answer.trips[2].classes[0].status) == (
        2,
        "2 seats free",
    )
    assert answer.message.endswith(": 2 of 3 trips with seats for everyone:")


def test_an_answer_lists_at_most_eight_trips_and_says_where_the_rest_are(buses, travel_day):
    from datetime import datetime, time

    from booking.tests.buses import KIGALI
    from fleet.models import Trip

    for hour in range(17, 23):
        leaves = datetime.combine(travel_day, time(hour), tzinfo=KIGALI)
        Trip.objects.create(
            route=buses[0].route,
            service_date=travel_day,
            departure_at=leaves,
            arrival_at=leaves + timedelta(hours=3),
            vehicle=buses[0].vehicle,
        )

    answer = ask("kigali to musanze tomorrow", travel_day)

    assert len(answer.trips) == 8
    assert answer.message.endswith(": 9 trips with seats:")
    assert answer.notes == ("The first 8 are shown; the results page has all 9.",)


def test_a_missing_destination_is_asked_for(buses, travel_day):
    answer = ask("tomorrow evening", travel_day)

    assert answer.trips == ()
    assert answer.question.field == "destination"
    assert answer.message == "Where do you want to go?"


def test_an_answer_to_a_question_is_applied(buses, travel_day):
    answer = ask("to musanze tomorrow", travel_day, answers={"origin": "kgl"})

    assert answer.question is None
    assert answer.query.origin == "KGL"
    assert len(answer.trips) == 3


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"origin": "NOPE"}, "No station has the code NOPE."),
        ({"passengers": "9"}, "A booking is for 1 to 6 passengers."),
        ({"date": "tomorrow"}, "Give the date as YYYY-MM-DD."),
        ({"class": "SL"}, "No question asks for class."),
    ],
)
def test_an_unusable_answer_is_refused(buses, travel_day, answers, message):
    with pytest.raises(AssistantInputError) as refused:
        ask("to musanze tomorrow", travel_day, answers=answers)

    assert (refused.value.field, refused.value.message) == ("answers", message)


@pytest.mark.parametrize(
    "text, message",
    [
        ("   ", "Type where you want to go, e.g. “Kigali to Musanze tomorrow”."),
        ("x" * 301, "Keep it under 300 characters."),
    ],
)
def test_blank_or_too_long_text_is_refused(db, travel_day, text, message):
    with pytest.raises(AssistantInputError) as refused:
        ask(text, travel_day)

    assert (refused.value.field, refused.value.message) == ("text", message)


def test_the_home_station_is_the_last_booked_origin(buses, travel_day, book):
    user = rwf_user()
    assert user_home_station(user) is None
    book(buses[0], user=user, origin="MSZ", destination="RBV", class_code="STANDARD")
    book(buses[1], user=user, origin="KGL", destination="RBV", class_code="STANDARD")

    assert user_home_station(user) == "KGL"
    answer = ask("to musanze tomorrow", travel_day, user=user)
    assert (answer.query.origin, answer.query.destination) == ("KGL", "MSZ")
    assert len(answer.trips) == 3


def test_a_signed_out_asker_has_no_home_station(buses, travel_day):
    from django.contrib.auth.models import AnonymousUser

    assert user_home_station(AnonymousUser()) is None
    answer = ask("to musanze tomorrow", travel_day, user=AnonymousUser())
    assert answer.question.field == "origin"
