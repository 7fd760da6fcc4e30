"""The SQL guard: attacks refused with a reason, allowed queries rendered from the checked
tree with the row limit, and the allow-list deciding every field of the models it lists."""

import pytest
from django.apps import apps
from django.test import override_settings

from ttms.backoffice.sql.allowlist import (
    READABLE,
    WITHHELD,
    readable_columns,
    withheld_columns,
)
from ttms.backoffice.sql.guard import SqlRefused, sql_check

ATTACKS = {
    "two statements": "SELECT 1; DROP TABLE fleet_company",
    "two selects": "SELECT 1; SELECT 2",
    "drop": "DROP TABLE fleet_company",
    "insert": "INSERT INTO fleet_company (name) VALUES ('x')",
    "update": "UPDATE accounts_user SET role = 'platform_admin'",
    "delete": "DELETE FROM fleet_company",
    "truncate": "TRUNCATE fleet_company",
    "alter": "ALTER TABLE fleet_company ADD COLUMN x int",
    "create table as": "CREATE TABLE x AS SELECT id FROM fleet_company",
    "grant": "GRANT SELECT ON accounts_user TO public",
    "set role": "SET ROLE postgres",
    "all columns of users": "SELECT * FROM accounts_user",
    "alias star of users": "SELECT u.* FROM accounts_user u",
    "star over a join with pnrs": "SELECT * FROM fleet_company c JOIN booking_pnr p ON true",
    "password": "SELECT password FROM accounts_user",
    "qualified password": "SELECT u.password FROM accounts_user AS u",
    "password in where": "SELECT id FROM accounts_user WHERE password LIKE 'argon2%'",
    "password in order by": "SELECT id FROM accounts_user ORDER BY password",
    "password through a subquery": "SELECT x.p FROM (SELECT password AS p FROM accounts_user) x",
    "password through a cte": "WITH x AS (SELECT password FROM accounts_user) SELECT 1 FROM x",
    "email": "SELECT email FROM accounts_user",
    "email in exists": (
        "SELECT id FROM fleet_company c WHERE EXISTS "
        "(SELECT 1 FROM accounts_user u WHERE u.email = 'a@example.com')"
    ),
    "buyer phone": "SELECT buyer_phone FROM booking_pnr",
    "passport": "SELECT passport_number FROM booking_passenger",
    "ticket signing key": "SELECT hmac_secret FROM booking_ticketkey",
    "device key": "SELECT public_key FROM booking_device",
    "outbox phone": "SELECT phone FROM notifications_outboxmessage",
    "idempotency body": "SELECT response_body FROM payments_idempotencyrecord",
    "sessions": "SELECT session_key FROM django_session",
    "writing cte": "WITH d AS (DELETE FROM fleet_company RETURNING id) SELECT id FROM d",
    "updating cte": "WITH u AS (UPDATE fleet_company SET name = 'x' RETURNING id) SELECT 1",
    "for update": "SELECT id FROM fleet_company FOR UPDATE",
    "for share": "SELECT id FROM fleet_company FOR SHARE",
    "pg_sleep": "SELECT pg_sleep(5)",
    "pg_sleep in where": "SELECT id FROM fleet_company WHERE pg_sleep(5) IS NULL",
    "dblink": "SELECT dblink('host=evil', 'SELECT 1')",
    "copy to": "COPY fleet_company TO '/tmp/out.csv'",
    "copy from program": "COPY fleet_company FROM PROGRAM 'id'",
    "set_config": "SELECT set_config('role', 'postgres', true)",
    "current_setting": "SELECT current_setting('data_directory')",
    "lo_import": "SELECT lo_import('/etc/passwd')",
    "lo_export": "SELECT lo_export(1, '/tmp/x')",
    "pg_read_file": "SELECT pg_read_file('/etc/passwd')",
    "nextval": "SELECT nextval('fleet_company_id_seq')",
    "txid": "SELECT txid_current()",
    "generate_series": "SELECT generate_series(1, 100000000)",
    "function as table": "SELECT g FROM generate_series(1, 10) AS g",
    "block comment hiding a statement": "SELECT 1 /* ; DROP TABLE fleet_company */",
    "line comment": "SELECT 1 -- ; DROP TABLE fleet_company",
    "comment between keywords": "SELECT/**/id FROM fleet_company",
    "string trick then statement": "SELECT 'a'';DROP TABLE x;--'; DROP TABLE fleet_company",
    "escape string": "SELECT E'a\\';DROP TABLE x'",
    "dollar quoting": "SELECT $$a$$",
    "full-width semicolon": "SELECT 1 FROM fleet_company\uff1b DROP TABLE fleet_company",
    "non-breaking space": "SELECT\u00a0id FROM fleet_company",
    "zero-width space": "SELECT id\u200b FROM fleet_company",
    "line separator": "SELECT 1\u2028",
    "nul byte": "SELECT 1\x00",
    "select into": "SELECT id INTO newtable FROM fleet_company",
    "explain analyze": "EXPLAIN ANALYZE DELETE FROM fleet_company",
    "quoted table and column": 'SELECT "password" FROM "accounts_user"',
    "quoted upper-case table": 'SELECT id FROM "FLEET_COMPANY"',
    "pg_authid": "SELECT rolname, rolpassword FROM pg_catalog.pg_authid",
    "pg_authid unqualified": "SELECT rolname FROM pg_authid",
    "information_schema": "SELECT table_name FROM information_schema.tables",
    "public-qualified table": "SELECT id FROM public.fleet_company",
    "whole row": "SELECT u FROM accounts_user u",
    "field of a whole row": "SELECT (u).password FROM accounts_user u",
    "table column aliases": "SELECT pw FROM accounts_user AS u(id, pw)",
    "natural join": "SELECT id FROM accounts_user NATURAL JOIN fleet_company",
    "lateral": "SELECT x.id FROM fleet_company c, LATERAL (SELECT c.id) x",
    "recursive cte": (
        "WITH RECURSIVE r AS (SELECT 1 n UNION ALL SELECT n + 1 FROM r) SELECT n FROM r"
    ),
    "cte named as a table": (
        "WITH accounts_user AS (SELECT id FROM fleet_company) SELECT id FROM accounts_user"
    ),
    "cast to regclass": "SELECT CAST('accounts_user' AS regclass)",
    "tablesample": "SELECT id FROM fleet_company TABLESAMPLE SYSTEM (10)",
    "only": "SELECT id FROM ONLY fleet_company",
    "placeholder": "SELECT id FROM fleet_company WHERE id = %s",
    "limit all": "SELECT id FROM fleet_company LIMIT ALL",
    "limit of an expression": "SELECT id FROM fleet_company LIMIT (SELECT 5)",
    "fetch first": "SELECT id FROM fleet_company FETCH FIRST 3 ROWS ONLY",
    "show": "SHOW ALL",
    "do block": "DO $$ BEGIN PERFORM 1; END $$",
    "call": "CALL something()",
    "listen": "LISTEN x",
    "vacuum": "VACUUM",
    "unclosed quote": "SELECT 'a",
    "empty": "   ",
    "too long": "SELECT " + " + ".join(["1"] * 8000),
    "deep nesting": "SELECT " + "(" * 5000 + "1" + ")" * 5000,
    "unicode escape string": "SELECT U&'\\0041'",
    "negative limit": "SELECT id FROM fleet_company LIMIT -1",
    "values": "SELECT x FROM (VALUES (1)) AS v(x)",
    "array any": "SELECT id FROM fleet_company WHERE id = ANY(ARRAY[1, 2])",
    "current_user": "SELECT current_user",
    "version": "SELECT version()",
}


@pytest.mark.django_db
@pytest.mark.parametrize("text", ATTACKS.values(), ids=ATTACKS.keys())
def test_guard_refuses_attack_with_a_reason(text):
    with pytest.raises(SqlRefused) as refused:
        sql_check(text, dialect="postgres")

    assert refused.value.message
    assert refused.value.status_code == 400


REASONS = {
    "SELECT 1; DROP TABLE x": "Write exactly one statement: a semicolon may only end the query.",
    "SELECT 1 /* ; DROP TABLE x */": "Comments are not allowed in a query.",
    "SELECT * FROM accounts_user": (
        "accounts_user has columns that are not readable: name the columns instead of *."
    ),
    "SELECT id FROM fleet_company FOR UPDATE": (
        "The query is refused: FOR UPDATE / FOR SHARE is not allowed."
    ),
    "SELECT pg_sleep(5)": "The query is refused: it calls a function that is not allowed.",
    "WITH d AS (DELETE FROM fleet_company RETURNING id) SELECT id FROM d": (
        "Every WITH query must be a SELECT."
    ),
    "COPY fleet_company TO '/tmp/x'": "Only a SELECT query may run; this is a COPY.",
    "SELECT id INTO t FROM fleet_company": "The query is refused: SELECT ... INTO is not allowed.",
    "SELECT rolname FROM pg_authid": "The table pg_authid is not readable.",
    "SELECT 1\u00a0": "The character U+00A0 is only allowed inside quotes.",
}


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "reason"), REASONS.items())
def test_guard_names_the_reason(text, reason):
    with pytest.raises(SqlRefused) as refused:
        sql_check(text, dialect="postgres")

    assert refused.value.message == reason


def test_password_is_named_as_not_readable():
    with pytest.raises(SqlRefused) as refused:
        sql_check("SELECT password FROM accounts_user", dialect="postgres")

    assert refused.value.message.startswith("A column or table is not readable or does not exist")
    assert "password" in refused.value.message


ALLOWED = {
    "columns": (
        "SELECT id, name FROM fleet_company",
        'SELECT "fleet_company"."id" AS "id", "fleet_company"."name" AS "name" '
        'FROM "fleet_company" AS "fleet_company" LIMIT 1001',
    ),
    "trailing semicolon, any case": (
        "select ID from FLEET_COMPANY ;",
        'SELECT "fleet_company"."id" AS "id" FROM "fleet_company" AS "fleet_company" LIMIT 1001',
    ),
    "a string with quotes and semicolons stays a string": (
        "SELECT 'a'';DROP TABLE x;--' AS s",
        "SELECT 'a'';DROP TABLE x;--' AS \"s\" LIMIT 1001",
    ),
    "join, group by, count": (
        "SELECT c.name, count(v.id) AS vehicles FROM fleet_company c "
        "LEFT JOIN fleet_vehicle v ON v.company_id = c.id GROUP BY c.name ORDER BY vehicles DESC",
        'SELECT "c"."name" AS "name", COUNT("v"."id") AS "vehicles" FROM "fleet_company" AS "c" '
        'LEFT JOIN "fleet_vehicle" AS "v" ON "v"."company_id" = "c"."id" GROUP BY "c"."name" '
        'ORDER BY "vehicles" DESC LIMIT 1001',
    ),
    "cte of selects": (
        "WITH x AS (SELECT id, name FROM fleet_company) SELECT name FROM x",
        'WITH "x" AS (SELECT "fleet_company"."id" AS "id", "fleet_company"."name" AS "name" '
        'FROM "fleet_company" AS "fleet_company") SELECT "x"."name" AS "name" FROM "x" AS "x" '
        "LIMIT 1001",
    ),
    "window function": (
        "SELECT role, row_number() OVER (PARTITION BY role ORDER BY date_joined) AS n "
        "FROM accounts_user",
        'SELECT "accounts_user"."role" AS "role", ROW_NUMBER() OVER (PARTITION BY '
        '"accounts_user"."role" ORDER BY "accounts_user"."date_joined") AS "n" '
        'FROM "accounts_user" AS "accounts_user" LIMIT 1001',
    ),
    "count star of a table with withheld columns": (
        "SELECT count(*) FROM accounts_user",
        'SELECT COUNT(*) AS "_col_0" FROM "accounts_user" AS "accounts_user" LIMIT 1001',
    ),
    "a lower limit is kept": (
        "SELECT id FROM fleet_company LIMIT 10",
        'SELECT "fleet_company"."id" AS "id" FROM "fleet_company" AS "fleet_company" LIMIT 10',
    ),
    "a higher limit is lowered": (
        "SELECT id FROM fleet_company LIMIT 50000",
        'SELECT "fleet_company"."id" AS "id" FROM "fleet_company" AS "fleet_company" LIMIT 1001',
    ),
    "union limited as a whole": (
        "SELECT id FROM fleet_company UNION SELECT id FROM fleet_station",
        'SELECT "fleet_company"."id" AS "id" FROM "fleet_company" AS "fleet_company" UNION '
        'SELECT "fleet_station"."id" AS "id" FROM "fleet_station" AS "fleet_station" LIMIT 1001',
    ),
    "dates": (
        "SELECT date_trunc('day', departure_at) AS d, count(*) AS n FROM fleet_trip GROUP BY 1",
        'SELECT DATE_TRUNC(\'DAY\', "fleet_trip"."departure_at") AS "d", COUNT(*) AS "n" '
        'FROM "fleet_trip" AS "fleet_trip" GROUP BY DATE_TRUNC(\'DAY\', '
        '"fleet_trip"."departure_at") LIMIT 1001',
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "rendered"), ALLOWED.values(), ids=ALLOWED.keys())
def test_guard_passes_reads_rendered_from_the_checked_tree(text, rendered):
    checked = sql_check(text, dialect="postgres")

    assert checked.sql == rendered
    assert checked.row_limit == 1000


def test_star_expands_over_the_allowed_columns_of_a_table_with_nothing_withheld():
    checked = sql_check("SELECT * FROM fleet_station", dialect="postgres")

    expected = ", ".join(
        f'"fleet_station"."{column}" AS "{column}"'
        for column in readable_columns()["fleet_station"]
    )
    assert checked.sql == f'SELECT {expected} FROM "fleet_station" AS "fleet_station" LIMIT 1001'
    assert checked.tables == frozenset({"fleet_station"})


@override_settings(TTMS_SQL_ROW_LIMIT=5)
def test_row_limit_setting_caps_the_query():
    checked = sql_check("SELECT id FROM fleet_company LIMIT 7", dialect="postgres")

    assert checked.sql.endswith("LIMIT 6")
    assert checked.row_limit == 5


def test_every_field_of_a_listed_model_is_readable_or_withheld():
    undecided = {}
    for label in READABLE.keys() | WITHHELD.keys():
        model = apps.get_model(label)
        fields = {field.name for field in model._meta.concrete_fields}
        decided = set(READABLE.get(label, ())) | set(WITHHELD.get(label, {}))
        if fields != decided:
            undecided[label] = sorted(fields ^ decided)
    assert undecided == {}


def test_no_field_is_both_readable_and_withheld():
    both = {
        label: sorted(set(READABLE[label]) & set(WITHHELD[label]))
        for label in READABLE.keys() & WITHHELD.keys()
    }
    assert {label: names for label, names in both.items() if names} == {}


def test_withheld_secrets_and_contacts_resolve_to_their_columns():
    withheld = withheld_columns()

    assert set(withheld["accounts_user"]) == {"password", "email", "phone"}
    assert set(withheld["booking_ticketkey"]) == {"hmac_secret", "ed25519_private"}
    assert set(withheld["booking_pnr"]) == {"buyer_phone"}
    assert set(withheld["booking_passenger"]) == {"passport_number"}
    assert "password" not in readable_columns()["accounts_user"]
    assert "user_id" in readable_columns()["payments_account"]


def test_sessions_permissions_and_admin_log_are_not_listed():
    readable = readable_columns()

    assert {"django_session", "auth_permission", "auth_group", "django_admin_log"} & set(
        readable
    ) == set()


def test_dates_are_rendered_with_strftime_for_sqlite():
    checked = sql_check(
        "SELECT date_trunc('month', departure_at) AS m, extract(year FROM departure_at) AS y "
        "FROM fleet_trip",
        dialect="sqlite",
    )

    assert checked.sql == (
        'SELECT STRFTIME(\'%Y-%m-01 00:00:00\', "fleet_trip"."departure_at") AS "m", '
        'CAST(STRFTIME(\'%Y\', "fleet_trip"."departure_at") AS INTEGER) AS "y" '
        'FROM "fleet_trip" AS "fleet_trip" LIMIT 1001'
    )


def test_strftime_typed_by_hand_is_still_refused_for_sqlite():
    with pytest.raises(SqlRefused):
        sql_check("SELECT strftime('%Y', departure_at) FROM fleet_trip", dialect="sqlite")
