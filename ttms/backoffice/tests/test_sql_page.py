"""The platform admins' SQL page, /admin/sql/: a SELECT runs and shows its rows, the SQL that
ran and its time; a refused one is a 400 with the guard's reason and an audit entry; nobody
but a platform admin gets in; with a language model configured (a local fake
OpenAI-compatible server), a question in English becomes a SELECT that passes the same
guard, and a model that fails or answers too late is said to have no answer."""

import json
from datetime import UTC, datetime

import pytest

from booking.tests.assistant.fake_llm import Reply
from fleet.models import Company
from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry
from ttms.backoffice.views import sql_cell

pytestmark = pytest.mark.django_db

URL = "/admin/sql/"


@pytest.fixture
def platform(db):
    CompanyFactory(name="Alpha Rail", slug="alpha")
    CompanyFactory(name="Beta Rail", slug="beta")
    return UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True)


def test_a_platform_admin_runs_a_select_and_sees_its_rows(platform, client):
    client.force_login(platform)

    response = client.post(URL, {"sql": "SELECT name, slug FROM fleet_company ORDER BY name"})

    assert response.status_code == 200
    result = response.context["result"]
    assert result["columns"] == ["name", "slug"]
    assert result["rows"] == [["Alpha Rail", "alpha"], ["Beta Rail", "beta"]]
    assert result["truncated"] is False
    assert result["sql"].startswith('SELECT "fleet_company"."name"')
    body = response.content.decode()
    assert "<td>Beta Rail</td>" in body and "2 rows." in body
    assert AuditEntry.objects.get().action == "sql.ran"


def test_a_cut_result_says_first_n_rows(platform, client, settings):
    settings.TTMS_SQL_ROW_LIMIT = 1
    client.force_login(platform)

    response = client.post(URL, {"sql": "SELECT name FROM fleet_company ORDER BY name"})

    assert response.context["result"]["rows"] == [["Alpha Rail"]]
    assert "The first 1 row." in response.content.decode()


def test_a_refused_query_shows_the_reason_with_a_400_and_is_audited(platform, client):
    client.force_login(platform)

    response = client.post(URL, {"sql": "DELETE FROM fleet_company"})

    assert response.status_code == 400
    assert "Only a SELECT query may run; this is a DELETE." in response.content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor) == ("sql.refused", platform)
    assert Company.objects.count() == 2


def test_a_withheld_column_is_refused(platform, client):
    client.force_login(platform)

    response = client.post(URL, {"sql": "SELECT password FROM accounts_user"})

    assert response.status_code == 400
    assert "result" not in response.context
    assert AuditEntry.objects.get().action == "sql.refused"


def test_an_empty_form_is_a_400(platform, client):
    client.force_login(platform)

    response = client.post(URL, {"sql": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert AuditEntry.objects.count() == 0


def test_the_page_lists_the_readable_tables(platform, client):
    client.force_login(platform)

    body = client.get(URL).content.decode()

    assert "<summary>fleet_company</summary>" in body
    assert "<summary>django_session</summary>" not in body
    assert "Ask in English" not in body  # no model configured


@pytest.mark.parametrize("role", [Role.COMPANY_ADMIN, Role.SCHEDULER])
def test_company_staff_are_refused(role, platform, client):
    company = Company.objects.get(slug="alpha")
    client.force_login(staff_user(company, role))

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"sql": "SELECT name FROM fleet_company"}).status_code == 403
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize("role", [Role.DRIVER, Role.AGENT, Role.PASSENGER])
def test_people_who_do_not_use_the_admin_are_sent_to_sign_in(role, platform, client):
    client.force_login(UserFactory(role=role))

    response = client.post(URL, {"sql": "SELECT name FROM fleet_company"})

    assert response.status_code == 302
    assert AuditEntry.objects.count() == 0


def test_values_are_shown_as_text(settings):
    settings.TTMS_DISPLAY_TIME_ZONE = "Asia/Kolkata"
    assert sql_cell(None) == "NULL"
    assert sql_cell(b"\x00\xff") == "00ff"
    assert sql_cell(memoryview(b"\x01")) == "01"
    assert sql_cell({"a": [1, "é"]}) == '{"a": [1, "é"]}'
    assert sql_cell(datetime(2030, 1, 7, 6, 0, tzinfo=UTC)) == "07 Jan 2030 11:30 IST"
    assert sql_cell(True) == "True"


# --- Ask in English -------------------------------------------------------------------------


def test_a_question_becomes_a_select_that_runs(platform, client, fake_llm):
    fake_llm.answer_json({"sql": "SELECT name FROM fleet_company ORDER BY name DESC"})
    client.force_login(platform)

    response = client.post(URL, {"question": "company names, last first"})

    assert response.status_code == 200
    assert response.context["result"]["rows"] == [["Beta Rail"], ["Alpha Rail"]]
    [request] = fake_llm.requests
    system, user = request["body"]["messages"]
    assert user["content"] == "company names, last first"
    assert "fleet_company: id, name, slug" in system["content"]
    assert "password" not in system["content"]
    # The SQL the model wrote is left in the box to be read and edited.
    assert "ORDER BY name DESC" in response.content.decode()
    assert AuditEntry.objects.get().action == "sql.ran"


def test_a_select_the_guard_refuses_is_refused_for_the_model_too(platform, client, fake_llm):
    fake_llm.answer_json({"sql": "SELECT password FROM accounts_user"})
    client.force_login(platform)

    response = client.post(URL, {"question": "everyone's password"})

    assert response.status_code == 400
    assert AuditEntry.objects.get().action == "sql.refused"
    assert "SELECT password FROM accounts_user" in response.content.decode()


@pytest.mark.parametrize(
    "reply",
    [
        Reply(content=json.dumps({"sql": "SELECT 1"}), delay=3),
        Reply(content=json.dumps({"query": "SELECT 1"})),
        Reply(content=json.dumps({"sql": ""})),
        Reply(content="not json"),
        Reply(content=json.dumps({"sql": "SELECT 1"}), status=500),
    ],
    ids=["timeout", "wrong-key", "empty", "not-json", "http-500"],
)
def test_a_model_that_gives_no_sql_says_it_could_not_answer(platform, client, fake_llm, reply):
    fake_llm.reply = reply
    client.force_login(platform)

    response = client.post(URL, {"question": "how many companies"})

    assert response.status_code == 400
    assert "The model could not answer that question; write the SQL." in (response.content.decode())
    assert AuditEntry.objects.count() == 0


def test_without_a_model_a_question_is_not_answered(platform, client, settings):
    settings.TTMS_LLM_URL = ""
    client.force_login(platform)

    response = client.post(URL, {"question": "how many companies"})

    assert response.status_code == 400
    assert "The model could not answer" in response.content.decode()


def test_a_moment_sqlite_computes_is_shown_in_the_display_zone(settings):
    settings.TTMS_DISPLAY_TIME_ZONE = "Asia/Kolkata"

    assert sql_cell("2030-01-07 06:00:00", vendor="sqlite") == "07 Jan 2030 11:30 IST"
    assert sql_cell("2030-01-07 06:00:00", vendor="postgresql") == "2030-01-07 06:00:00"
    assert sql_cell("2030-01-07", vendor="sqlite") == "2030-01-07"
