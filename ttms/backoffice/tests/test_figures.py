"""Every dashboard figure against the hand-checked world of conftest.py, worked out by hand
in the comments."""

from datetime import date
from decimal import Decimal

import pytest

from fleet.models import Company

from .. import selectors
from .conftest import READ_AT

pytestmark = pytest.mark.django_db

D = Decimal


def _money(companies, start=date(2030, 1, 1), end=date(2030, 1, 7)):
    return [
        (r.day, r.company_name, r.currency, r.sales, r.sales_count, r.refunds, r.refunds_count,
         r.commission, r.net, r.tickets)
        for r in selectors.money_by_day(companies=companies, start=start, end=end)
    ]  # fmt: skip


def test_money_per_local_day_follows_the_ledger(world):
    # 01-05: P1 6 000.00 + P2 3 000.00 + P3 1 000.00 sold (3 sales), 5 % commission on each
    #        (300.00 + 150.00 + 50.00), ten passengers booked.
    # 01-06: 800.00 refunded of P1; the platform gives back 30 000 × 80 000 // 600 000 = 40.00
    #        of its commission, the company 760.00.
    # 01-07 (CAT; 2030-01-06 22:30 UTC): P4 2 000.00, commission 100.00, two passengers.
    # Beta's 500.00 KES on 01-05 (EAT), commission 25.00.
    assert _money(Company.objects.all()) == [
        (date(2030, 1, 5), "Alpha Rail", "INR", 1_000_000, 3, 0, 0, 50_000, 950_000, 10),
        (date(2030, 1, 5), "Beta Rail", "KES", 50_000, 1, 0, 0, 2_500, 47_500, 1),
        (date(2030, 1, 6), "Alpha Rail", "INR", 0, 0, 80_000, 1, -4_000, -76_000, 0),
        (date(2030, 1, 7), "Alpha Rail", "INR", 200_000, 1, 0, 0, 10_000, 190_000, 2),
    ]


def test_a_day_of_the_range_is_a_local_day_of_the_company(world):
    # 2030-01-07 in Kigali starts at 2030-01-06 22:00 UTC: P4's sale is that day's, not 01-06's.
    assert _money(Company.objects.filter(pk=world.a.pk), date(2030, 1, 6), date(2030, 1, 6)) == [
        (date(2030, 1, 6), "Alpha Rail", "INR", 0, 0, 80_000, 1, -4_000, -76_000, 0),
    ]


def test_totals_are_per_currency_never_added_across(world):
    days = selectors.money_by_day(
        companies=Company.objects.all(), start=date(2030, 1, 1), end=date(2030, 1, 7)
    )
    totals = [
        (t.currency, t.sales, t.refunds, t.commission, t.net, t.tickets)
        for t in selectors.money_by_currency(days)
    ]
    # INR: 10 000.00 + 2 000.00 sold, 800.00 back, 500.00 + 100.00 − 40.00 commission.
    assert totals == [
        ("INR", 1_200_000, 80_000, 56_000, 1_064_000, 12),
        ("KES", 50_000, 0, 2_500, 47_500, 1),
    ]


def test_companies_are_ranked_by_tickets(world):
    days = selectors.money_by_day(
        companies=Company.objects.all(), start=date(2030, 1, 1), end=date(2030, 1, 7)
    )
    ranked = [
        (t.company_name, t.currency, t.tickets, t.sales)
        for t in selectors.companies_ranked(companies=Company.objects.all(), days=days)
    ]
    assert ranked == [("Alpha Rail", "INR", 12, 1_200_000), ("Beta Rail", "KES", 1, 50_000)]


def test_departures_today_and_tomorrow_with_their_load(world, read_at):
    rows = selectors.departures(companies=Company.objects.filter(pk=world.a.pk))
    got = [
        (r.trip_id, r.day, r.status, r.vehicle,
         [(c.class_code, c.places, c.confirmed, c.rac, c.waitlisted, c.passenger_km, c.seat_km,
           c.load_factor) for c in r.classes])
        for r in rows
    ]  # fmt: skip
    # T1: CNF 5 × 300 km (P1) + 200 km (P2's first) = 1 700; RAC 2 × 200 km, half each: 200;
    #     1 900 passenger-km of 8 × 300 = 2 400 seat-km: 79.2 %.
    # T2: 2 × 200 = 400 of 8 × 200 = 1 600: 25.0 %. T3 (tomorrow): unsold, the vehicle's 8.
    assert got == [
        (world.t1.pk, date(2030, 1, 7), "scheduled", world.t1.vehicle.code,
         [("SL", 8, 6, 2, 1, D(1900), D(2400), D("79.2"))]),
        (world.t2.pk, date(2030, 1, 7), "scheduled", world.t2.vehicle.code,
         [("SL", 8, 2, 0, 0, D(400), D(1600), D("25.0"))]),
        (world.t3.pk, date(2030, 1, 8), "scheduled", world.t1.vehicle.code,
         [("SL", 8, 0, 0, 0, D(0), D(2400), D("0.0"))]),
    ]  # fmt: skip


def test_departures_of_a_route(world, read_at):
    rows = selectors.departures(companies=Company.objects.all(), route=world.t2.route)
    assert [r.trip_id for r in rows] == [world.t2.pk]


def test_departures_are_the_local_days_of_each_company(world, read_at):
    # 06:00 CAT is 07:00 EAT: Beta's trip at 09:00 EAT leaves today in Nairobi.
    rows = selectors.departures(companies=Company.objects.all())
    assert [r.trip_id for r in rows] == [world.t1.pk, world.tb.pk, world.t2.pk, world.t3.pk]


def test_load_factor_per_route_over_a_range(world):
    loads = [
        (r.route_number, r.trips, r.passenger_km, r.seat_km, r.load_factor)
        for r in selectors.route_loads(
            companies=Company.objects.filter(pk=world.a.pk),
            start=date(2030, 1, 7),
            end=date(2030, 1, 8),
        )
    ]
    # R1: T1 and T3, 1 900 of 2 × 2 400 seat-km: 39.6 %. R2: T2 25.0 %.
    assert loads == [
        (world.t1.route.number, 2, D(1900), D(4800), D("39.6")),
        (world.t2.route.number, 1, D(400), D(1600), D("25.0")),
    ]


def test_a_cancelled_trip_offers_no_seat_km(world):
    world.t3.status = "cancelled"
    world.t3.save()
    loads = selectors.route_loads(
        companies=Company.objects.filter(pk=world.a.pk),
        start=date(2030, 1, 8),
        end=date(2030, 1, 8),
    )
    assert loads == []


def test_top_origin_destination_pairs(world):
    pairs = [
        (p.origin_code, p.destination_code, p.currency, p.passengers, p.fares)
        for p in selectors.top_pairs(
            companies=Company.objects.filter(pk=world.a.pk),
            start=date(2030, 1, 1),
            end=date(2030, 1, 7),
        )
    ]
    # P1's cancelled passenger is left out: five AA1→AA4.
    assert pairs == [
        ("AA1", "AA4", "INR", 5, 500_000),
        ("AA2", "AA4", "INR", 3, 300_000),
        ("BB1", "BB3", "INR", 2, 200_000),
        ("AA1", "AA3", "INR", 1, 100_000),
    ]


def test_vehicles_on_the_road_are_departed_trips_and_fresh_fixes(world, read_at):
    from datetime import timedelta

    from tracking.fixes import Fix
    from tracking.store import ANY_VERSION, position_store

    store = position_store()
    store.clear()
    world.t1.status = "departed"
    world.t1.save()
    # T2 is not departed but its driver's phone sent a fix 2 minutes ago; Beta's trip one an
    # hour ago (stale: not on the road).
    store.commit(
        Fix(trip_id=world.t2.pk, lat=-1.9, lon=30.0, recorded_at=READ_AT - timedelta(minutes=2),
            speed_kmh=54.0, vehicle_id=world.t2.vehicle_id),
        {"delay_seconds": 300}, version=ANY_VERSION, sample_every_s=30,
    )  # fmt: skip
    store.commit(
        Fix(trip_id=world.tb.pk, lat=-1.2, lon=36.8, recorded_at=READ_AT - timedelta(hours=1)),
        None, version=ANY_VERSION, sample_every_s=30,
    )  # fmt: skip
    try:
        road = selectors.vehicles_on_the_road(companies=Company.objects.all(), now=READ_AT)
    finally:
        store.clear()
    assert [(r.trip_id, r.fix_age_seconds, r.speed_kmh, r.delay_seconds) for r in road] == [
        (world.t1.pk, None, None, None),
        (world.t2.pk, 120, 54.0, 300),
    ]
    assert [(a.company_name, a.vehicles) for a in selectors.active_vehicles(road)] == [
        ("Alpha Rail", 2)
    ]


def test_daily_series_fills_every_day_per_currency(world):
    days = selectors.money_by_day(
        companies=Company.objects.filter(pk=world.a.pk),
        start=date(2030, 1, 5),
        end=date(2030, 1, 7),
    )
    assert selectors.daily_series(days, date(2030, 1, 4), date(2030, 1, 7)) == [
        {
            "currency": "INR",
            "days": ["2030-01-04", "2030-01-05", "2030-01-06", "2030-01-07"],
            "sales": [0, 1_000_000, 0, 200_000],
            "refunds": [0, 0, 80_000, 0],
            "commission": [0, 50_000, -4_000, 10_000],
            "tickets": [0, 10, 0, 2],
        }
    ]
