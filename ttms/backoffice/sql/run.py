"""Running a platform admin's checked SQL behind the second wall: a read-only transaction with
a statement timeout, as a role that holds SELECT grants only (PostgreSQL), or a connection
that refuses writes and reads only the allowed columns (SQLite). Every query, run, refused or
failed, is written to the audit trail with its author."""

import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ttms.audit.services import audit_record
from ttms.exceptions import DomainError

from .allowlist import readable_columns
from .guard import MAX_SQL_CHARS, Checked, SqlRefused, sql_check

# The SQLite progress handler runs every this many virtual machine instructions.
SQLITE_PROGRESS_STEPS = 10_000
# A recursive CTE's step (the guard refuses them; the timeout bounds them here).
SQLITE_RECURSIVE = getattr(sqlite3, "SQLITE_RECURSIVE", 33)


class SqlNotAllowed(DomainError):
    code = "sql_not_allowed"
    status_code = 403
    default_message = gettext_lazy("Only platform admins may run SQL.")


class SqlFailed(DomainError):
    """The query passed the guard but the database stopped it (timeout, permission, error)."""

    code = "sql_failed"
    status_code = 400


@dataclass(frozen=True)
class Result:
    columns: list[str]
    rows: list[tuple]
    truncated: bool
    elapsed_ms: int
    sql: str


def sql_run(*, text: str, by) -> Result:
    """Check `text` with the guard and run it for `by`, a platform admin.

    Runs in a transaction of its own that is read-only, limited to TTMS_SQL_TIMEOUT_MS, as
    the role TTMS_SQL_ROLE when it exists (PostgreSQL), and always rolled back; on SQLite
    with writes refused (`PRAGMA query_only`), an authorizer that allows reads of the allowed
    columns only, and a progress check for the timeout. Takes no lock. At most
    TTMS_SQL_ROW_LIMIT rows come back; `truncated` says there were more.

    Writes one audit entry ("sql.ran", "sql.refused" or "sql.failed") with the text, on the
    author's user, after the query, in a transaction of its own. Raises SqlNotAllowed for
    anyone but a platform admin, SqlRefused when the guard refuses, SqlFailed when the
    database stops the query.
    """
    if not getattr(by, "is_platform_admin", False):
        raise SqlNotAllowed()
    logged = text[:MAX_SQL_CHARS] if isinstance(text, str) else ""
    try:
        checked = sql_check(text)
    except SqlRefused as refusal:
        _audit(by, "sql.refused", {"sql": logged, "reason": refusal.message})
        raise
    started = time.monotonic()
    try:
        columns, rows = execute_read_only(checked)
    except SqlFailed as failure:
        _audit(by, "sql.failed", {"sql": logged, "reason": failure.message})
        raise
    elapsed_ms = int((time.monotonic() - started) * 1000)
    truncated = len(rows) > checked.row_limit
    rows = rows[: checked.row_limit]
    _audit(
        by,
        "sql.ran",
        {
            "sql": logged,
            "tables": sorted(checked.tables),
            "rows": len(rows),
            "truncated": truncated,
            "elapsed_ms": elapsed_ms,
        },
    )
    return Result(
        columns=columns, rows=rows, truncated=truncated, elapsed_ms=elapsed_ms, sql=checked.sql
    )


def execute_read_only(checked: Checked) -> tuple[list[str], list[tuple]]:
    """Run `checked.sql` behind the database's wall and return (columns, rows). Public for
    the tests that show the wall holds without the guard."""
    try:
        if connection.vendor == "postgresql":
            return _run_postgres(checked.sql)
        return _run_sqlite(checked.sql)
    except DatabaseError as error:
        raise SqlFailed(_database_reason(error)) from None


def _run_postgres(sql: str) -> tuple[list[str], list[tuple]]:
    timeout_ms = int(settings.TTMS_SQL_TIMEOUT_MS)
    role = settings.TTMS_SQL_ROLE
    # A savepoint when the caller holds a transaction: rolling it back also undoes the
    # read-only mode, the timeout and the role, which would otherwise last to its end.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(f"SET LOCAL statement_timeout = {timeout_ms}")
            # The checked text was rendered for standard strings, where a backslash is a
            # plain character.
            cursor.execute("SET LOCAL standard_conforming_strings = on")
            if role and role_usable(cursor, role):
                cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(role)}")
            cursor.execute(sql)
            columns = [column.name for column in cursor.description]
            rows = cursor.fetchall()
        transaction.set_rollback(True)
    return columns, rows


def role_usable(cursor, role: str) -> bool:
    """Whether `role` exists and the connected user may SET ROLE to it."""
    cursor.execute(
        "SELECT pg_has_role(current_user, oid, 'MEMBER') FROM pg_roles WHERE rolname = %s",
        [role],
    )
    found = cursor.fetchone()
    return bool(found and found[0])


def _run_sqlite(sql: str) -> tuple[list[str], list[tuple]]:
    connection.ensure_connection()
    raw = connection.connection
    deadline = time.monotonic() + settings.TTMS_SQL_TIMEOUT_MS / 1000
    readable = readable_columns()
    tables = set(connection.introspection.table_names()) | {
        "sqlite_master",
        "sqlite_schema",
        "sqlite_temp_master",
        "sqlite_temp_schema",
    }

    def authorize(action, arg1, arg2, _database, _trigger):
        if action in (sqlite3.SQLITE_SELECT, SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ:
            # A CTE's rows arrive under its own name, a column of a subquery under the table
            # it came from; an empty column is a read of a row's existence (count(*)).
            if arg1 not in tables:
                return sqlite3.SQLITE_OK
            if arg1 in readable and (not arg2 or arg2 in readable[arg1]):
                return sqlite3.SQLITE_OK
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_FUNCTION:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    raw.execute("PRAGMA query_only = ON")
    raw.set_authorizer(authorize)
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), SQLITE_PROGRESS_STEPS)
    try:
        cursor = raw.execute(sql)
        columns = [column[0] for column in cursor.description]
        rows = [tuple(_aware(value) for value in row) for row in cursor.fetchall()]
    except sqlite3.DatabaseError as error:
        raise SqlFailed(_sqlite_reason(error)) from None
    finally:
        raw.set_progress_handler(None, 0)
        raw.set_authorizer(None)
        raw.execute("PRAGMA query_only = OFF")
    return columns, rows


def _aware(value):
    """SQLite hands datetimes back naive; Django stores them in UTC, as PostgreSQL returns
    them (aware)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _sqlite_reason(error: sqlite3.DatabaseError) -> str:
    if "interrupted" in str(error):
        return _("The query took longer than %(ms)d ms and was stopped.") % {
            "ms": settings.TTMS_SQL_TIMEOUT_MS
        }
    if "not authorized" in str(error) or "prohibited" in str(error):
        return _("The database refused the query: it reads or writes what is not allowed.")
    return _("The database could not run the query: %(error)s") % {"error": str(error)[:200]}


def _database_reason(error: DatabaseError) -> str:
    sqlstate = getattr(getattr(error, "__cause__", None), "sqlstate", None)
    if sqlstate == "57014":
        return _("The query took longer than %(ms)d ms and was stopped.") % {
            "ms": settings.TTMS_SQL_TIMEOUT_MS
        }
    if sqlstate in ("42501", "25006"):
        return _("The database refused the query: it reads or writes what is not allowed.")
    first_line = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    return _("The database could not run the query: %(error)s") % {"error": first_line}


def _audit(by, action: str, data: dict) -> None:
    with transaction.atomic():
        audit_record(actor=by, action=action, target=by, data=data)
