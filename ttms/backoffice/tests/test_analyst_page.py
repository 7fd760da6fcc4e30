"""The analyst's page, /admin/analyst/: who may use it, the table, the chart's data, the CSV
export of the same report, and bad questions answered with a 400 and the form's reason."""

import pytest

pytestmark = pytest.mark.django_db

URL = "/admin/analyst/"


@pytest.mark.parametrize(
    ("role", "status"),
    [("platform", 200), ("a_admin", 200), ("a_scheduler", 200), ("b_admin", 200),
     ("driver", 302), ("agent", 302), ("passenger", 302)],
)  # fmt: skip
def test_staff_of_a_company_and_platform_admins_may_ask_others_are_sent_away(
    role, status, analyst_world, read_at, client
):
    client.force_login(analyst_world.users[role])

    assert client.get(URL).status_code == status
    assert client.get(URL, {"q": "refunds this month"}).status_code == status


def test_staff_of_no_company_are_refused(db, client):
    from ttms.accounts.models import Role
    from ttms.accounts.tests.factories import UserFactory

    client.force_login(UserFactory(role=Role.COMPANY_ADMIN, is_staff=True))
    assert client.get(URL, {"q": "refunds"}).status_code == 403


def test_the_empty_page_offers_the_examples(analyst_world, read_at, client):
    client.force_login(analyst_world.users["a_admin"])

    body = client.get(URL).content.decode()

    assert "?q=tickets+sold+last+week+per+route" in body
    assert "?q=which+buses+ran+late+most" in body


def test_a_question_shows_its_table_and_chart_data(analyst_world, read_at, client):
    client.force_login(analyst_world.users["a_admin"])

    response = client.get(URL, {"q": "tickets sold last week per route"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "Tickets sold, last week (2029-12-31 to 2030-01-06)" in body
    assert "<td>Alpha Rail</td>" in body and "12302 Alpha Express" in body
    data = response.context["chart_data"]
    assert data["charts"][0]["labels"] == ["12302"]
    assert data["charts"][0]["datasets"] == [{"label": "Tickets", "data": ["10"]}]
    assert 'id="analyst-data"' in body
    assert "<script>" not in body  # the CSP allows no inline script: data only


def test_the_export_is_the_same_report_as_csv(analyst_world, read_at, client):
    client.force_login(analyst_world.users["platform"])

    response = client.get(URL, {"q": "kamai company wise last week", "export": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="analyst-revenue.csv"'
    assert response.content.decode().splitlines() == [
        "Company,Currency,Sales,Transactions,Refunds,Commission,Net",
        "Alpha Rail,INR,10000.00,3,800.00,460.00,8740.00",
        "Beta Rail,KES,500.00,1,0.00,25.00,475.00",
    ]


def test_company_staff_export_only_their_rows(analyst_world, read_at, client):
    client.force_login(analyst_world.users["b_admin"])

    rows = client.get(URL, {"q": "tickets per route last week", "export": "csv"})

    assert rows.content.decode().splitlines() == [
        "Company,Route,Tickets,Cancelled since",
        "Beta Rail,4501 Beta Line,1,0",
    ]


def test_an_unknown_question_is_a_400_with_suggestions(analyst_world, read_at, client):
    client.force_login(analyst_world.users["a_admin"])

    response = client.get(URL, {"q": "what is the weather like"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "The question matches none of the reports." in body
    assert "Did you mean one of these?" in body
    assert "?q=refunds+by+day+this+month" in body


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ({"q": ""}, "This field is required."),
        ({"q": "x" * 301}, "Ensure this value has at most 300 characters (it has 301)."),
        ({"q": "load factor of train 4501"}, "No route or vehicle numbered 4501 among yours."),
        ({"q": "tickets 0001-01-01"}, "Choose days between 1970-01-01 and 2999-12-31."),
        ({"q": "tickets 1990-01-01 2030-01-01"}, "Choose a period of at most 366 days."),
        ({"q": "refunds\x00"}, "Null characters are not allowed."),
    ],
)
def test_bad_questions_are_a_400_never_a_500(query, reason, analyst_world, read_at, client):
    client.force_login(analyst_world.users["a_admin"])

    page = client.get(URL, query)
    export = client.get(URL, {**query, "export": "csv"})

    assert (page.status_code, export.status_code) == (400, 400)
    assert reason in page.content.decode()
    assert export.content.decode() == reason


@pytest.mark.parametrize(
    "text",
    ["🚆 tickets", "per per per", "last", "in may", "tickets 12302 12302", "refunds last 0 days",
     "tickets last 99999999999999999999 days", "tickets 2030-02-30", "revenue december 1969",
     "load factor of bus rab 123a per vehicle", "late by company kal", "टिकट"],
)  # fmt: skip
def test_odd_questions_never_fail(text, analyst_world, read_at, client):
    client.force_login(analyst_world.users["platform"])

    assert client.get(URL, {"q": text}).status_code in (200, 400)
    assert client.get(URL, {"q": text, "export": "csv"}).status_code in (200, 400)


def test_the_dashboards_link_to_the_analyst_and_the_sql_page_for_platform_admins(
    analyst_world, read_at, client
):
    client.force_login(analyst_world.users["a_admin"])
    operator = client.get("/admin/dashboard/operator/").content.decode()
    client.force_login(analyst_world.users["platform"])
    platform = client.get("/admin/dashboard/platform/").content.decode()

    assert 'href="/admin/analyst/"' in operator and 'href="/admin/sql/"' not in operator
    assert 'href="/admin/analyst/"' in platform and 'href="/admin/sql/"' in platform
