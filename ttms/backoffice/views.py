"""The back office's pages: the operator's dashboard (the admin home of company staff), the
platform's (platform admins), each table also as CSV (`?export=<table>`); the staff analyst
(questions answered as reports) and the platform admins' SQL page."""

import contextlib
import json
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fleet.selectors import companies_for_user, company_ids_for_user
from ttms import localtime
from ttms.llm import chat_json, llm_configured
from ttms.money import format_money, to_major_string

from . import exports, selectors
from .analyst import INTENTS, AnalystNotUnderstood, analyst_answer
from .forms import DEFAULT_RANGE_DAYS, AnalystForm, DashboardFilter, SqlForm, SqlQuestionForm
from .sql.allowlist import readable_columns
from .sql.guard import MAX_SQL_CHARS, SqlRefused
from .sql.run import SqlFailed, sql_run


def dashboard_index(request: HttpRequest) -> HttpResponse:
    """/admin/: the platform's dashboard for platform admins, the operator's for company
    staff, Django's list of models for staff of no company."""
    if company_ids_for_user(request.user) is None:
        return platform_dashboard(request)
    if not companies_for_user(request.user).exists():
        return admin.site.index(request)
    return operator_dashboard(request)


def _filter(request: HttpRequest, companies, *, with_route: bool) -> DashboardFilter:
    zones = list(companies.values_list("time_zone", flat=True).distinct()[:2])
    today = localtime.today(zones[0] if len(zones) == 1 else None)
    data = request.GET.copy()
    data.pop("export", None)
    # The fields show the range summed when the query names none.
    end = data.get("end") or today.isoformat()
    data["end"] = end
    if not data.get("start"):
        with contextlib.suppress(ValueError, OverflowError):  # a bad end: the form names it
            start = date.fromisoformat(end) - timedelta(days=DEFAULT_RANGE_DAYS - 1)
            data["start"] = start.isoformat()
    form = DashboardFilter(data, companies=companies, today=today, with_route=with_route)
    form.is_valid()
    return form


def _context(request: HttpRequest, title: str, form: DashboardFilter, **values) -> dict:
    query = request.GET.copy()
    query.pop("export", None)
    return {
        **admin.site.each_context(request),
        "title": title,
        "form": form,
        "query": query.urlencode(),
        "is_platform": company_ids_for_user(request.user) is None,
        **values,
    }


def _invalid(request: HttpRequest, template: str, title: str, form: DashboardFilter):
    if "export" in request.GET:
        return HttpResponseBadRequest(
            "; ".join(str(error) for errors in form.errors.values() for error in errors),
            content_type="text/plain; charset=utf-8",
        )
    return render(request, template, _context(request, title, form, invalid=True), status=400)


def _export(request: HttpRequest, tables: dict) -> HttpResponse:
    name = request.GET["export"]
    if name not in tables:
        return HttpResponseBadRequest(
            gettext("There is no table %(name)s to export.") % {"name": name[:40]},
            content_type="text/plain; charset=utf-8",
        )
    rows_of, rows = tables[name]
    return exports.csv_response(name, rows_of(rows))


def _money_view(days: list[selectors.MoneyDay]) -> list[dict]:
    return [
        {
            "row": day,
            "sales": format_money(day.sales, day.currency),
            "refunds": format_money(day.refunds, day.currency),
            "commission": format_money(day.commission, day.currency),
            "net": format_money(day.net, day.currency),
        }
        for day in days
    ]


def _totals_view(totals: list[selectors.MoneyTotal]) -> list[dict]:
    return [
        {
            "row": total,
            "sales": format_money(total.sales, total.currency),
            "refunds": format_money(total.refunds, total.currency),
            "commission": format_money(total.commission, total.currency),
            "net": format_money(total.net, total.currency),
        }
        for total in totals
    ]


def _chart_series(series: list[dict]) -> list[dict]:
    """Amounts for the charts in major units, as exact decimal strings."""
    return [
        {
            **item,
            **{
                name: [to_major_string(amount, item["currency"]) for amount in item[name]]
                for name in ("sales", "refunds", "commission")
            },
        }
        for item in series
    ]


def _minutes(seconds: int | None) -> str:
    if seconds is None:
        return ""
    return gettext("%(minutes)d min") % {"minutes": round(seconds / 60)}


def _road_view(row: selectors.OnTheRoad) -> dict:
    return {
        "row": row,
        "when": localtime.local_time(row.departure_at, row.zone),
        "fix_age": gettext("%(seconds)d s ago") % {"seconds": row.fix_age_seconds}
        if row.fix_age_seconds is not None
        else "",
        "speed": ""
        if row.speed_kmh is None
        else gettext("%(speed)d km/h") % {"speed": row.speed_kmh},
        "delay": _minutes(row.delay_seconds),
    }


OPERATOR_TITLE = _("Operator dashboard")
PLATFORM_TITLE = _("Platform dashboard")


def operator_dashboard(request: HttpRequest) -> HttpResponse:
    """Departures today and tomorrow, money and tickets per day, load per route, the top
    origin–destination pairs and the vehicles on the road, for the user's companies (or the
    one chosen); a route narrows every table but money."""
    companies = companies_for_user(request.user)
    if not companies.exists():
        raise PermissionDenied
    template = "backoffice/operator.html"
    form = _filter(request, companies, with_route=True)
    if not form.is_valid():
        return _invalid(request, template, OPERATOR_TITLE, form)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if form.cleaned_data.get("company"):
        companies = companies.filter(pk=form.cleaned_data["company"].pk)
    route = form.cleaned_data.get("route")
    if "export" in request.GET:
        tables = {
            "departures": (exports.departures_rows, None),
            "money": (exports.money_rows, None),
            "currencies": (exports.totals_rows, None),
            "routes": (exports.route_rows, None),
            "pairs": (exports.pair_rows, None),
            "road": (exports.road_rows, None),
        }
        name = request.GET["export"]
        if name in tables:
            tables[name] = (tables[name][0], _operator_table(name, companies, start, end, route))
        return _export(request, tables)
    days = selectors.money_by_day(companies=companies, start=start, end=end)
    routes = selectors.route_loads(companies=companies, start=start, end=end, route=route)
    context = _context(
        request,
        OPERATOR_TITLE,
        form,
        # Whose figures these are, even before the company's first sale.
        subtitle=", ".join(company.name for company in companies.order_by("name")[:4]),
        start=start,
        end=end,
        departures=[
            {"row": row, "when": localtime.local_time(row.departure_at, row.zone)}
            for row in selectors.departures(companies=companies, route=route)
        ],
        money=_money_view(days),
        totals=_totals_view(selectors.money_by_currency(days)),
        routes=routes,
        pairs=[
            {"row": pair, "fares": format_money(pair.fares, pair.currency)}
            for pair in selectors.top_pairs(companies=companies, start=start, end=end, route=route)
        ],
        road=[_road_view(row) for row in selectors.vehicles_on_the_road(companies=companies)],
        chart_data={
            "series": _chart_series(selectors.daily_series(days, start, end)),
            "routes": {
                "labels": [r.route_number for r in routes],
                "values": [None if r.load_factor is None else str(r.load_factor) for r in routes],
            },
        },
    )
    return render(request, template, context)


def _operator_table(name, companies, start, end, route):
    if name == "departures":
        return selectors.departures(companies=companies, route=route)
    if name == "money":
        return selectors.money_by_day(companies=companies, start=start, end=end)
    if name == "currencies":
        days = selectors.money_by_day(companies=companies, start=start, end=end)
        return selectors.money_by_currency(days)
    if name == "routes":
        return selectors.route_loads(companies=companies, start=start, end=end, route=route)
    if name == "pairs":
        return selectors.top_pairs(companies=companies, start=start, end=end, route=route)
    return selectors.vehicles_on_the_road(companies=companies)


def platform_dashboard(request: HttpRequest) -> HttpResponse:
    """Money and tickets per day and per company, totals per currency, companies ranked and
    the vehicles on the road: platform admins only (anyone else: 403)."""
    if company_ids_for_user(request.user) is not None:
        raise PermissionDenied
    companies = companies_for_user(request.user)
    template = "backoffice/platform.html"
    form = _filter(request, companies, with_route=False)
    if not form.is_valid():
        return _invalid(request, template, PLATFORM_TITLE, form)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if form.cleaned_data.get("company"):
        companies = companies.filter(pk=form.cleaned_data["company"].pk)
    days = selectors.money_by_day(companies=companies, start=start, end=end)
    road = selectors.vehicles_on_the_road(companies=companies)
    ranked = selectors.companies_ranked(companies=companies, days=days)
    currencies = selectors.money_by_currency(days)
    if "export" in request.GET:
        return _export(
            request,
            {
                "money": (exports.money_rows, days),
                "currencies": (exports.totals_rows, currencies),
                "companies": (exports.totals_rows, ranked),
                "vehicles": (exports.active_rows, selectors.active_vehicles(road)),
            },
        )
    context = _context(
        request,
        PLATFORM_TITLE,
        form,
        start=start,
        end=end,
        money=_money_view(days),
        totals=_totals_view(currencies),
        ranked=_totals_view(ranked),
        vehicles=selectors.active_vehicles(road),
        road_count=len(road),
        chart_data={
            "series": _chart_series(selectors.daily_series(days, start, end)),
            "companies": {
                "labels": [t.company_name for t in ranked],
                "values": [t.tickets for t in ranked],
            },
        },
    )
    return render(request, template, context)


def models_index(request: HttpRequest) -> HttpResponse:
    """Django's admin index (every model the user may reach), moved off the admin home."""
    return admin.site.index(request)


# --- The analyst ------------------------------------------------------------------------------

ANALYST_TITLE = _("Analyst")


def _local_today(companies) -> date:
    """The companies' local today when they share a zone, else the display zone's."""
    zones = list(companies.values_list("time_zone", flat=True).distinct()[:2])
    return localtime.today(zones[0] if len(zones) == 1 else None)


def analyst(request: HttpRequest) -> HttpResponse:
    """/admin/analyst/?q=...: the question's report as a table and a chart, `&export=csv`
    the same table as CSV; company staff and platform admins (anyone else: 403). A question
    not understood is a 400 with the reports to choose from."""
    companies = companies_for_user(request.user)
    is_platform = company_ids_for_user(request.user) is None
    if not is_platform and not companies.exists():
        raise PermissionDenied
    exporting = request.GET.get("export") == "csv"
    form = AnalystForm(request.GET if "q" in request.GET else None)
    context = {
        **admin.site.each_context(request),
        "title": ANALYST_TITLE,
        "form": form,
        "is_platform": is_platform,
        "examples": [str(intent.example) for intent in INTENTS],
    }
    template = "backoffice/analyst.html"
    if not form.is_bound:
        return render(request, template, context)
    if not form.is_valid():
        if exporting:
            return _plain_400("; ".join(e for errors in form.errors.values() for e in errors))
        return render(request, template, context, status=400)
    try:
        report = analyst_answer(
            text=form.cleaned_data["q"], user=request.user, today=_local_today(companies)
        )
    except AnalystNotUnderstood as refusal:
        if exporting:
            return _plain_400(refusal.message)
        context["error"] = refusal.message
        context["suggestions"] = [
            {"title": intent.title, "example": str(intent.example)}
            for intent in refusal.suggestions
        ]
        return render(request, template, context, status=400)
    if exporting:
        return exports.csv_response(f"analyst-{report.intent.name}", [report.columns, *report.rows])
    query = request.GET.copy()
    query.pop("export", None)
    context.update(
        report=report,
        table=_aligned(report.columns, report.rows),
        query=query.urlencode(),
        chart_data={"charts": report.charts},
    )
    return render(request, template, context)


_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _aligned(columns: list[str], rows: list[list]) -> dict:
    """The table with each column marked numeric (right-aligned) when every value in it is
    a number or an amount written as one."""
    numeric = [
        all(
            isinstance(row[i], int | float | Decimal) or bool(_NUMBER.fullmatch(str(row[i])))
            for row in rows
            if row[i] != ""
        )
        and any(row[i] != "" for row in rows)
        for i in range(len(columns))
    ]
    return {
        "columns": list(zip(columns, numeric, strict=True)),
        "rows": [list(zip(row, numeric, strict=True)) for row in rows],
    }


def _plain_400(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


# --- SQL for platform admins -------------------------------------------------------------------

SQL_TITLE = _("SQL")

SQL_SYSTEM_PROMPT = """You write one read-only PostgreSQL SELECT that answers the user's \
question about a ticketing database. Use only these tables and columns (table: columns):
{schema}
Money columns are integers in minor units beside a currency column; times are UTC. No \
comments, no semicolons inside, no functions beyond common aggregates, date_trunc, extract, \
coalesce, lower, upper, round. Answer with a JSON object {{"sql": "<the SELECT>"}} and \
nothing else."""


def _schema_text(readable: dict[str, tuple[str, ...]]) -> str:
    return "\n".join(
        f"{table}: {', '.join(columns)}" for table, columns in sorted(readable.items())
    )


def sql_from_question(question: str) -> str | None:
    """The model's SELECT for `question` (with the allow-list as the schema), or None when
    no model is configured or it gave no usable SQL. The text it returns is only a
    suggestion: it runs through the same guard as typed SQL."""
    answer = chat_json(
        system=SQL_SYSTEM_PROMPT.format(schema=_schema_text(readable_columns())), user=question
    )
    sql = (answer or {}).get("sql")
    if not isinstance(sql, str) or not sql.strip() or len(sql) > MAX_SQL_CHARS:
        return None
    return sql.strip()


# SQLite hands a computed moment (max(departure_at)) back as the UTC text Django stored.
_SQLITE_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?")


def sql_cell(value, *, vendor: str = "postgresql") -> str:
    """A value as text for the page: moments in the display zone with the zone named, bytes
    as hex, JSON as text, NULL as NULL. On SQLite, text that is exactly a stored moment is
    read as the UTC moment it is."""
    if value is None:
        return "NULL"
    if vendor == "sqlite" and isinstance(value, str) and _SQLITE_MOMENT.fullmatch(value):
        with contextlib.suppress(ValueError):
            value = datetime.fromisoformat(value).replace(tzinfo=UTC)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat(sep=" ")
        return localtime.local_datetime(value, None)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool | int | float | Decimal | str):
        return str(value)
    return str(value)


def sql_page(request: HttpRequest) -> HttpResponse:
    """/admin/sql/: a platform admin's SELECT (POST), or a question in English that the
    configured model writes as one; either runs through `sql_run` (the guard, the database's
    wall, the audit trail). A refusal is a 400 with the reason; anyone else: 403."""
    if not getattr(request.user, "is_platform_admin", False):
        raise PermissionDenied
    readable = readable_columns()
    asking = request.method == "POST" and "question" in request.POST
    form = SqlForm(request.POST if request.method == "POST" and not asking else None)
    question_form = SqlQuestionForm(request.POST if asking else None)
    context = {
        **admin.site.each_context(request),
        "title": SQL_TITLE,
        "form": form,
        "question_form": question_form,
        "llm": llm_configured(),
        "is_platform": True,
        "tables": sorted(readable.items()),
        "zone": localtime.zone(None).key,
    }
    template = "backoffice/sql.html"
    if request.method != "POST":
        return render(request, template, context)
    if asking:
        if not question_form.is_valid():
            return render(request, template, context, status=400)
        text = sql_from_question(question_form.cleaned_data["question"]) if context["llm"] else None
        if text is None:
            context["error"] = gettext("The model could not answer that question; write the SQL.")
            return render(request, template, context, status=400)
        context["form"] = SqlForm(initial={"sql": text})
    else:
        if not form.is_valid():
            return render(request, template, context, status=400)
        text = form.cleaned_data["sql"]
    try:
        result = sql_run(text=text, by=request.user)
    except (SqlRefused, SqlFailed) as refusal:
        context["error"] = refusal.message
        context["asked_sql"] = text
        return render(request, template, context, status=400)
    context["result"] = {
        "columns": result.columns,
        "rows": [
            [sql_cell(value, vendor=connection.vendor) for value in row] for row in result.rows
        ],
        "truncated": result.truncated,
        "count": len(result.rows),
        "elapsed_ms": result.elapsed_ms,
        "sql": result.sql,
    }
    return render(request, template, context)
