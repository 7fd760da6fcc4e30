"""The second wall on PostgreSQL: a role that can read the allowed columns and nothing else,
which platform admins' queries run as (`SET LOCAL ROLE`)."""

from django.conf import settings
from django.db import connection, transaction
from psycopg import sql as pg

from .allowlist import readable_columns, withheld_columns


def sql_role_grant(*, role: str | None = None) -> dict[str, int]:
    """Create `role` (default TTMS_SQL_ROLE) NOLOGIN if it is missing, take back every
    privilege it holds on the schema's tables and sequences, grant SELECT on the allow-list
    (by column where a table has withheld columns), and grant the role to the connected user
    so that SET ROLE works. Idempotent; PostgreSQL only (ValueError elsewhere).

    One transaction; takes the catalogue locks GRANT and REVOKE take. Roles belong to the
    whole cluster, grants to this database: run it in each database after `migrate` (a new
    table is readable only once it is in the allow-list and this has run again).
    Returns counts: {"tables": ..., "column_tables": ...}.
    """
    if connection.vendor != "postgresql":
        raise ValueError("The SQL role exists on PostgreSQL only.")
    role = role or settings.TTMS_SQL_ROLE
    name = pg.Identifier(role)
    readable = readable_columns()
    withheld = withheld_columns()
    existing = set(connection.introspection.table_names())
    counts = {"tables": 0, "column_tables": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(
                pg.SQL("CREATE ROLE {} NOLOGIN").format(name).as_string(cursor.connection)
            )
        for statement in (
            "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}",
            "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}",
            "REVOKE CREATE ON SCHEMA public FROM {}",
            "GRANT USAGE ON SCHEMA public TO {}",
        ):
            cursor.execute(pg.SQL(statement).format(name).as_string(cursor.connection))
        for table, columns in sorted(readable.items()):
            if table not in existing or not columns:
                continue
            if table in withheld:
                grant = pg.SQL("GRANT SELECT ({}) ON {} TO {}").format(
                    pg.SQL(", ").join(pg.Identifier(c) for c in columns),
                    pg.Identifier(table),
                    name,
                )
                counts["column_tables"] += 1
            else:
                grant = pg.SQL("GRANT SELECT ON {} TO {}").format(pg.Identifier(table), name)
                counts["tables"] += 1
            cursor.execute(grant.as_string(cursor.connection))
        cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", [role])
        if not cursor.fetchone()[0]:
            cursor.execute(
                pg.SQL("GRANT {} TO CURRENT_USER").format(name).as_string(cursor.connection)
            )
    return counts
