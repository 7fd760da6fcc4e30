"""The dashboards' tables as CSV: a header row, then one row per line of the table; amounts
as exact decimal strings in major units with their currency beside them, dates ISO 8601,
moments ISO 8601 in the company's zone (its offset written), load factors in percent."""

import csv
from collections.abc import Iterable

from django.http import HttpResponse

from ttms import localtime
from ttms.money import to_major_string

from . import selectors


def _percent(value) -> str:
    return "" if value is None else str(value)


def departures_rows(rows: list[selectors.Departure]) -> Iterable[list]:
    yield [
        "departure",
        "time_zone",
        "company",
        "route",
        "status",
        "vehicle",
        "drivers",
        "class",
        "places",
        "cnf",
        "rac",
        "wl",
        "passenger_km",
        "seat_km",
        "load_factor_percent",
    ]
    for row in rows:
        moment = localtime.local(row.departure_at, row.zone).isoformat()
        for load in row.classes or [None]:
            yield [
                moment,
                row.zone,
                row.company_name,
                row.route_number,
                row.status,
                row.vehicle,
                "; ".join(row.drivers),
                *(
                    [
                        load.class_code,
                        load.places,
                        load.confirmed,
                        load.rac,
                        load.waitlisted,
                        load.passenger_km,
                        load.seat_km,
                        _percent(load.load_factor),
                    ]
                    if load
                    else [""] * 8
                ),
            ]


def money_rows(rows: list[selectors.MoneyDay]) -> Iterable[list]:
    yield [
        "day",
        "company",
        "currency",
        "sales",
        "sales_count",
        "refunds",
        "refunds_count",
        "commission",
        "net",
        "tickets",
    ]
    for row in rows:
        yield [
            row.day.isoformat(),
            row.company_name,
            row.currency,
            to_major_string(row.sales, row.currency),
            row.sales_count,
            to_major_string(row.refunds, row.currency),
            row.refunds_count,
            to_major_string(row.commission, row.currency),
            to_major_string(row.net, row.currency),
            row.tickets,
        ]


def totals_rows(rows: list[selectors.MoneyTotal]) -> Iterable[list]:
    yield ["company", "currency", "sales", "refunds", "commission", "net", "tickets"]
    for row in rows:
        yield [
            row.company_name,
            row.currency,
            to_major_string(row.sales, row.currency),
            to_major_string(row.refunds, row.currency),
            to_major_string(row.commission, row.currency),
            to_major_string(row.net, row.currency),
            row.tickets,
        ]


def route_rows(rows: list[selectors.RouteLoad]) -> Iterable[list]:
    yield ["company", "route", "name", "trips", "passenger_km", "seat_km", "load_factor_percent"]
    for row in rows:
        yield [
            row.company_name,
            row.route_number,
            row.route_name,
            row.trips,
            row.passenger_km,
            row.seat_km,
            _percent(row.load_factor),
        ]


def pair_rows(rows: list[selectors.PairSales]) -> Iterable[list]:
    yield ["origin", "destination", "currency", "passengers", "fares"]
    for row in rows:
        yield [
            row.origin_code,
            row.destination_code,
            row.currency,
            row.passengers,
            to_major_string(row.fares, row.currency),
        ]


def road_rows(rows: list[selectors.OnTheRoad]) -> Iterable[list]:
    yield [
        "company",
        "route",
        "departure",
        "status",
        "vehicle",
        "fix_age_seconds",
        "speed_kmh",
        "delay_seconds",
    ]
    for row in rows:
        yield [
            row.company_name,
            row.route_number,
            localtime.local(row.departure_at, row.zone).isoformat(),
            row.status,
            row.vehicle,
            "" if row.fix_age_seconds is None else row.fix_age_seconds,
            "" if row.speed_kmh is None else row.speed_kmh,
            "" if row.delay_seconds is None else row.delay_seconds,
        ]


def active_rows(rows: list[selectors.ActiveVehicles]) -> Iterable[list]:
    yield ["company", "vehicles"]
    for row in rows:
        yield [row.company_name, row.vehicles]


def csv_response(filename: str, rows: Iterable[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    for row in rows:
        writer.writerow(row)
    return response
