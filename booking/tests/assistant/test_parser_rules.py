"""The parser's rules one by one, with exact values: dates (every rule of the semantics,
month and year rollover, "next <weekday>" asked on a Sunday and a Monday), times, counts,
class, quota, sort, and the words it does not know. Stations play no part in these, so the
index is built from the demo's station rows in memory; `test_parser_stations` reads them
from the database."""

from datetime import date, time

import pytest

from booking.assistant import parser
from booking.assistant.dates import clock, day_and_month, day_of_month
from booking.assistant.stations import StationIndex
from fleet.demo_data import BUS_STATIONS, MATATU_STATIONS, RAIL_STATIONS, VIRUNGA_STATIONS

FRIDAY = date(2026, 12, 4)
SUNDAY = date(2026, 12, 6)
MONDAY = date(2026, 12, 7)


@pytest.fixture(autouse=True)
def stations_in_memory(monkeypatch):
    rows = RAIL_STATIONS + BUS_STATIONS + VIRUNGA_STATIONS + MATATU_STATIONS
    index = StationIndex(
        [(code, name, "", region) for code, name, _, _, region, _ in rows],
        [(code, alias) for code, _, _, _, _, aliases in rows for alias in aliases],
    )
    monkeypatch.setattr(parser, "station_index", lambda: index)


def query(text: str, today: date = FRIDAY, home: str | None = None) -> dict:
    return parser.parse(text, today=today, home=home).query.as_json()


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-12-04"),
        ("aaj", "2026-12-04"),
        ("आज", "2026-12-04"),
        ("uyu munsi", "2026-12-04"),
        ("tomorrow", "2026-12-05"),
        ("tomorow", "2026-12-05"),
        ("tmrw", "2026-12-05"),
        ("tmr", "2026-12-05"),
        ("kal", "2026-12-05"),
        ("कल", "2026-12-05"),
        ("ejo", "2026-12-05"),
        ("day after tomorrow", "2026-12-06"),
        ("parso", "2026-12-06"),
        ("parson", "2026-12-06"),
        ("परसों", "2026-12-06"),
        ("friday", "2026-12-11"),
        ("on sat", "2026-12-05"),
        ("this friday", "2026-12-11"),
        ("thursday", "2026-12-10"),
        ("next friday", "2026-12-11"),
        ("next monday", "2026-12-07"),
        ("next sunday", "2026-12-13"),
        ("this weekend", "2026-12-05"),
        ("next weekend", "2026-12-12"),
        ("on the 5th", "2026-12-05"),
        ("4th", "2026-12-04"),
        ("3rd", "2027-01-03"),
        ("5/12", "2026-12-05"),
        ("5-12", "2026-12-05"),
        ("5.12", "2026-12-05"),
        ("5 Dec", "2026-12-05"),
        ("Dec 5", "2026-12-05"),
        ("5 december", "2026-12-05"),
        ("3/12", "2027-12-03"),
        ("2 jan", "2027-01-02"),
        ("2026-12-05", "2026-12-05"),
    ],
)
def test_a_date_phrase_on_friday_4_december_gives_the_semantics_date(text, expected):
    assert query(text)["date"] == expected


def test_no_date_words_leave_the_date_open():
    assert query("delhi to howrah")["date"] is None


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("next monday", SUNDAY, "2026-12-07"),
        ("next friday", SUNDAY, "2026-12-11"),
        ("monday", SUNDAY, "2026-12-07"),
        ("next monday", MONDAY, "2026-12-14"),
        ("monday", MONDAY, "2026-12-14"),
        ("next sunday", MONDAY, "2026-12-20"),
        ("this weekend", SUNDAY, "2026-12-06"),
        ("this weekend", date(2026, 12, 5), "2026-12-05"),
        ("next weekend", SUNDAY, "2026-12-12"),
    ],
)
def test_weekdays_asked_on_a_sunday_or_a_monday(text, today, expected):
    assert query(text, today=today)["date"] == expected


def test_a_day_of_the_month_rolls_over_the_year_end():
    assert query("on the 2nd", today=date(2026, 12, 31))["date"] == "2027-01-02"
    assert query("kal", today=date(2026, 12, 31))["date"] == "2027-01-01"
    assert query("friday", today=date(2026, 12, 31))["date"] == "2027-01-01"


def test_a_day_missing_from_next_month_is_taken_from_the_first_month_that_has_it():
    assert day_of_month(date(2027, 1, 31), 30) == date(2027, 3, 30)
    assert day_of_month(date(2027, 1, 15), 32) is None


def test_an_impossible_day_and_month_is_no_date():
    assert day_and_month(FRIDAY, 31, 11) is None
    assert query("31/11")["date"] is None
    # 29 February exists neither this year nor next: the rule looks no further.
    assert day_and_month(FRIDAY, 29, 2) is None
    assert day_and_month(FRIDAY, 29, 2, 2028) == date(2028, 2, 29)


# --- time of day ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "after", "before"),
    [
        ("morning", "05:00", "12:00"),
        ("subah", "05:00", "12:00"),
        ("सुबह", "05:00", "12:00"),
        ("mu gitondo", "05:00", "12:00"),
        ("afternoon", "12:00", "17:00"),
        ("dopahar", "12:00", "17:00"),
        ("evening", "17:00", "21:00"),
        ("shaam", "17:00", "21:00"),
        ("शाम", "17:00", "21:00"),
        ("nimugoroba", "17:00", "21:00"),
        ("night", "21:00", None),
        ("raat", "21:00", None),
        ("रात", "21:00", None),
        ("after 6 pm", "18:00", None),
        ("after 18:00", "18:00", None),
        ("after 6pm", "18:00", None),
        ("before 10 am", None, "10:00"),
        ("before 10:00", None, "10:00"),
        ("by 10am", None, "10:00"),
        ("between 5pm and 9pm", "17:00", "21:00"),
        ("evening after 6", "18:00", "21:00"),
        ("shaam 5 baje se pehle", None, "17:00"),
        ("subah 6 baje ke baad", "06:00", "12:00"),
    ],
)
def test_times_of_day(text, after, before):
    got = query(text)
    assert (got["after"], got["before"]) == (after, before)


def test_tonight_is_today_after_six_in_the_evening():
    got = query("tonight")
    assert (got["date"], got["after"], got["before"]) == ("2026-12-04", "18:00", None)


def test_clock_reads_twelve_oclock_both_ways_and_refuses_impossible_hours():
    assert clock(12, 0, "am") == time(0, 0)
    assert clock(12, 0, "pm") == time(12, 0)
    assert clock(13, 0, "pm") is None
    assert clock(25) is None


# --- class, quota, sort -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("sleeper", "SL"),
        ("SL", "SL"),
        ("3A", "3A"),
        ("3AC", "3A"),
        ("3 AC", "3A"),
        ("third AC", "3A"),
        ("3 tier", "3A"),
        ("2A", "2A"),
        ("2AC", "2A"),
        ("second AC", "2A"),
        ("2 tier", "2A"),
        ("1A", "1A"),
        ("1AC", "1A"),
        ("first AC", "1A"),
        ("first class", "1A"),
        ("chair car", "CC"),
        ("CC", "CC"),
        ("AC", "3A"),
        ("ac chair car", "CC"),
        ("VIP", "VIP"),
        ("standard", "STANDARD"),
        ("normal seat", "STANDARD"),
    ],
)
def test_classes(text, code):
    assert query(text)["class"] == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tatkal", "TATKAL"),
        ("tatkaal", "TATKAL"),
        ("तत्काल", "TATKAL"),
        ("ladies", "LADIES"),
        ("ladies quota", "LADIES"),
        ("mahila", "LADIES"),
        ("senior", "SENIOR"),
        ("senior citizen", "SENIOR"),
        ("foreign tourist", "FOREIGN_TOURIST"),
    ],
)
def test_quotas(text, code):
    assert query(text)["quota"] == code


@pytest.mark.parametrize(
    ("text", "sort", "direct"),
    [
        ("cheapest", "cheapest", False),
        ("cheap", "cheapest", False),
        ("lowest fare", "cheapest", False),
        ("budget", "cheapest", False),
        ("sasta", "cheapest", False),
        ("sasti", "cheapest", False),
        ("सस्ता", "cheapest", False),
        ("fastest", "fastest", False),
        ("quickest", "fastest", False),
        ("shortest", "fastest", False),
        ("jaldi", "fastest", False),
        ("direct", None, True),
        ("non-stop", None, True),
        ("nonstop", None, True),
        ("without change", None, True),
    ],
)
def test_sort_and_direct(text, sort, direct):
    got = query(text)
    assert (got["sort"], got["direct"]) == (sort, direct)


# --- passengers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("for 2", 2),
        ("2 people", 2),
        ("2 persons", 2),
        ("2 pax", 2),
        ("2 adults", 2),
        ("2 tickets", 2),
        ("2 seats", 2),
        ("for two", 2),
        ("three of us", 3),
        ("me and my mother", 2),
        ("me and my wife", 2),
        ("me and my husband", 2),
        ("me and my friend", 2),
        ("me and my son", 2),
        ("me and my daughter", 2),
        ("me and my parents", 3),
        ("family of four", 4),
        ("couple", 2),
        ("do log", 2),
        ("2 log", 2),
        ("hum do", 2),
        ("teen log", 3),
        ("char log", 4),
        ("abantu babiri", 2),
        ("abantu batatu", 3),
        ("abantu bane", 4),
        ("2 adults 1 child", 3),
        ("for six", 6),
        ("musanze", 1),
    ],
)
def test_passenger_counts(text, count):
    parsed = parser.parse(text, today=FRIDAY)
    assert (parsed.query.passengers, parsed.question) == (count, None)


def test_more_than_six_passengers_is_asked_back_and_the_count_stays_one():
    parsed = parser.parse("kigali to musanze for 8 people", today=FRIDAY)
    assert parsed.question.field == "passengers"
    assert parsed.question.text == (
        "At most 6 passengers can travel on one booking. How many are going?"
    )
    assert parsed.question.choices == ()
    assert parsed.query.passengers == 1
    assert (parsed.query.origin, parsed.query.destination) == ("RW-NYB", "RW-MUS")


def test_a_class_number_is_not_a_count():
    got = query("for 2 in 3 ac")
    assert (got["passengers"], got["class"]) == (2, "3A")


# --- words --------------------------------------------------------------------------------------


def test_noise_words_are_not_unknown_and_other_words_are_reported_once_in_order():
    parsed = parser.parse(
        "Please find me a bus ticket, I want to book: ndashaka itike, mujhe chahiye "
        "rajdhani zzyzx rajdhani",
        today=FRIDAY,
    )
    assert parsed.unknown == ("rajdhani", "zzyzx")


@pytest.mark.parametrize("word", ["to", "for", "evening", "bus", "going", "want", "there"])
def test_ordinary_words_are_never_taken_for_stations(word):
    got = query(f"{word} {word}")
    assert (got["origin"], got["destination"]) == (None, None)


@pytest.mark.parametrize(
    ("text", "origin", "destination"),
    [
        ("musanzee to kigalli", "RW-MUS", "RW-NYB"),
        ("nyabugogo to huye", "RW-NYB", "RW-HUY"),
        ("howra to dilli", "HWH", "NDLS"),
        ("dilli-howrah", "NDLS", "HWH"),
        ("Huye → Kigali", "RW-HUY", "RW-NYB"),
        ("delhi se howrah", "NDLS", "HWH"),
        ("howrah jana hai delhi se", "NDLS", "HWH"),
        ("दिल्ली से हावड़ा", "NDLS", "HWH"),
        ("कानपुर से मुंबई सेंट्रल", "CNB", "BCT"),
        ("kuva Musanze kugera Huye", "RW-MUS", "RW-HUY"),
        ("kuva Musanze ujya Huye", "RW-MUS", "RW-HUY"),
        ("to Rubavu from Gisenyi", "RW-RUB", "RW-RUB"),
        ("Ruhengeri Butare Gitarama", "RW-MUS", "RW-HUY"),
        ("Nairobi to TRM", "KE-ODN", "KE-RSB"),
        ("Bombay Central to Calcutta", "BCT", "HWH"),
    ],
)
def test_station_names_cues_and_typos(text, origin, destination):
    got = query(text)
    assert (got["origin"], got["destination"]) == (origin, destination)


def test_a_third_station_is_reported_unknown():
    parsed = parser.parse("Ruhengeri Butare Gitarama", today=FRIDAY)
    assert parsed.unknown == ("gitarama",)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("tomorroww", "date", "2026-12-05"),
        ("tmorrow", "date", "2026-12-05"),
        ("evning", "after", "17:00"),
        ("sleepr", "class", "SL"),
        ("wednsday", "date", "2026-12-09"),
        ("cheapst", "sort", "cheapest"),
    ],
)
def test_a_misspelt_word_of_six_letters_or_more_is_read_as_the_word(text, field, value):
    assert query(text)[field] == value


@pytest.mark.parametrize("word", ["person", "paste", "taste", "rubavuu", "musanzee"])
def test_ordinary_words_and_misspelt_stations_are_not_read_as_vocabulary(word):
    parsed = parser.parse(word, today=FRIDAY)
    got = parsed.query.as_json()
    assert (got["date"], got["sort"], got["after"], got["class"]) == (None, None, None, None)


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("delhi to howrah on 5", "date", "2026-12-05"),
        ("on 3", "date", "2027-01-03"),
        ("on 5 people", "passengers", 5),
        ("3 adults and a child", "passengers", 4),
        ("a party of 3", "passengers", 3),
        ("tomorrow at 6 pm", "after", "18:00"),
        ("around 7am", "after", "07:00"),
        ("tonight after 8", "after", "20:00"),
        ("Saturday 12 December", "date", "2026-12-12"),
        ("1st jan 2027", "date", "2027-01-01"),
        ("kuwa gatanu", "date", "2026-12-11"),
        ("ku wa gatandatu", "date", "2026-12-05"),
    ],
)
def test_numbers_in_context(text, field, value):
    assert query(text)[field] == value


def test_a_kind_of_place_word_after_a_station_is_part_of_its_name():
    parsed = parser.parse("kigali bus park to huye", today=FRIDAY)
    assert (parsed.query.origin, parsed.query.destination, parsed.unknown) == (
        "RW-NYB",
        "RW-HUY",
        (),
    )


_ORDINARY = (
    "about around arrive basket because been board boarding business change coming daily "
    "dinner early enough family father flight friend going happy heading hello here home "
    "hotel house hurry kindly later leave little local looking luggage money month more "
    "mother never night north number often people person place plan price reach ready "
    "return round second send should single sleep slow south start station still stop "
    "taxi thanks there think through travel under upper wait want well window without year "
    "kripya bhaiya ghar wapas kitna paisa safar yatra accha theek sahi naya purana bahut "
    "murakoze amakuru neza cyane imodoka umuhanda urugendo amafaranga igiciro umujyi ishuri"
)
ORDINARY_WORDS = _ORDINARY.split()


def test_no_ordinary_word_is_taken_for_a_station_or_a_field():
    taken = {}
    for word in ORDINARY_WORDS:
        got = query(word)
        changed = {k: v for k, v in got.items() if k not in ("after", "before", "passengers")}
        if any(value not in (None, False) for value in changed.values()):
            taken[word] = got
    # "night" sets the time of day only, excluded above.
    assert taken == {}


def test_a_lone_number_is_a_count_up_to_nine_and_unknown_above():
    assert query("dilli howrah kal 2")["passengers"] == 2
    parsed = parser.parse("githurai 45 to juja", today=FRIDAY)
    assert (parsed.query.passengers, parsed.question, parsed.unknown) == (1, None, ("45",))
    assert (parsed.query.origin, parsed.query.destination) == ("KE-GTH", "KE-JUJ")


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("स्लीपर", "class", "SL"),
        ("थर्ड एसी", "class", "3A"),
        ("एसी", "class", "3A"),
        ("लेडीज", "quota", "LADIES"),
        ("25 दिसंबर", "date", "2026-12-25"),
    ],
)
def test_the_railways_english_words_written_in_devanagari(text, field, value):
    assert query(text)[field] == value
