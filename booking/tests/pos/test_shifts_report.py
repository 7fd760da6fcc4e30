"""The shift report (admin): per agent and shift and per station and day, against figures
worked out by hand, scoped to the company, and as CSV."""

from datetime import UTC, datetime

import pytest
import time_machine

from booking.pos.services.shifts import shift_close, shift_open
from fleet.tests.factories import CompanyFactory, MembershipFactory, StationFactory, staff_user
from payments.ledger.refunds import cash_refund
from payments.ledger.sales import cash_sale
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REPORT = "/admin/booking/shift/report/"
PERIOD = {"start": "2026-05-04", "end": "2026-05-05"}


def at(hour, minute=0, day=4):
    return time_machine.travel(datetime(2026, 5, day, hour, minute, tzinfo=UTC), tick=False)


def make_agent(company, station, name):
    user = UserFactory(role=Role.AGENT, full_name=name)
    MembershipFactory(user=user, company=company, role=Role.AGENT, home_station=station)
    return user


@pytest.fixture
def world(settings):
    """Volcano Express (RWF, no minor unit; Kigali UTC+2) and Deccan Travels (INR; Delhi
    UTC+5:30). Times below in UTC."""
    settings.TTMS_POS_SHIFT_TOLERANCE = None  # one major unit: RWF 1, INR 100 minor units
    volcano = CompanyFactory(name="Volcano Express", currency="RWF")
    deccan = CompanyFactory(name="Deccan Travels", currency="INR", time_zone="Asia/Kolkata")
    kgl = StationFactory(code="KGL", time_zone="Africa/Kigali")
    hye = StationFactory(code="HYE", time_zone="Africa/Kigali")
    dli = StationFactory(code="DLI", time_zone="Asia/Kolkata")
    anna = make_agent(volcano, kgl, "Anna Mukamana")
    bosco = make_agent(volcano, hye, "Bosco Habimana")
    chandra = make_agent(deccan, dli, "Chandra Rao")

    def sell(agent, company, amount, ref):
        cash_sale(
            agent=agent, company=company, amount=amount, reference_type="pnr", reference_id=ref
        )

    with at(4):
        shift_open(agent=anna, float_amount=5_000)
    with at(5):
        shift_open(agent=bosco, float_amount=2_000)
        sell(anna, volcano, 12_000, "A1")
        sell(anna, volcano, 8_000, "A2")
    with at(6):
        shift_open(agent=chandra, float_amount=10_000)
        cash_refund(agent=anna, reference_type="pnr", reference_id="A2", amount=3_000)
        sell(bosco, volcano, 4_000, "B1")
    with at(7):
        sell(chandra, deccan, 25_050, "C1")
    with at(12):
        # Anna: 5 000 + 12 000 + 8 000 - 3 000 = 22 000 expected; 100 short: flagged.
        shift_close(agent=anna, counted=21_900)
    with at(13):
        # Bosco: 2 000 + 4 000 = 6 000; counted 6 001, within one franc.
        shift_close(agent=bosco, counted=6_001)
        # Chandra: 100.00 + 250.50 = 350.50; counted 349.60, 0.90 short: within ₹1.
        shift_close(agent=chandra, counted=34_960)
    with at(14):
        shift_open(agent=bosco, float_amount=300)  # still open
    with at(23):
        # 01:00 on 5 May in Kigali: that day's.
        shift_open(agent=anna, float_amount=1_000)
    with at(23, 30):
        sell(anna, volcano, 500, "A3")
        shift_close(agent=anna, counted=1_500)
    return {"volcano": volcano, "deccan": deccan}


def platform_admin():
    return UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)


def test_station_day_figures_match_the_hand_worked_ones(client, world):
    client.force_login(platform_admin())

    response = client.get(REPORT, PERIOD)

    assert response.status_code == 200
    days = [
        (
            d.company,
            d.station,
            d.day.isoformat(),
            d.shifts,
            d.open_shifts,
            d.float_amount,
            d.sales,
            d.refunds,
            d.expected,
            d.counted,
            d.difference,
            d.flagged,
        )
        for d in response.context["days"]
    ]
    assert days == [
        ("Deccan Travels", "DLI", "2026-05-04", 1, 0, 10_000, 25_050, 0, 35_050, 34_960, -90, 0),
        ("Volcano Express", "HYE", "2026-05-04", 1, 1, 2_000, 4_000, 0, 6_000, 6_001, 1, 0),
        (
            "Volcano Express",
            "KGL",
            "2026-05-04",
            1,
            0,
            5_000,
            20_000,
            3_000,
            22_000,
            21_900,
            -100,
            1,
        ),
        ("Volcano Express", "KGL", "2026-05-05", 1, 0, 1_000, 500, 0, 1_500, 1_500, 0, 0),
    ]


def test_shift_lines_csv(client, world):
    client.force_login(platform_admin())

    response = client.get(REPORT, {**PERIOD, "format": "csv", "by": "shift"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "shifts-shift-2026-05-04-2026-05-05.csv" in response["Content-Disposition"]
    assert response.content.decode().splitlines() == [
        "company,agent,station,day,opened_at,closed_at,time_zone,currency,float,sales,refunds,"
        "expected,counted,difference,flagged",
        "Volcano Express,Anna Mukamana,KGL,2026-05-04,2026-05-04T06:00+02:00,"
        "2026-05-04T14:00+02:00,Africa/Kigali,RWF,5000,20000,3000,22000,21900,-100,yes",
        "Volcano Express,Bosco Habimana,HYE,2026-05-04,2026-05-04T07:00+02:00,"
        "2026-05-04T15:00+02:00,Africa/Kigali,RWF,2000,4000,0,6000,6001,1,no",
        "Deccan Travels,Chandra Rao,DLI,2026-05-04,2026-05-04T11:30+05:30,"
        "2026-05-04T18:30+05:30,Asia/Kolkata,INR,100.00,250.50,0.00,350.50,349.60,-0.90,no",
        "Volcano Express,Bosco Habimana,HYE,2026-05-04,2026-05-04T16:00+02:00,,"
        "Africa/Kigali,RWF,300,0,0,300,,,no",
        "Volcano Express,Anna Mukamana,KGL,2026-05-05,2026-05-05T01:00+02:00,"
        "2026-05-05T01:30+02:00,Africa/Kigali,RWF,1000,500,0,1500,1500,0,no",
    ]


def test_station_day_csv(client, world):
    client.force_login(platform_admin())

    response = client.get(REPORT, {**PERIOD, "format": "csv", "by": "station_day"})

    lines = response.content.decode().splitlines()
    assert lines[0] == (
        "company,station,day,currency,shifts,open_shifts,float,sales,refunds,expected,"
        "counted,difference,flagged"
    )
    assert (
        lines[1] == "Deccan Travels,DLI,2026-05-04,INR,1,0,100.00,250.50,0.00,350.50,349.60,-0.90,0"
    )
    assert len(lines) == 5


def test_company_staff_see_their_company_only(client, world):
    client.force_login(staff_user(world["deccan"]))

    report = client.get(REPORT, PERIOD)
    changelist = client.get("/admin/booking/shift/")

    assert [line.shift.agent.full_name for line in report.context["lines"]] == ["Chandra Rao"]
    assert changelist.status_code == 200
    assert [s.agent.full_name for s in changelist.context["cl"].result_list] == ["Chandra Rao"]


def test_flagged_only_and_one_day(client, world):
    client.force_login(staff_user(world["volcano"]))

    response = client.get(
        REPORT, {"start": "2026-05-04", "end": "2026-05-04", "flagged_only": "on"}
    )

    assert [
        (line.shift.agent.full_name, line.difference) for line in response.context["lines"]
    ] == [("Anna Mukamana", -100)]


def test_agents_and_passengers_get_no_report(client, world):
    for user in (UserFactory(role=Role.PASSENGER), UserFactory(role=Role.AGENT)):
        client.force_login(user)
        assert client.get(REPORT, PERIOD).status_code == 302


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-05-05", "end": "2026-05-04"},
        {"start": "2020-01-01", "end": "2026-05-04"},
        {"start": "yesterday", "end": "2026-05-04"},
    ],
)
def test_a_bad_period_is_400(client, world, query):
    client.force_login(platform_admin())
    response = client.get(REPORT, {**query, "format": "csv", "by": "shift"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
