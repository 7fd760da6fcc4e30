"""The parser against the station table in the database: one question when a name means two
stations, the passenger's home as the default origin, and the index following changes."""

from datetime import date

import pytest

from booking.assistant.parser import parse
from booking.assistant.query import Choice
from fleet.models import Station
from fleet.services import station_upsert

from .demo_stations import demo_stations, second_kigali  # noqa: F401 (fixtures used below)

FRIDAY = date(2026, 12, 4)


@pytest.mark.usefixtures("second_kigali")
def test_a_name_two_stations_share_asks_which_one_and_leaves_the_field_open():
    parsed = parse("Kigali to Musanze tomorrow", today=FRIDAY, home="RW-HUY")

    assert parsed.question.field == "origin"
    assert parsed.question.text == "Which Kigali: Nyabugogo or Remera?"
    assert parsed.question.choices == (
        Choice(value="RW-NYB", label="Kigali Nyabugogo Bus Park"),
        Choice(value="RW-REM", label="Kigali Remera"),
    )
    assert parsed.query.as_json() == {
        "origin": None,
        "destination": "RW-MUS",
        "date": "2026-12-05",
        "after": None,
        "before": None,
        "class": None,
        "quota": None,
        "passengers": 1,
        "sort": None,
        "direct": False,
    }


@pytest.mark.usefixtures("second_kigali")
def test_an_ambiguous_destination_is_asked_about_and_a_named_station_is_not():
    parsed = parse("huye to kigali", today=FRIDAY)
    assert (parsed.question.field, parsed.query.origin, parsed.query.destination) == (
        "destination",
        "RW-HUY",
        None,
    )
    named = parse("huye to nyabugogo", today=FRIDAY)
    assert (named.question, named.query.destination) == (None, "RW-NYB")


@pytest.mark.usefixtures("demo_stations")
def test_kigali_alone_is_nyabugogo_when_it_is_the_only_kigali_station():
    parsed = parse("kigali to musanze", today=FRIDAY)
    assert (parsed.question, parsed.query.origin) == (None, "RW-NYB")


@pytest.mark.usefixtures("demo_stations")
def test_home_is_the_origin_when_only_a_destination_is_named():
    assert parse("musanze tomorrow", today=FRIDAY, home="rw-nyb").query.origin == "RW-NYB"
    assert parse("to musanze", today=FRIDAY, home="RW-NYB").query.origin == "RW-NYB"
    # Without a home the origin stays open; a named origin wins over home.
    assert parse("musanze tomorrow", today=FRIDAY).query.origin is None
    assert parse("huye to musanze", today=FRIDAY, home="RW-NYB").query.origin == "RW-HUY"
    # "from X" alone is the origin, and home does not become the destination.
    only_from = parse("from huye", today=FRIDAY, home="RW-NYB").query
    assert (only_from.origin, only_from.destination) == ("RW-HUY", None)


@pytest.mark.usefixtures("demo_stations")
def test_home_is_not_the_origin_of_a_trip_to_home():
    query = parse("musanze tomorrow", today=FRIDAY, home="RW-MUS").query
    assert (query.origin, query.destination) == (None, "RW-MUS")


@pytest.mark.usefixtures("demo_stations")
def test_a_station_added_after_the_first_parse_is_found():
    assert parse("to Gicumbi", today=FRIDAY).query.destination is None
    station_upsert(code="RW-GIC", name="Gicumbi", time_zone="Africa/Kigali", region="Gicumbi")
    assert parse("to Gicumbi", today=FRIDAY).query.destination == "RW-GIC"
    Station.objects.filter(code="RW-GIC").delete()
    assert parse("to Gicumbi", today=FRIDAY).query.destination is None
