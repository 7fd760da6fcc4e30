"""The chat box: on the home and results pages, answered under the box for htmx (a partial)
and as a whole page without JavaScript; the seat map and the booking form take the party's
size from the answer's link."""

from datetime import timedelta

import pytest
import time_machine

from booking.tests.buses import KIGALI

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_before(travel_day):
    """The clock at noon in Kigali the day before the buses run: "tomorrow" is their day."""
    from datetime import datetime, time

    moment = datetime.combine(travel_day - timedelta(days=1), time(12), tzinfo=KIGALI)
    with time_machine.travel(moment, tick=False):
        yield moment


def test_the_home_and_results_pages_carry_the_chat_box(client, buses, travel_day):
    for url in ("/", f"/trips/?from=KGL&to=MSZ&date={travel_day.isoformat()}", "/trips/"):
        html = client.get(url).content.decode()
        assert 'action="/assistant/"' in html
        assert 'hx-post="/assistant/"' in html
        assert 'name="text"' in html
        assert 'id="assistant-answer"' in html


def test_without_javascript_the_form_posts_and_the_page_answers(client, buses, day_before):
    response = client.post("/assistant/", {"text": "bus kigali to musanze tomorow evening for 2"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert "nothing leaves then; 3 other departures that day, the nearest first:" in html
    assert (
        f'href="/trips/{buses[0].pk}/?from=KGL&amp;to=MSZ&amp;class=STANDARD&amp;passengers=2"'
        in html
    )
    assert html.count('data-testid="assistant-trip"') == 3
    assert 'value="bus kigali to musanze tomorow evening for 2"' in html  # the box keeps it


def test_htmx_gets_the_answer_alone(client, buses, day_before):
    response = client.post(
        "/assistant/", {"text": "kigali to musanze tomorrow afternoon"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.startswith('<div id="assistant-answer"')
    assert html.count('data-testid="assistant-trip"') == 2


def test_a_question_offers_no_trips_and_keeps_the_text(client, buses, day_before):
    response = client.post("/assistant/", {"text": "to musanze tomorrow"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Where do you leave from?" in html
    assert 'data-testid="assistant-trip"' not in html


def test_a_choice_re_asks_with_it_applied(client, buses, day_before):
    response = client.post("/assistant/", {"text": "to musanze tomorrow", "answer-origin": "KGL"})

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="assistant-trip"') == 3


@pytest.mark.parametrize(
    "data, message",
    [
        ({"text": ""}, "Type where you want to go."),
        ({"text": "x" * 301}, "Ensure this value has at most 300 characters (it has 301)."),
        ({"text": "to musanze", "answer-origin": "NOPE"}, "No station has the code NOPE."),
    ],
)
def test_bad_text_is_a_400_with_why(client, buses, day_before, data, message):
    response = client.post("/assistant/", data)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_htmx_shows_a_refusal_in_place_of_the_answer(client, db):
    response = client.post("/assistant/", {"text": ""}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "Type where you want to go." in response.content.decode()


def test_the_seat_map_and_booking_form_take_the_party_size(client, buses):
    from ttms.accounts.tests.factories import UserFactory

    url = f"/trips/{buses[0].pk}/?from=KGL&to=MSZ&class=STANDARD&passengers=2"
    html = client.get(url).content.decode()
    assert '<input type="hidden" name="passengers" value="2">' in html
    assert "quota=GENERAL&amp;passengers=2" in html  # the "book without choosing" link

    client.force_login(UserFactory())
    form = client.get(
        f"/trips/{buses[0].pk}/book/?from=KGL&to=MSZ&class=STANDARD&passengers=2&seat=C1-5"
    )
    assert form.status_code == 200
    assert form.context["formset"].initial == [{"seat": "C1-5"}, {}]
    plain = client.get(f"/trips/{buses[0].pk}/book/?from=KGL&to=MSZ&class=STANDARD&passengers=x")
    assert plain.context["formset"].initial == [{}]


def test_an_unsure_station_is_asked_with_its_choices_as_buttons(client, buses, day_before):
    from fleet.tests.factories import StationFactory

    StationFactory(code="KRM", name="Kigali Remera", city="Kigali", time_zone="Africa/Kigali")

    asked = client.post("/assistant/", {"text": "kigali to musanze tomorrow"})

    html = asked.content.decode()
    assert asked.status_code == 200
    assert 'data-testid="assistant-trip"' not in html
    assert '<input type="hidden" name="text" value="kigali to musanze tomorrow">' in html
    assert 'name="answer-origin" value="KGL"' in html
    assert 'name="answer-origin" value="KRM"' in html

    chosen = client.post(
        "/assistant/", {"text": "kigali to musanze tomorrow", "answer-origin": "KGL"}
    )

    assert chosen.content.decode().count('data-testid="assistant-trip"') == 3
