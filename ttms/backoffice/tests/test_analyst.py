"""The staff analyst on the dashboards' hand-checked world (conftest.py), read on Monday
2030-01-07: each example question of issue 22 maps to its intent with exact rows, typos
still read, an unknown question offers the reports, and company staff see their companies
only.

The world is `analyst_world` (conftest.py): Alpha's R1 is train 12302, its
R2 train 12951, Beta's route 4501; Alpha's T1 rake is "RAB 123A", Beta's "KBZ 901Q". Tracking
saw T1 arrive at its third stop 20 minutes late (and leave the first 5 late), T2 leave on
time, Beta's TB arrive at its last stop 50 minutes late.
"""

from datetime import date
from decimal import Decimal

import pytest

from ttms.backoffice.analyst import (
    INTENTS_BY_NAME,
    AnalystNotUnderstood,
    analyst_answer,
    intent_match,
    period_parse,
    words_of,
)

pytestmark = pytest.mark.django_db

TODAY = date(2030, 1, 7)  # a Monday


def ask(world, who, text, today=TODAY):
    return analyst_answer(text=text, user=world.users[who], today=today)


# --- The example questions --------------------------------------------------------


def test_tickets_sold_last_week_per_route(analyst_world):
    report = ask(analyst_world, "a_admin", "tickets sold last week per route")

    assert report.intent.name == "tickets"
    assert report.dimension == "route"
    assert (report.period.start, report.period.end) == (date(2029, 12, 31), date(2030, 1, 6))
    assert report.columns == ["Company", "Route", "Tickets", "Cancelled since"]
    # P1 (6, one cancelled since), P2 (3) and P3 (1) on T1; P4 was booked this week.
    assert report.rows == [["Alpha Rail", "12302 Alpha Express", 10, 1]]
    assert report.charts == [
        {
            "title": report.title,
            "labels": ["12302"],
            "datasets": [{"label": "Tickets", "data": ["10"]}],
        }
    ]
    assert report.title == "Tickets sold, last week (2029-12-31 to 2030-01-06)"


def test_load_factor_of_train_12302_in_january(analyst_world):
    report = ask(analyst_world, "a_admin", "load factor of train 12302 in January")

    assert report.intent.name == "load"
    assert report.subject.route.number == "12302"
    assert (report.period.start, report.period.end) == (date(2030, 1, 1), date(2030, 1, 31))
    # T1 and T3 (no booking), 8 berths × 300 km each: 4,800 seat-km. Passenger-km: five
    # CNF × 300 + one CNF × 200 + two RAC × 200 ÷ 2 = 1,900.
    assert report.rows == [["Alpha Rail", "12302 Alpha Express", 2, 1900, 4800, Decimal("39.6")]]


def test_load_factor_in_december_is_last_years_december_when_asked_in_january(analyst_world):
    report = ask(analyst_world, "a_admin", "load factor of train 12302 in December")

    assert (report.period.start, report.period.end) == (date(2029, 12, 1), date(2029, 12, 31))
    assert report.rows == []


def test_refunds_by_day_this_month(analyst_world):
    report = ask(analyst_world, "a_admin", "refunds by day this month")

    assert report.intent.name == "refunds"
    assert (report.period.start, report.period.end) == (date(2030, 1, 1), TODAY)
    assert report.columns == ["Day", "Currency", "Refunds", "Transactions"]
    assert report.rows == [["2030-01-06", "INR", "800.00", 1]]
    assert [chart["title"] for chart in report.charts] == [f"{report.title} · INR"]
    assert report.charts[0]["datasets"] == [{"label": "Refunds (INR)", "data": ["800.00"]}]


def test_which_buses_ran_late_most(analyst_world):
    report = ask(analyst_world, "platform", "which buses ran late most this week")

    assert report.intent.name == "late"
    assert report.dimension == "vehicle"
    assert report.columns == [
        "Company",
        "Vehicle",
        "Trips tracked",
        "Trips late (5 min or more)",
        "Average delay (min)",
        "Worst delay (min)",
    ]
    # TB 50 min late at its last stop; T1 20 min at its third; T2 on time at its first.
    assert report.rows == [
        ["Beta Rail", "KBZ 901Q", 1, 1, 50.0, 50.0],
        ["Alpha Rail", "RAB 123A", 1, 1, 20.0, 20.0],
        ["Alpha Rail", "RAKE-" + analyst_world.t2.route.code, 1, 0, 0.0, 0.0],
    ]


def test_delays_per_route_for_one_company(analyst_world):
    report = ask(analyst_world, "a_admin", "delays per route this week")

    assert report.dimension == "route"
    assert report.rows == [
        ["Alpha Rail", "12302 Alpha Express", 1, 1, 20.0, 20.0],
        ["Alpha Rail", "12951 Alpha Mail", 1, 0, 0.0, 0.0],
    ]


def test_revenue_per_company_in_hindi_words(analyst_world):
    report = ask(analyst_world, "platform", "pichle hafte ki kamai company wise")

    assert report.intent.name == "revenue"
    assert report.dimension == "company"
    assert report.columns == [
        "Company", "Currency", "Sales", "Transactions", "Refunds", "Commission", "Net",
    ]  # fmt: skip
    assert report.rows == [
        ["Alpha Rail", "INR", "10000.00", 3, "800.00", "460.00", "8740.00"],
        ["Beta Rail", "KES", "500.00", 1, "0.00", "25.00", "475.00"],
    ]
    # One chart per currency: amounts of two currencies never share an axis.
    assert [chart["title"].rsplit(" · ", 1)[1] for chart in report.charts] == ["INR", "KES"]


def test_tickets_by_day_is_the_default_cut(analyst_world):
    report = ask(analyst_world, "a_admin", "bikri last 7 days")

    assert report.intent.name == "tickets"
    assert (report.period.start, report.period.end) == (date(2030, 1, 1), TODAY)
    assert report.rows == [["2030-01-05", 10], ["2030-01-07", 2]]


def test_a_vehicle_plate_narrows_the_delays(analyst_world):
    report = ask(analyst_world, "platform", "how late was rab 123a this week")

    assert report.subject.vehicle.code == "RAB 123A"
    assert report.rows == [["Alpha Rail", "RAB 123A", 1, 1, 20.0, 20.0]]


# --- Typos, unknown questions, bad input ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("tikets sold lastweek", "tickets"),
        ("laod factor", "load"),
        ("refnds this month", "refunds"),
        ("revenu by day", "revenue"),
        ("which buses were dellayed", "late"),
        ("kitni der se chali", "late"),
        ("paisa wapas kitna hua", "refunds"),
        ("busiest pairs", "pairs"),
    ],
)
def test_typos_and_hindi_words_read_as_their_intent(text, intent):
    found, _score = intent_match(words_of(text))
    assert found is INTENTS_BY_NAME[intent]


@pytest.mark.parametrize("text", ["what is the weather", "hello", "date", "12 23"])
def test_an_unknown_question_offers_every_report(analyst_world, text):
    with pytest.raises(AnalystNotUnderstood) as refusal:
        ask(analyst_world, "a_admin", text)
    assert refusal.value.message == "The question matches none of the reports."
    assert [i.name for i in refusal.value.suggestions] == [
        "tickets", "load", "refunds", "revenue", "late", "pairs",
    ]  # fmt: skip


def test_a_route_number_of_another_company_is_refused_not_widened(analyst_world):
    with pytest.raises(AnalystNotUnderstood) as refusal:
        ask(analyst_world, "a_admin", "load factor of train 4501")
    assert refusal.value.message == "No route or vehicle numbered 4501 among yours."


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Ask a question."),
        ("tickets " * 50, "Ask in at most 300 characters."),
        ("tickets 2020-01-01 2030-01-01", "Choose a period of at most 366 days."),
    ],
)
def test_bad_questions_are_refused_with_a_reason(analyst_world, text, message):
    with pytest.raises(AnalystNotUnderstood) as refusal:
        ask(analyst_world, "a_admin", text)
    assert refusal.value.message == message


@pytest.mark.parametrize(
    ("words", "start", "end"),
    [
        ("today", TODAY, TODAY),
        ("yesterday", date(2030, 1, 6), date(2030, 1, 6)),
        ("this week", TODAY, TODAY),
        ("last week", date(2029, 12, 31), date(2030, 1, 6)),
        ("pichle hafte", date(2029, 12, 31), date(2030, 1, 6)),
        ("this month", date(2030, 1, 1), TODAY),
        ("last month", date(2029, 12, 1), date(2029, 12, 31)),
        ("last 30 days", date(2029, 12, 9), TODAY),
        ("in december", date(2029, 12, 1), date(2029, 12, 31)),
        ("in may 2029", date(2029, 5, 1), date(2029, 5, 31)),
        ("dec 2028", date(2028, 12, 1), date(2028, 12, 31)),
        ("2030-01-02 to 2030-01-04", date(2030, 1, 2), date(2030, 1, 4)),
    ],
)
def test_periods(words, start, end):
    period, _used = period_parse(words_of(words), TODAY)
    assert (period.start, period.end) == (start, end)


# --- Who sees what -------------------------------------------------------------------------


def test_company_staff_never_see_another_companys_rows(analyst_world):
    for text in (
        "tickets sold last week per route",
        "revenue per company last week",
        "which buses ran late most this week",
        "busiest pairs this month",
    ):
        for who in ("a_admin", "a_scheduler"):
            rows = ask(analyst_world, who, text).rows
            assert rows and all("Beta" not in str(row) and "KES" not in str(row) for row in rows)
        rows = ask(analyst_world, "b_admin", text).rows
        assert all("Alpha" not in str(row) and "INR" not in str(row) for row in rows)


def test_the_platform_admin_sees_every_company(analyst_world):
    report = ask(analyst_world, "platform", "tickets sold last week per route")

    assert report.rows == [
        ["Alpha Rail", "12302 Alpha Express", 10, 1],
        ["Beta Rail", "4501 Beta Line", 1, 0],
    ]


def test_a_cut_a_report_has_not_is_named_and_the_report_shown_its_way(analyst_world):
    report = ask(analyst_world, "a_admin", "load factor per day last week")

    assert report.dimension == "route"
    assert report.notes == ["Load factor cannot be shown per day; shown as it can be."]
