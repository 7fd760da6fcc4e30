"""How many SQL statements one booking costs, and which run under the trip-class lock.

The service runs as the outermost transaction (`transaction=True`), so the counts are what
production sends: the statements, plus BEGIN and COMMIT as Django logs them. The company's
revenue and the platform's commission accounts are created before measuring: they are
created once, on a company's first sale ever, not per booking.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments.ledger.sales import wallet_sale_accounts

from ..models import Passenger, Pnr
from ..sales.inventory import inventory_ensure
from ..sales.services.create import booking_create
from .factories import adult, funded_user

pytestmark = pytest.mark.django_db(transaction=True)

# 15 for the booking, 6 for its "booking.confirmed" message (5 before the class lock).
MAX_QUERIES = 21
# The statements under the class lock, in order: the lock itself, the free places, the PNR,
# its passengers, the places taken, the confirmation's payload; then the commit releases
# the lock.
LOCK_WINDOW = [
    ("SELECT", "booking_tripclass", "FOR UPDATE"),
    ("SELECT", "booking_place", None),
    ("INSERT", "booking_pnr", None),
    ("INSERT", "booking_passenger", None),
    ("UPDATE", "booking_place", None),
    ("UPDATE", "notifications_outboxmessage", None),
]


def _book(trip, user, *, origin="ST1", destination="ST3", passengers=1):
    return booking_create(
        user=user,
        trip_id=trip.pk,
        origin_code=origin,
        destination_code=destination,
        class_code="SL",
        quota="GENERAL",
        passengers=[adult(f"P{i}") for i in range(passengers)],
        now=trip.departure_at - timedelta(days=2),
    )


def _measured(trip, user, **kwargs) -> tuple[Pnr, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        pnr = _book(trip, user, **kwargs)
    sql = [q["sql"] for q in captured.captured_queries]
    # What runs after the commit is not the booking's: the deliveries handed to workers
    # (embedded, Celery runs them here at once).
    return pnr, sql[: sql.index("COMMIT") + 1] if "COMMIT" in sql else sql


@pytest.fixture
def trip(make_sleeper_trip):
    """72 berths: 65 GENERAL, 7 RAC berths (14 half berths); inventory and accounts made."""
    trip = make_sleeper_trip(berths=72, quotas={})
    inventory_ensure(trip_id=trip.pk)
    wallet_sale_accounts(user=funded_user(), company=trip.route.company)
    return trip


def test_queries_per_booking_do_not_grow_with_bookings_or_waitlist(trip):
    # given: a user with money for everything, made before anything is measured
    user = funded_user(100_000_000)

    # when: the first booking, one after 50 bookings, one after the trip is full with 100
    # passengers waitlisted on ST1-ST3 (ST3-ST4 is still free: a CNF booking, as the
    # others), and a waitlisted one
    first, first_sql = _measured(trip, user)
    for _ in range(49):
        _book(trip, user)
    fiftieth, fiftieth_sql = _measured(trip, user)
    for _ in range(14):  # the 14 seats left, then the 14 RAC halves, then 4 waitlisted
        _book(trip, user, passengers=2)
    for _ in range(4):
        _book(trip, user)
    for _ in range(16):
        _book(trip, user, passengers=6)
    waitlisted = Passenger.objects.filter(status="WL").count()
    late, late_sql = _measured(trip, user, origin="ST3", destination="ST4")
    wl, wl_sql = _measured(trip, user)

    # then
    assert waitlisted == 100
    assert Passenger.objects.filter(status="CNF").count() == 65 + 1
    assert Passenger.objects.filter(status="RAC").count() == 14
    assert [
        p.status
        for p in (
            *first.passenger_list,
            *fiftieth.passenger_list,
            *late.passenger_list,
            *wl.passenger_list,
        )
    ] == ["CNF", "CNF", "CNF", "WL"]
    assert len(first_sql) == len(fiftieth_sql) == len(late_sql) <= MAX_QUERIES
    # An all-WL booking takes no place, so it skips the places update, and reads its
    # passengers' places in the queue for the confirmation instead: as many statements.
    assert len(wl_sql) == len(first_sql)
    print(
        f"\nstatements per booking on {connection.vendor}: {len(first_sql)} "
        f"(all waitlisted: {len(wl_sql)})"
    )


def _statement(sql: str) -> tuple[str, str, str | None]:
    verb = sql.split(None, 1)[0].upper()
    table = next((t for _, t, _ in LOCK_WINDOW if f'"{t}"' in sql.split(" WHERE ")[0]), "")
    return verb, table, "FOR UPDATE" if " FOR UPDATE" in sql else None


@pytest.mark.postgres
def test_only_five_statements_run_under_the_trip_class_lock(trip):
    # given: a trip already half booked
    user = funded_user()
    for _ in range(30):
        _book(trip, user)

    # when
    _, sql = _measured(trip, user, passengers=2)

    # then: from the lock to the commit, nothing but the allocation's five statements
    start = next(i for i, s in enumerate(sql) if "booking_tripclass" in s and " FOR UPDATE" in s)
    window = sql[start:]
    assert [_statement(s) for s in window[:-1]] == LOCK_WINDOW
    assert window[-1] == "COMMIT"
    print(
        f"\nstatements per booking on postgresql: {len(sql)}, under the lock: "
        f"{len(window) - 1} and the commit"
    )
