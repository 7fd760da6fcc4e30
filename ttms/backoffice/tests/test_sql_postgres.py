"""The second wall on PostgreSQL, without the guard: the analyst role's grants, the read-only
transaction and the statement timeout."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from fleet.models import Company
from fleet.tests.factories import CompanyFactory
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory
from ttms.backoffice.sql.guard import Checked
from ttms.backoffice.sql.role import sql_role_grant
from ttms.backoffice.sql.run import SqlFailed, execute_read_only, sql_run

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

REFUSED = "The database refused the query: it reads or writes what is not allowed."


@pytest.fixture
def analyst_role():
    sql_role_grant()
    return "ttms_analyst"


def raw(sql: str) -> Checked:
    """A query that never met the guard."""
    return Checked(sql=sql, dialect="postgres", row_limit=100, tables=frozenset())


def test_queries_run_as_the_analyst_role(analyst_role):
    _columns, rows = execute_read_only(raw("SELECT current_user"))

    assert rows == [("ttms_analyst",)]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT password FROM accounts_user",
        "SELECT * FROM accounts_user",
        "SELECT u FROM accounts_user u",
        "SELECT email FROM accounts_user",
        "SELECT hmac_secret FROM booking_ticketkey",
        "SELECT session_key FROM django_session",
        "SELECT rolname FROM pg_authid",
        "SELECT pg_read_file('/etc/hostname')",
        "SELECT lo_import('/etc/hostname')",
    ],
)
def test_role_cannot_read_withheld_columns_or_the_server(analyst_role, sql):
    with pytest.raises(SqlFailed) as failed:
        execute_read_only(raw(sql))

    assert failed.value.message == REFUSED


def test_role_reads_the_allowed_columns_of_a_table_with_withheld_ones(analyst_role):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, full_name="Asha Rao")

    columns, rows = execute_read_only(
        raw(f"SELECT id, role, full_name FROM accounts_user WHERE id = {admin.pk}")
    )

    assert columns == ["id", "role", "full_name"]
    assert rows == [(admin.pk, "platform_admin", "Asha Rao")]


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE fleet_company SET name = 'Changed'",
        "DELETE FROM fleet_company",
        "INSERT INTO fleet_company (name) VALUES ('x')",
        "WITH d AS (DELETE FROM fleet_company RETURNING id) SELECT id FROM d",
        "CREATE TABLE sneaked (id int)",
    ],
)
def test_role_writes_nothing(analyst_role, sql):
    CompanyFactory(name="Kept", slug="kept")

    with pytest.raises(SqlFailed):
        execute_read_only(raw(sql))

    assert list(Company.objects.values_list("name", flat=True)) == ["Kept"]


@override_settings(TTMS_SQL_ROLE="")
def test_read_only_transaction_refuses_a_write_even_without_the_role():
    CompanyFactory(name="Kept", slug="kept")

    with pytest.raises(SqlFailed) as failed:
        execute_read_only(raw("UPDATE fleet_company SET name = 'Changed'"))

    assert failed.value.message == REFUSED
    assert list(Company.objects.values_list("name", flat=True)) == ["Kept"]


@override_settings(TTMS_SQL_TIMEOUT_MS=200)
def test_statement_timeout_stops_a_heavy_query(analyst_role):
    with pytest.raises(SqlFailed) as failed:
        execute_read_only(raw("SELECT count(*) FROM generate_series(1, 10000000000)"))

    assert failed.value.message == "The query took longer than 200 ms and was stopped."


def test_settings_of_the_query_end_with_it(analyst_role):
    before = _session_settings()

    execute_read_only(raw("SELECT 1"))

    assert _session_settings() == before
    assert before[0] != "ttms_analyst"
    assert before[1] == "off"
    Company.objects.create(name="Written after", slug="after")
    assert Company.objects.filter(slug="after").exists()


def _session_settings() -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, current_setting('transaction_read_only'),"
            " current_setting('statement_timeout')"
        )
        return cursor.fetchone()


def test_role_command_is_idempotent_and_grants_by_column(analyst_role):
    call_command("sql_role")
    call_command("sql_role")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_column_privilege('ttms_analyst', 'accounts_user', 'password', 'SELECT'),"
            " has_column_privilege('ttms_analyst', 'accounts_user', 'role', 'SELECT'),"
            " has_table_privilege('ttms_analyst', 'fleet_company', 'SELECT'),"
            " has_table_privilege('ttms_analyst', 'fleet_company', 'INSERT'),"
            " has_table_privilege('ttms_analyst', 'django_session', 'SELECT')"
        )
        assert cursor.fetchone() == (False, True, True, False, False)


def test_sql_run_end_to_end_as_the_role(analyst_role):
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    CompanyFactory(name="North Lines", slug="north")

    result = sql_run(text="SELECT name FROM fleet_company ORDER BY name", by=admin)

    assert result.rows == [("North Lines",)]
    assert result.sql == (
        'SELECT "fleet_company"."name" AS "name" FROM "fleet_company" AS "fleet_company" '
        'ORDER BY "name" LIMIT 1001'
    )
