"""The back office's pages: the operator's dashboard (the admin home of company staff), the
platform's (platform admins), each table also as CSV (`?export=<table>`)."""

import contextlib
from datetime import date, timedelta

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fleet.selectors import companies_for_user, company_ids_for_user
from ttms import localtime
from ttms.money import format_money, to_major_string

from . import exports, selectors
from .forms import DEFAULT_RANGE_DAYS, DashboardFilter


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
