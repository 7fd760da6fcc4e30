"""Generated SQL against the guard: whatever passes is one SELECT that reads only allowed
tables and columns and calls only allowed functions (checked again here, independently, on
the rendered text), and running it writes nothing."""

import pytest
import sqlglot
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from fleet.models import Company, Vehicle
from fleet.tests.factories import CompanyFactory, VehicleFactory
from ttms.accounts.models import Role, User
from ttms.accounts.tests.factories import UserFactory
from ttms.backoffice.sql.allowlist import readable_columns
from ttms.backoffice.sql.guard import SqlRefused, sql_check
from ttms.backoffice.sql.run import SqlFailed, sql_run

TABLES = [
    "fleet_company",
    "fleet_vehicle",
    "accounts_user",
    "booking_pnr",
    "booking_ticketkey",
    "django_session",
    "pg_authid",
    "pg_catalog.pg_authid",
    "information_schema.tables",
    '"accounts_user"',
    '"FLEET_COMPANY"',
    "generate_series(1, 5)",
]
COLUMNS = [
    "id",
    "name",
    "code",
    "role",
    "company_id",
    "password",
    "email",
    "phone",
    "buyer_phone",
    "hmac_secret",
    "session_key",
    '"password"',
    "*",
    "t.*",
    "t.id",
    "t.password",
    "t",
    "(t).password",
]
FUNCTIONS = [
    "count",
    "lower",
    "upper",
    "coalesce",
    "max",
    "pg_sleep",
    "set_config",
    "lo_import",
    "dblink",
    "nextval",
    "pg_read_file",
    "current_setting",
    "txid_current",
    "generate_series",
]
JUNK = [
    ";",
    "; DROP TABLE fleet_company",
    "--",
    "/*",
    "*/",
    "'",
    "''",
    '"',
    "$$",
    "E'\\'",
    "\u00a0",
    "\uff1b",
    "\u200b",
    "\n",
    " FOR UPDATE",
    " INTO x",
    " UNION SELECT 1",
    " UNION SELECT password FROM accounts_user",
    " LIMIT 5",
    " LIMIT ALL",
    " OFFSET 1",
    "DELETE FROM fleet_company",
    "WITH d AS (DELETE FROM fleet_company RETURNING id) ",
    "WITH x AS (SELECT id FROM fleet_company) ",
    "(",
    ")",
    ",",
    "%s",
    "COPY",
    "EXPLAIN ",
]
LITERALS = ["1", "'a'", "'x'';DROP TABLE fleet_company;--'", "NULL", "true", "2.5"]

# Independent of the guard's own lists: the SQL functions a passing query may contain.
PURE_FUNCTIONS = {
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "COALESCE",
    "LOWER",
    "UPPER",
    "ROUND",
    "ABS",
    "DATE_TRUNC",
    "EXTRACT",
    "LENGTH",
    "CURRENT_TIMESTAMP",
    "CAST",
    "CASE",
    "IF",
}


@st.composite
def column_expressions(draw):
    column = draw(st.sampled_from(COLUMNS))
    if draw(st.booleans()):
        return f"{draw(st.sampled_from(FUNCTIONS))}({column})"
    return column


@st.composite
def structured(draw):
    columns = ", ".join(draw(st.lists(column_expressions(), min_size=1, max_size=3)))
    text = f"SELECT {columns} FROM {draw(st.sampled_from(TABLES))} AS t"
    if draw(st.booleans()):
        column = draw(st.sampled_from(COLUMNS[:11]))
        text += f" WHERE {column} = {draw(st.sampled_from(LITERALS))}"
    if draw(st.booleans()):
        text += f" JOIN {draw(st.sampled_from(TABLES))} AS u ON u.id = t.id"
    return text


# Tables with columns each may read, so that a share of the generated queries pass.
CLEAN = {
    "fleet_company": ["id", "name", "slug", "t.id", "t.name"],
    "fleet_vehicle": ["id", "code", "company_id", "t.code"],
    "accounts_user": ["id", "role", "full_name", "t.role"],
}


@st.composite
def clean(draw):
    table = draw(st.sampled_from(sorted(CLEAN)))
    names = st.sampled_from(CLEAN[table])
    columns = []
    for column in draw(st.lists(names, min_size=1, max_size=3)):
        function = draw(st.sampled_from(["", "count", "lower", "max", "coalesce"]))
        columns.append(f"{function}({column})" if function else column)
    text = f"SELECT {', '.join(columns)} FROM {table} AS t"
    if draw(st.booleans()):
        text += f" WHERE {draw(names)} = {draw(st.sampled_from(LITERALS))}"
    if draw(st.booleans()):
        text += f" AND {draw(names)} IN (SELECT id FROM fleet_company)"
    return text


@st.composite
def tampered(draw):
    text = draw(st.one_of(clean(), structured()))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.sampled_from(JUNK)) + text[at:]
    return text


fragments = st.lists(
    st.sampled_from(
        ["SELECT", "FROM", "WHERE", "AS", "=", *TABLES, *COLUMNS, *JUNK, *LITERALS]
        + [f"{name}(" for name in FUNCTIONS]
    ),
    min_size=1,
    max_size=12,
).map(" ".join)

queries = st.one_of(clean(), structured(), tampered(), fragments)


def assert_only_allowed(sql: str) -> None:
    """The rendered query, parsed again, is one select over allowed tables and columns."""
    readable = readable_columns()
    statements = [s for s in sqlglot.parse(sql, dialect="postgres") if s is not None]
    assert len(statements) == 1
    tree = statements[0]
    assert isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except))
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    aliases = {}
    for table in tree.find_all(exp.Table):
        assert not table.db and not table.catalog
        assert table.name in readable or table.name in ctes, table.name
        if table.name in readable:
            aliases[table.alias_or_name] = table.name
    for node in tree.walk():
        assert not isinstance(node, (exp.Anonymous, exp.Lock, exp.Into, exp.Dot, exp.DML))
        if isinstance(node, exp.Func) and not isinstance(node, (exp.Binary, exp.Unary)):
            assert node.sql_name() in PURE_FUNCTIONS, node.sql_name()
        if isinstance(node, exp.Column) and node.table in aliases:
            assert node.name in readable[aliases[node.table]], node.sql()


@settings(max_examples=600, deadline=None)
@given(text=queries)
def test_whatever_passes_the_guard_reads_only_allowed_columns(text):
    try:
        checked = sql_check(text, dialect="postgres")
    except SqlRefused:
        event("refused")
        return
    event("passed")
    assert_only_allowed(checked.sql)


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=queries)
def test_running_whatever_passes_writes_nothing(text, world):
    admin, before = world
    try:
        sql_run(text=text, by=admin)
        event("ran")
    except SqlRefused:
        event("refused")
    except SqlFailed as failure:
        event(f"stopped by the database: {failure.message[:60]}")

    assert _counts() == before
    assert list(Company.objects.order_by("slug").values_list("name", flat=True)) == [
        "North Lines",
        "South Coaches",
    ]


@pytest.fixture
def world():
    admin = UserFactory(role=Role.PLATFORM_ADMIN)
    north = CompanyFactory(name="North Lines", slug="north")
    south = CompanyFactory(name="South Coaches", slug="south")
    VehicleFactory(company=north, code="N1")
    VehicleFactory(company=south, code="S1")
    return admin, _counts()


def _counts() -> tuple[int, int, int]:
    return (Company.objects.count(), Vehicle.objects.count(), User.objects.count())
