"""The first wall in front of a platform admin's SQL: the text is parsed with sqlglot (never
pattern-matched) and accepted only when it is one read of the allowed tables and columns,
through allowed expressions and pure functions; what runs is then rendered from the checked
tree, never the text as typed.

Everything is an allow-list: expression kinds, functions, casts, clauses. Whatever sqlglot
knows but the lists do not name (a write, DDL, `COPY`, `FOR UPDATE`, `INTO`, an unknown
function such as `pg_sleep` or `dblink`) is refused, and so is whatever it does not know.

`*` is expanded over the allowed columns of a table that has nothing withheld; on a table with
withheld columns (accounts_user, booking_pnr, ...) it is refused, so that nobody mistakes a
partial row for the whole one.
"""

import logging
from dataclasses import dataclass

import sqlglot
from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope
from sqlglot.tokens import TokenType

from ttms.exceptions import DomainError

from .allowlist import readable_columns, withheld_columns

# Longer texts are refused before parsing: no report needs more, and the parser's time grows
# with the text.
MAX_SQL_CHARS = 20_000

# Set operations of selects, and the statement itself.
STATEMENTS = (exp.Select, exp.Union, exp.Intersect, exp.Except)

# The expression kinds a query may be built of (sqlglot's classes; subclasses do not count).
STRUCTURE = {
    exp.Select,
    exp.Union,
    exp.Intersect,
    exp.Except,
    exp.With,
    exp.CTE,
    exp.From,
    exp.Join,
    exp.Table,
    exp.TableAlias,
    exp.Subquery,
    exp.Where,
    exp.Group,
    exp.Having,
    exp.Order,
    exp.Ordered,
    exp.Limit,
    exp.Offset,
    exp.Distinct,
    exp.Alias,
    exp.Identifier,
    exp.Column,
    exp.Star,
    exp.Literal,
    exp.Boolean,
    exp.Null,
    exp.Paren,
    exp.Tuple,
    exp.Exists,
    exp.Case,
    exp.If,
    exp.Cast,
    exp.DataType,
    exp.Interval,
    exp.Window,
    exp.WindowSpec,
    exp.Filter,
    exp.WithinGroup,
    exp.AtTimeZone,
    # operators
    exp.And,
    exp.Or,
    exp.Not,
    exp.Neg,
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.Add,
    exp.Sub,
    exp.Mul,
    exp.Div,
    exp.Mod,
    exp.DPipe,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
}

# Pure functions: aggregates, windows, dates, text and numbers. Nothing that reads files,
# sleeps, changes settings, advances sequences or calls out.
FUNCTIONS = {
    exp.Count,
    exp.Sum,
    exp.Avg,
    exp.Min,
    exp.Max,
    exp.ArrayAgg,
    exp.GroupConcat,
    exp.PercentileCont,
    exp.Stddev,
    exp.StddevSamp,
    exp.Variance,
    exp.RowNumber,
    exp.Rank,
    exp.DenseRank,
    exp.Lag,
    exp.Lead,
    exp.Coalesce,
    exp.Nullif,
    exp.Greatest,
    exp.Least,
    exp.Extract,
    exp.TimestampTrunc,
    exp.DateTrunc,
    exp.CurrentTimestamp,
    exp.CurrentDate,
    exp.TimeToStr,
    exp.Lower,
    exp.Upper,
    exp.Initcap,
    exp.Length,
    exp.Substring,
    exp.Trim,
    exp.Concat,
    exp.Round,
    exp.Abs,
    exp.Floor,
    exp.Ceil,
    exp.Sign,
    exp.RegexpLike,
}

ALLOWED = STRUCTURE | FUNCTIONS

# A unit word (DAY, YEAR, EPOCH) is a bare `Var`, allowed only where a unit goes.
UNIT_PARENTS = (exp.Extract, exp.TimestampTrunc, exp.DateTrunc, exp.Interval)

CASTS = {
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.DECIMAL,
    exp.DataType.Type.DOUBLE,
    exp.DataType.Type.FLOAT,
    exp.DataType.Type.TEXT,
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.BOOLEAN,
    exp.DataType.Type.DATE,
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPTZ,
    exp.DataType.Type.INTERVAL,
}

# The clauses a select may have; any other (locks, INTO, TABLESAMPLE, LATERAL, ...) is refused.
SELECT_ARGS = {
    "expressions",
    "from",
    "from_",
    "joins",
    "where",
    "group",
    "having",
    "order",
    "limit",
    "offset",
    "distinct",
    "with",
    "with_",
    "windows",
}
SET_OPERATION_ARGS = {
    "this",
    "expression",
    "distinct",
    "by_name",
    "order",
    "limit",
    "offset",
    "with",
    "with_",
}
TABLE_ARGS = {"this", "alias"}
# How a refused clause is named to the person who wrote it.
CLAUSE_NAMES = {
    "locks": "FOR UPDATE / FOR SHARE",
    "into": "SELECT ... INTO",
    "laterals": "LATERAL",
    "sample": "TABLESAMPLE",
    "qualify": "QUALIFY",
}
JOIN_KINDS = {"", "INNER", "OUTER", "CROSS"}
JOIN_SIDES = {"", "LEFT", "RIGHT", "FULL"}

NAMED_REFUSALS = {
    exp.Lock: gettext_lazy("it locks rows (FOR UPDATE / FOR SHARE)"),
    exp.Into: gettext_lazy("it creates a table (SELECT ... INTO)"),
    exp.Anonymous: gettext_lazy("it calls a function that is not allowed"),
    exp.Dot: gettext_lazy("it reaches into a whole row or a composite value"),
    exp.Placeholder: gettext_lazy("it has a parameter placeholder"),
    exp.Insert: gettext_lazy("it writes"),
    exp.Update: gettext_lazy("it writes"),
    exp.Delete: gettext_lazy("it writes"),
    exp.Merge: gettext_lazy("it writes"),
}

logger = logging.getLogger(__name__)


class SqlRefused(DomainError):
    """The text is not one read of the allowed tables; nothing ran."""

    code = "sql_refused"
    status_code = 400


@dataclass(frozen=True)
class Checked:
    """A query that passed the guard: `sql` is what runs (rendered from the checked tree for
    `dialect`, with a LIMIT of `row_limit` + 1 rows when the row limit applies, so that the
    caller can tell a cut result); `tables` are the tables it reads."""

    sql: str
    dialect: str
    row_limit: int
    tables: frozenset[str]


def sql_check(text: str, *, dialect: str | None = None, row_limit: int | None = None) -> Checked:
    """Check `text`, one read-only query by a platform admin, and return what may run.

    `dialect` is the database's ("postgres" or "sqlite"; default: the default connection's);
    the text is always read as PostgreSQL. `row_limit` defaults to TTMS_SQL_ROW_LIMIT; a LIMIT
    of the user's that is lower is kept.

    Raises SqlRefused, with the reason a person reads, for anything but one SELECT (or a set
    operation of selects, with CTEs that are selects) over the allowed tables and columns,
    through allowed expressions and functions, without comments, locks or INTO. Takes no
    lock and touches no database.
    """
    dialect = dialect or _dialect()
    row_limit = settings.TTMS_SQL_ROW_LIMIT if row_limit is None else row_limit
    try:
        return _check(text, dialect=dialect, row_limit=row_limit)
    except SqlRefused:
        raise
    except RecursionError:
        logger.warning("sql guard: nested too deeply to check")
        raise SqlRefused(_("The query is nested too deeply; simplify it.")) from None
    except Exception:
        # The parser or the qualifier tripping over a text (deep nesting, a tree it did not
        # expect) is a refusal, never a run and never a server error.
        logger.exception(
            "sql guard: could not check %r", text[:200] if isinstance(text, str) else text
        )
        raise SqlRefused(_("The query could not be checked safely; simplify it.")) from None


def _check(text: str, *, dialect: str, row_limit: int) -> Checked:
    tree = _parse(text)
    tree, tables = _checked_tree(tree)
    limit = _limit_of(tree)
    if limit is None or limit > row_limit:
        limit = row_limit + 1
    _set_limit(tree, limit)
    sql = _render(tree, dialect)
    # The rendered text must read back as the same checked query: a difference between what
    # was checked and what runs is refused rather than run.
    # (The rendering, every column named with its table, may be longer than the text was.)
    again, _tables = _checked_tree(_parse(tree.sql(dialect="postgres"), max_chars=None))
    if _render(again, dialect) != sql:
        logger.warning("sql guard: rendering not stable for %r", text[:200])
        raise SqlRefused(_("The query could not be checked safely; simplify it."))
    return Checked(sql=sql, dialect=dialect, row_limit=row_limit, tables=frozenset(tables))


# SQLite (the embedded mode) has neither date_trunc nor extract: both become strftime over
# the text Django stores datetimes as (UTC).
SQLITE_TRUNC = {
    "YEAR": "%Y-01-01 00:00:00",
    "MONTH": "%Y-%m-01 00:00:00",
    "DAY": "%Y-%m-%d 00:00:00",
    "HOUR": "%Y-%m-%d %H:00:00",
    "MINUTE": "%Y-%m-%d %H:%M:00",
}
SQLITE_EXTRACT = {
    "YEAR": "%Y",
    "MONTH": "%m",
    "DAY": "%d",
    "HOUR": "%H",
    "MINUTE": "%M",
    "DOW": "%w",
    "DOY": "%j",
    "EPOCH": "%s",
}


def _render(tree: exp.Expression, dialect: str) -> str:
    if dialect != "sqlite":
        return tree.sql(dialect=dialect)
    return tree.copy().transform(_sqlite_dates).sql(dialect="sqlite")


def _sqlite_dates(node: exp.Expression) -> exp.Expression:
    if isinstance(node, (exp.TimestampTrunc, exp.DateTrunc)):
        unit = node.args.get("unit")
        fmt = SQLITE_TRUNC.get(unit.name.upper()) if unit is not None else None
        if fmt:
            return exp.Anonymous(this="strftime", expressions=[exp.Literal.string(fmt), node.this])
    if isinstance(node, exp.Extract):
        fmt = SQLITE_EXTRACT.get(node.this.name.upper())
        if fmt:
            strftime = exp.Anonymous(
                this="strftime", expressions=[exp.Literal.string(fmt), node.expression]
            )
            return exp.Cast(this=strftime, to=exp.DataType.build("INTEGER"))
    return node


def _dialect() -> str:
    return "postgres" if connection.vendor == "postgresql" else "sqlite"


def _parse(text: str, *, max_chars: int | None = MAX_SQL_CHARS) -> exp.Expression:
    if not isinstance(text, str) or not text.strip():
        raise SqlRefused(_("Write one SELECT query."))
    if max_chars is not None and len(text) > max_chars:
        raise SqlRefused(_("The query is longer than %(max)d characters.") % {"max": MAX_SQL_CHARS})
    try:
        tokens = sqlglot.Dialect.get_or_raise("postgres").tokenize(text)
    except SqlglotError:
        raise SqlRefused(_("The query could not be read (an unclosed quote?).")) from None
    _check_tokens(text, tokens)
    try:
        statements = [s for s in sqlglot.parse(text, dialect="postgres") if s is not None]
    except SqlglotError as error:
        raise SqlRefused(
            _("The query could not be read: %(error)s") % {"error": _first_line(error)}
        ) from None
    if len(statements) != 1:
        raise SqlRefused(_("Write exactly one statement."))
    statement = statements[0]
    if not isinstance(statement, STATEMENTS):
        raise SqlRefused(
            _("Only a SELECT query may run; this is a %(kind)s.") % {"kind": _kind(statement)}
        )
    return statement


def _check_tokens(text: str, tokens) -> None:
    """Comments, a second statement and characters that read differently in other tools are
    refused from the tokens, so that text inside string literals stays free."""
    if any(token.comments for token in tokens):
        raise SqlRefused(_("Comments are not allowed in a query."))
    semicolons = [i for i, token in enumerate(tokens) if token.token_type == TokenType.SEMICOLON]
    if semicolons and semicolons != [len(tokens) - 1]:
        raise SqlRefused(_("Write exactly one statement: a semicolon may only end the query."))
    outside = []
    position = 0
    for token in tokens:
        if token.token_type in (TokenType.STRING, TokenType.HEREDOC_STRING):
            outside.append(text[position : token.start])
            position = token.end + 1
    outside.append(text[position:])
    for part in outside:
        for char in part:
            if not (char.isascii() and (char.isprintable() or char in "\t\n\r")):
                raise SqlRefused(
                    _("The character %(char)s is only allowed inside quotes.")
                    % {"char": f"U+{ord(char):04X}"}
                )
    if "\x00" in text:
        raise SqlRefused(_("The query contains a NUL character."))


def _checked_tree(statement: exp.Expression) -> tuple[exp.Expression, set[str]]:
    """The statement qualified against the allowed columns (every column named with its
    table, stars expanded), after every node, table and column is checked."""
    readable = readable_columns()
    withheld = withheld_columns()
    statement = normalize_identifiers(statement.copy(), dialect="postgres")
    _check_nodes(statement)
    cte_names = {cte.alias_or_name for cte in statement.find_all(exp.CTE)}
    for name in cte_names:
        if name in readable or name in withheld:
            raise SqlRefused(
                _("A WITH name may not be the name of a table: %(name)s.") % {"name": name}
            )
    _check_stars(statement, cte_names, withheld)
    for table in statement.find_all(exp.Table):
        if table.name not in readable and not _is_cte_reference(table):
            raise SqlRefused(_("The table %(table)s is not readable.") % {"table": table.name})
    schema = {table: dict.fromkeys(columns, "TEXT") for table, columns in readable.items()}
    try:
        qualified = qualify(
            statement,
            schema=schema,
            dialect="postgres",
            validate_qualify_columns=True,
            quote_identifiers=True,
            expand_stars=True,
        )
    except OptimizeError as error:
        raise SqlRefused(
            _("A column or table is not readable or does not exist: %(error)s")
            % {"error": _first_line(error)}
        ) from None
    except SqlglotError as error:
        raise SqlRefused(
            _("The query could not be checked: %(error)s") % {"error": _first_line(error)}
        ) from None
    _check_nodes(qualified)
    tables = _check_sources(qualified, readable)
    return qualified, tables


def _check_nodes(tree: exp.Expression) -> None:
    for node in tree.walk():
        kind = type(node)
        if kind in NAMED_REFUSALS:
            raise SqlRefused(_("The query is refused: %(why)s.") % {"why": NAMED_REFUSALS[kind]})
        if kind is exp.Var:
            if not isinstance(node.parent, UNIT_PARENTS):
                raise SqlRefused(
                    _("The word %(word)s is not understood here.") % {"word": node.name}
                )
            continue
        if kind not in ALLOWED:
            raise SqlRefused(
                _("The query is refused: %(kind)s is not allowed.") % {"kind": _kind(node)}
            )
        if kind in STATEMENTS or kind is exp.Subquery:
            _check_args(node)
        elif kind is exp.Table:
            _check_table_node(node)
        elif kind is exp.Join:
            _check_join(node)
        elif kind is exp.DataType:
            if node.this not in CASTS or node.expressions:
                raise SqlRefused(
                    _("A cast to %(type)s is not allowed.") % {"type": node.sql("postgres")}
                )
        elif kind is exp.CTE:
            if not isinstance(node.this, STATEMENTS):
                raise SqlRefused(_("Every WITH query must be a SELECT."))
        elif kind is exp.With and node.args.get("recursive"):
            raise SqlRefused(_("Recursive WITH queries are not allowed."))


def _check_args(node: exp.Expression) -> None:
    if isinstance(node, exp.Select):
        allowed = SELECT_ARGS
    elif isinstance(node, exp.Subquery):
        allowed = {"this", "alias"}
    else:
        allowed = SET_OPERATION_ARGS
    extra = sorted(key for key, value in node.args.items() if value and key not in allowed)
    if extra:
        raise SqlRefused(
            _("The query is refused: %(clause)s is not allowed.")
            % {"clause": CLAUSE_NAMES.get(extra[0], extra[0].upper())}
        )
    limit = node.args.get("limit")
    if limit is not None and not isinstance(limit, exp.Limit):
        raise SqlRefused(_("Use LIMIT to limit the rows."))
    distinct = node.args.get("distinct")
    if isinstance(distinct, exp.Distinct) and distinct.args.get("on") is not None:
        raise SqlRefused(_("DISTINCT ON is not allowed."))


def _check_table_node(table: exp.Table) -> None:
    extra = sorted(key for key, value in table.args.items() if value and key not in TABLE_ARGS)
    if extra:
        raise SqlRefused(
            _("Name a table by its name only, without a schema or options: %(table)s.")
            % {"table": table.sql("postgres")}
        )
    if not isinstance(table.this, exp.Identifier):
        raise SqlRefused(_("Only tables may be read, not functions."))
    alias = table.args.get("alias")
    if alias is not None and alias.columns:
        # Column aliases rename a table's columns by position, which would reach columns the
        # check never saw.
        raise SqlRefused(_("Column aliases on a table are not allowed; alias the columns."))


def _check_join(join: exp.Join) -> None:
    kind = (join.args.get("kind") or "").upper()
    side = (join.args.get("side") or "").upper()
    method = (join.args.get("method") or "").upper()
    if method or kind not in JOIN_KINDS or side not in JOIN_SIDES:
        raise SqlRefused(
            _("This kind of join is not allowed: %(join)s.") % {"join": (method or kind or side)}
        )
    if join.args.get("using") and any(
        not isinstance(u, exp.Identifier) for u in join.args["using"]
    ):
        raise SqlRefused(_("JOIN ... USING names columns only."))


def _check_stars(statement: exp.Expression, cte_names: set[str], withheld: dict) -> None:
    """Refuse `*` (or `alias.*`) over a table with withheld columns."""
    for select in statement.find_all(exp.Select):
        for projection in select.expressions:
            if isinstance(projection, exp.Star):
                qualifier = None
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                qualifier = projection.table
            else:
                continue
            for table in _direct_tables(select):
                name, alias = table.name, table.alias_or_name
                if qualifier and qualifier != alias:
                    continue
                if name in withheld and name not in cte_names:
                    raise SqlRefused(
                        _(
                            "%(table)s has columns that are not readable: name the columns "
                            "instead of *."
                        )
                        % {"table": name}
                    )


def _direct_tables(select: exp.Select):
    sources = []
    from_ = select.args.get("from") or select.args.get("from_")
    if from_ is not None:
        sources.append(from_.this)
    sources.extend(join.this for join in select.args.get("joins") or [])
    return [source for source in sources if isinstance(source, exp.Table)]


def _check_sources(tree: exp.Expression, readable: dict[str, tuple[str, ...]]) -> set[str]:
    """Independently of the qualifier: every table read is allowed and every column resolves
    to an allowed column of a table in scope, or to a column of a derived table, or (in an
    ORDER BY, alone) to an output name."""
    tables: set[str] = set()
    checked: set[int] = set()
    for scope in traverse_scope(tree):
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                if source.name not in readable:
                    raise SqlRefused(
                        _("The table %(table)s is not readable.") % {"table": source.name}
                    )
                tables.add(source.name)
        for column in scope.columns:
            if not column.table:
                continue
            source = _resolve(scope, column.table)
            if isinstance(source, exp.Table):
                if column.name not in readable.get(source.name, ()):
                    raise SqlRefused(
                        _("The column %(table)s.%(column)s is not readable.")
                        % {"table": source.name, "column": column.name}
                    )
            elif isinstance(source, Scope):
                if column.name not in source.expression.named_selects:
                    raise SqlRefused(
                        _("The column %(column)s is not in %(table)s.")
                        % {"column": column.name, "table": column.table}
                    )
            else:
                raise SqlRefused(
                    _("The column %(column)s could not be resolved.") % {"column": column.sql()}
                )
            checked.add(id(column))
    for table in tree.find_all(exp.Table):
        if table.name not in readable and not _is_cte_reference(table):
            raise SqlRefused(_("The table %(table)s is not readable.") % {"table": table.name})
    for column in tree.find_all(exp.Column):
        if id(column) in checked:
            continue
        if not column.table and isinstance(column.parent, exp.Ordered):
            owner = column.parent.parent.parent if column.parent.parent else None
            if owner is not None and column.name in getattr(owner, "named_selects", ()):
                continue
        raise SqlRefused(
            _("The column %(column)s could not be resolved.") % {"column": column.sql()}
        )
    return tables


def _resolve(scope: Scope, name: str):
    while scope is not None:
        if name in scope.sources:
            return scope.sources[name]
        scope = scope.parent
    return None


def _is_cte_reference(table: exp.Table) -> bool:
    node = table
    while node is not None:
        with_ = (
            node.args.get("with") or node.args.get("with_")
            if isinstance(node, exp.Expression)
            else None
        )
        if with_ is not None and any(cte.alias_or_name == table.name for cte in with_.expressions):
            return True
        node = node.parent
    return False


def _limit_of(tree: exp.Expression) -> int | None:
    limit = tree.args.get("limit")
    if limit is None:
        return None
    value = limit.expression
    if not (isinstance(value, exp.Literal) and value.is_int):
        raise SqlRefused(_("LIMIT must be a whole number."))
    return max(int(value.this), 0)


def _set_limit(tree: exp.Expression, limit: int) -> None:
    tree.set("limit", exp.Limit(expression=exp.Literal.number(limit)))


def _kind(node: exp.Expression) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    return getattr(node, "key", type(node).__name__).upper()


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__
