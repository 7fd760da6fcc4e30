"""Running platform admins' SQL: exact rows, the row limit, the audit trail of every query,
and the database's own wall (on SQLite: read-only, allowed columns only, a timeout)."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import override_settings

from fleet.models import Company
from fleet.tests.factories import CompanyFactory, VehicleFactory
from ttms.accounts.models import Role, User
from ttms.accounts.tests.factories import UserFactory
from ttms.audit.models import AuditEntry
from ttms.backoffice.sql.guard import Checked, SqlRefused
from ttms.backoffice.sql.run import SqlFailed, SqlNotAllowed, execute_read_only, sql_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(role=Role.PLATFORM_ADMIN, email="root@example.com")


@pytest.fixture
def companies():
    north = CompanyFactory(name="North Lines", slug="north")
    south = CompanyFactory(name="South Coaches", slug="south")
    VehicleFactory(company=north, code="N1")
    VehicleFactory(company=north, code="N2")
    VehicleFactory(company=south, code="S1")
    return north, south


def test_run_returns_exact_rows_of_a_join_with_group_by(admin, companies):
    result = sql_run(
        text=(
            "SELECT c.name, count(v.id) AS vehicles FROM fleet_company c "
            "JOIN fleet_vehicle v ON v.company_id = c.id GROUP BY c.name ORDER BY c.name"
        ),
        by=admin,
    )

    assert result.columns == ["name", "vehicles"]
    assert result.rows == [("North Lines", 2), ("South Coaches", 1)]
    assert result.truncated is False
    assert result.elapsed_ms >= 0


def test_times_come_back_aware_in_utc(admin):
    company = CompanyFactory(name="Timed", slug="timed")
    Company.objects.filter(pk=company.pk).update(created_at=datetime(2030, 1, 5, 8, 30, tzinfo=UTC))

    result = sql_run(text=f"SELECT created_at FROM fleet_company WHERE id = {company.pk}", by=admin)

    assert result.rows == [(datetime(2030, 1, 5, 8, 30, tzinfo=UTC),)]
    assert result.rows[0][0].utcoffset() == timedelta(0)


def test_run_of_a_cte_and_union(admin, companies):
    result = sql_run(
        text=(
            "WITH n AS (SELECT id, name FROM fleet_company WHERE slug = 'north') "
            "SELECT name FROM n UNION ALL SELECT code FROM fleet_vehicle WHERE code = 'S1' "
            "ORDER BY name"
        ),
        by=admin,
    )

    assert result.rows == [("North Lines",), ("S1",)]


def test_percent_signs_in_literals_reach_the_database_as_written(admin, companies):
    result = sql_run(
        text="SELECT name, '100%' AS p FROM fleet_company WHERE name LIKE 'North%'", by=admin
    )

    assert result.rows == [("North Lines", "100%")]


@override_settings(TTMS_SQL_ROW_LIMIT=2)
def test_run_cuts_at_the_row_limit_and_says_so(admin, companies):
    result = sql_run(text="SELECT code FROM fleet_vehicle ORDER BY code", by=admin)

    assert result.rows == [("N1",), ("N2",)]
    assert result.truncated is True


@override_settings(TTMS_SQL_ROW_LIMIT=3)
def test_run_at_exactly_the_row_limit_is_not_cut(admin, companies):
    result = sql_run(text="SELECT code FROM fleet_vehicle ORDER BY code", by=admin)

    assert result.rows == [("N1",), ("N2",), ("S1",)]
    assert result.truncated is False


def test_run_is_audited_with_its_author(admin, companies):
    sql_run(text="SELECT name FROM fleet_company ORDER BY name", by=admin)

    entry = AuditEntry.objects.get()
    assert entry.action == "sql.ran"
    assert entry.actor == admin
    assert entry.actor_name == "root@example.com"
    assert entry.target_type == ContentType.objects.get_for_model(User)
    assert entry.target_id == str(admin.pk)
    assert entry.data["sql"] == "SELECT name FROM fleet_company ORDER BY name"
    assert entry.data["tables"] == ["fleet_company"]
    assert entry.data["rows"] == 2
    assert entry.data["truncated"] is False


def test_refused_query_is_audited_with_the_reason_and_nothing_changes(admin, companies):
    with pytest.raises(SqlRefused):
        sql_run(text="DELETE FROM fleet_company", by=admin)

    entry = AuditEntry.objects.get()
    assert entry.action == "sql.refused"
    assert entry.actor == admin
    assert entry.data == {
        "sql": "DELETE FROM fleet_company",
        "reason": "Only a SELECT query may run; this is a DELETE.",
    }
    assert Company.objects.count() == 2


def test_query_the_database_stops_is_audited_with_its_reason(admin, companies):
    # Past the guard, refused by the database: a function called wrongly (SQLite), a text
    # that is no number (PostgreSQL).
    text = (
        "SELECT coalesce(id) FROM fleet_company"
        if _on_sqlite()
        else "SELECT CAST(name AS INT) FROM fleet_company"
    )

    with pytest.raises(SqlFailed) as failed:
        sql_run(text=text, by=admin)

    entry = AuditEntry.objects.get()
    assert entry.action == "sql.failed"
    assert entry.actor == admin
    assert entry.data == {"sql": text, "reason": failed.value.message}
    assert failed.value.message.startswith("The database could not run the query: ")


@pytest.mark.parametrize("role", [Role.PASSENGER, Role.COMPANY_ADMIN, Role.SCHEDULER])
def test_only_platform_admins_may_run_sql(role, companies):
    user = UserFactory(role=role)

    with pytest.raises(SqlNotAllowed):
        sql_run(text="SELECT id FROM fleet_company", by=user)

    assert AuditEntry.objects.count() == 0


def test_database_refuses_a_write_that_got_past_the_guard():
    if not _on_sqlite():
        pytest.skip("the PostgreSQL wall is tested in test_sql_postgres")
    CompanyFactory(name="Kept", slug="kept")
    sneaked = Checked(
        sql="UPDATE fleet_company SET name = 'Changed'",
        dialect="sqlite",
        row_limit=10,
        tables=frozenset(),
    )

    with pytest.raises(SqlFailed):
        execute_read_only(sneaked)

    assert list(Company.objects.values_list("name", flat=True)) == ["Kept"]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT password FROM accounts_user",
        "SELECT count(*) FROM accounts_user WHERE email LIKE '%'",
        "SELECT session_key FROM django_session",
    ],
)
def test_database_refuses_a_withheld_column_that_got_past_the_guard(sql, admin):
    if not _on_sqlite():
        pytest.skip("the PostgreSQL wall is tested in test_sql_postgres")
    sneaked = Checked(sql=sql, dialect="sqlite", row_limit=10, tables=frozenset())

    with pytest.raises(SqlFailed) as failed:
        execute_read_only(sneaked)

    assert failed.value.message == (
        "The database refused the query: it reads or writes what is not allowed."
    )


@override_settings(TTMS_SQL_TIMEOUT_MS=50)
def test_a_long_query_is_stopped_at_the_timeout(admin):
    if not _on_sqlite():
        pytest.skip("the PostgreSQL timeout is tested in test_sql_postgres")
    heavy = Checked(
        sql=(
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
        ),
        dialect="sqlite",
        row_limit=10,
        tables=frozenset(),
    )

    with pytest.raises(SqlFailed) as failed:
        execute_read_only(heavy)

    assert failed.value.message == "The query took longer than 50 ms and was stopped."


def test_connection_writes_again_after_a_query(admin, companies):
    sql_run(text="SELECT id FROM fleet_company", by=admin)

    Company.objects.filter(slug="north").update(name="North Rail")

    assert Company.objects.get(slug="north").name == "North Rail"


def _on_sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"


def test_role_command_is_not_needed_on_sqlite():
    if not _on_sqlite():
        pytest.skip("on PostgreSQL the command creates the role (test_sql_postgres)")
    out = io.StringIO()

    call_command("sql_role", stdout=out)

    assert out.getvalue() == "Not needed on SQLite: queries run on a read-only connection.\n"
