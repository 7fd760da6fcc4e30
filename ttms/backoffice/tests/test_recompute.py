"""The dashboards' figures equal the ledger and the bookings: random-ish sales and
cancellations made through the services, then each figure recomputed from the raw rows
(ledger entries, passengers, route stops, places) in plain Python, independently of the
selectors, and compared."""

import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from booking.models import FareRule, Passenger, Pnr, TripClass
from booking.tests.factories import adult, make_trip
from fleet.models import Company, RouteStop, Seat, Trip
from payments.models import Account, Transaction
from payments.tests.factories import fund_wallet
from ttms.accounts.tests.factories import UserFactory

from .. import selectors
from .conftest import book, cancel, keep_berths, rail_operator

pytestmark = pytest.mark.django_db

START, END = date(2030, 1, 1), date(2030, 1, 12)


@pytest.fixture
def market(db):
    rng = random.Random(20300107)
    operators = [
        ("Gamma", "INR", "Asia/Kolkata", "GG"),
        ("Delta", "KES", "Africa/Nairobi", "DD"),
        ("Epsilon", "INR", "America/Sao_Paulo", "EE"),
    ]
    buyer = UserFactory()
    fund_wallet(buyer, 100_000_000, "INR")
    fund_wallet(buyer, 100_000_000, "KES")
    for name, currency, zone_name, prefix in operators:
        zone = ZoneInfo(zone_name)
        company = rail_operator(
            name=name, slug=name.lower(), currency=currency, time_zone=zone_name
        )
        company.commission_bp = rng.choice([250, 500, 725])
        company.save()
        FareRule.objects.create(
            company=company, class_code="SL", rate_per_km=rng.randint(90, 140), minimum_fare=0
        )
        stops = rng.randint(3, 5)
        first = make_trip(
            company=company,
            departure=datetime(2030, 1, 10, rng.randint(0, 23), 0, tzinfo=zone),
            stops=stops,
            code_prefix=prefix,
            km_per_leg=rng.choice([40, 75, 120]),
        )
        keep_berths(first, rng.randint(6, 10))
        trips = [first]
        for days in (1, 2):
            trips.append(
                Trip.objects.create(
                    route=first.route,
                    service_date=first.service_date + timedelta(days=days),
                    departure_at=first.departure_at + timedelta(days=days),
                    arrival_at=first.arrival_at + timedelta(days=days),
                    vehicle=first.vehicle,
                )
            )
        codes = [f"{prefix}{i}" for i in range(1, stops + 1)]
        pnrs = []
        for _ in range(rng.randint(5, 8)):
            trip = rng.choice(trips[:2])  # the third stays unsold: its places come from seats
            origin = rng.randrange(0, stops - 1)
            destination = rng.randrange(origin + 1, stops)
            at = datetime(2030, 1, 1, tzinfo=zone) + timedelta(minutes=rng.randrange(0, 8 * 1440))
            pnrs.append(
                book(
                    trip,
                    [adult(f"{name}-{len(pnrs)}-{i}") for i in range(rng.randint(1, 4))],
                    user=buyer,
                    origin=codes[origin],
                    destination=codes[destination],
                    at=at,
                )
            )
        for pnr in rng.sample(pnrs, 2):
            ids = list(pnr.passengers.order_by("index").values_list("pk", flat=True))
            at = max(pnr.created_at, datetime(2030, 1, 9, tzinfo=zone)) + timedelta(
                minutes=rng.randrange(1, 600)
            )
            cancel(pnr, rng.sample(ids, rng.randint(1, len(ids))), at=at)
    return Company.objects.all()


def _local_day(moment, company):
    return moment.astimezone(ZoneInfo(company.time_zone)).date()


def test_money_and_tickets_per_day_equal_the_ledger_and_the_passengers(market):
    expected = defaultdict(lambda: defaultdict(int))
    transactions = Transaction.objects.filter(
        kind__in=[*Transaction.SALE_KINDS, *Transaction.REFUND_KINDS]
    ).prefetch_related("entries__account__company")
    for txn in transactions:
        entries = list(txn.entries.all())
        revenue = [e for e in entries if e.account.kind == Account.Kind.REVENUE]
        assert len(revenue) == 1
        company = revenue[0].account.company
        key = (_local_day(txn.created_at, company), company.pk, txn.currency)
        commission = sum(e.amount for e in entries if e.account.kind == Account.Kind.COMMISSION)
        gross = revenue[0].amount + commission
        if txn.kind in Transaction.SALE_KINDS:
            expected[key]["sales"] += gross
            expected[key]["sales_count"] += 1
        else:
            expected[key]["refunds"] -= gross
            expected[key]["refunds_count"] += 1
        expected[key]["commission"] += commission
        expected[key]["net"] += revenue[0].amount
    for passenger in Passenger.objects.select_related("pnr__trip__route__company"):
        company = passenger.pnr.trip.route.company
        key = (_local_day(passenger.pnr.created_at, company), company.pk, passenger.pnr.currency)
        expected[key]["tickets"] += 1
    expected = {key: dict(values) for key, values in expected.items() if START <= key[0] <= END}

    got = {}
    for row in selectors.money_by_day(companies=market, start=START, end=END):
        values = {
            "sales": row.sales,
            "sales_count": row.sales_count,
            "refunds": row.refunds,
            "refunds_count": row.refunds_count,
            "commission": row.commission,
            "net": row.net,
            "tickets": row.tickets,
        }
        got[(row.day, row.company_id, row.currency)] = {k: v for k, v in values.items() if v}

    assert got == {key: {k: v for k, v in values.items() if v} for key, values in expected.items()}
    assert Transaction.objects.filter(kind__in=Transaction.REFUND_KINDS).count() == 6


def test_route_loads_equal_the_passengers_over_the_seats(market):
    expected = {}
    km_at = {
        (stop.route_id, stop.sequence): Decimal(stop.distance_km)
        for stop in RouteStop.objects.all()
    }
    for trip in Trip.objects.select_related("route__company"):
        company = trip.route.company
        if not START <= _local_day(trip.departure_at, company) <= END:
            continue
        stops = [km for (route, _seq), km in km_at.items() if route == trip.route_id]
        places = sum(TripClass.objects.filter(trip=trip).values_list("seats", flat=True)) or (
            Seat.objects.filter(coach__vehicle=trip.vehicle).count()
        )
        entry = expected.setdefault(trip.route_id, [0, Decimal(0), Decimal(0)])
        entry[0] += 1
        entry[2] += places * (max(stops) - min(stops))
        for passenger in Passenger.objects.filter(pnr__trip=trip).select_related("pnr"):
            pnr = passenger.pnr
            km = (
                km_at[(trip.route_id, pnr.destination_sequence)]
                - km_at[(trip.route_id, pnr.origin_sequence)]
            )
            if passenger.status == "CNF":
                entry[1] += km
            elif passenger.status == "RAC":
                entry[1] += km / 2

    got = {
        load.route_id: [load.trips, load.passenger_km, load.seat_km]
        for load in selectors.route_loads(companies=market, start=START, end=END)
    }
    assert got == expected
    assert all(trips == 3 for trips, _pkm, _skm in got.values())


def test_top_pairs_equal_the_passengers_booked(market):
    counts, fares = Counter(), Counter()
    for passenger in Passenger.objects.exclude(status="CAN").select_related(
        "pnr__origin", "pnr__destination", "pnr__trip__route__company"
    ):
        pnr = passenger.pnr
        if START <= _local_day(pnr.created_at, pnr.trip.route.company) <= END:
            key = (pnr.origin.code, pnr.destination.code, pnr.currency)
            counts[key] += 1
            fares[key] += passenger.fare
    expected = sorted(
        ((*key, counts[key], fares[key]) for key in counts),
        key=lambda r: (-r[3], -r[4], r[0], r[1]),
    )[:10]

    got = [
        (p.origin_code, p.destination_code, p.currency, p.passengers, p.fares)
        for p in selectors.top_pairs(companies=market, start=START, end=END)
    ]
    assert got == expected
    assert Pnr.objects.count() > 15
