"""Cancellation through the API: refund quotes and refunds exact at every tier boundary of
each preset (time frozen), for CNF, RAC, WL and Tatkal passengers, whole and partial PNRs;
each refund paid once however the call is repeated."""

import uuid
from datetime import datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from payments.models import Account, Transaction
from ttms.invariants import broken_invariants
from ttms.testing import run_together

from ..exceptions import AlreadyCancelled
from ..lifecycle.services.cancellation import booking_cancel
from ..lifecycle.services.charting import chart_prepare
from ..models import Cancellation, FareRule, Passenger, Pnr
from ..sales.services.create import booking_create
from .factories import IST, adult, funded_user

pytestmark = pytest.mark.django_db

DEPARTURE = datetime(2030, 1, 7, 8, 0, tzinfo=IST)  # from ST1, the factory's first stop
FARE = 100_000  # every SL journey of this company: 1,000 rupees
TATKAL_FARE = 130_000
FUNDS = 10_000_000


@pytest.fixture
def trip(make_sleeper_trip):
    """Berths 1-6 and 8 plain, berth 7 an RAC side lower (two halves); a flat SL fare."""
    trip = make_sleeper_trip(berths=8, quotas={})
    FareRule.objects.create(
        company=trip.route.company, class_code="SL", rate_per_km=1, minimum_fare=FARE
    )
    return trip


def set_policy(trip, preset: str, tiers=None) -> None:
    company = trip.route.company
    company.refund_policy = preset
    company.refund_tiers = tiers or []
    company.save()


@pytest.fixture
def mixed(trip, book):
    """A filler PNR of six on berths 1-6, then the PNR under test: CNF (berth 8), RAC,
    RAC (berth 7's halves), WL."""
    book(trip, [adult(f"F{i}") for i in range(6)], now=DEPARTURE - timedelta(days=5))
    user = funded_user(FUNDS)
    pnr = book(
        trip,
        [adult("C"), adult("R1"), adult("R2"), adult("W")],
        user=user,
        now=DEPARTURE - timedelta(days=5),
    )
    assert [p.status for p in pnr.passenger_list] == ["CNF", "RAC", "RAC", "WL"]
    return pnr


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def wallet(user) -> int:
    return Account.objects.get(user=user, kind="wallet").balance


def before(hours: int, minutes: int = 0) -> datetime:
    return DEPARTURE - timedelta(hours=hours, minutes=minutes)


def quote_at(pnr, when: datetime, query: str = "") -> dict:
    with time_machine.travel(when, tick=False):
        response = client_for(pnr.user).get(f"/api/v1/bookings/{pnr.number}/refund-quote/{query}")
    assert response.status_code == 200, response.json()
    return response.json()


def cancel_at(pnr, when: datetime, body=None, *, key=None):
    with time_machine.travel(when, tick=False):
        return client_for(pnr.user).post(
            f"/api/v1/bookings/{pnr.number}/cancel/",
            body or {},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key or str(uuid.uuid4()),
        )


def refunds(body: dict) -> list[tuple[str, int, int]]:
    return [(line["status"], line["charge"], line["refund"]) for line in body["passengers"]]


def same(charge: int) -> list[tuple[str, int, int]]:
    """CNF, RAC, RAC, WL all charged `charge`."""
    return [(s, charge, FARE - charge) for s in ("CNF", "RAC", "RAC", "WL")]


def split(cnf: int, waiting: int) -> list[tuple[str, int, int]]:
    """CNF charged `cnf`, RAC and WL charged `waiting`."""
    return [
        ("CNF", cnf, FARE - cnf),
        ("RAC", waiting, FARE - waiting),
        ("RAC", waiting, FARE - waiting),
        ("WL", waiting, FARE - waiting),
    ]


# (preset, time before departure, charted, expected lines); charges worked out by hand from
# DESIGN.md section 5: tiered 10/25/50 % at 48/24/12 h (at least); flat80 20 %; irctc2015
# SL flat 120 rupees above 48 h, 25 % (at least the flat) above 12 h, 50 % from 12 h to
# charting, nothing after it; RAC/WL the fare less 60 rupees until 30 min before.
BOUNDARIES = [
    ("tiered", (48, 1), False, same(10_000)),
    ("tiered", (48, 0), False, same(10_000)),
    ("tiered", (47, 59), False, same(25_000)),
    ("tiered", (24, 0), False, same(25_000)),
    ("tiered", (23, 59), False, same(50_000)),
    ("tiered", (12, 0), False, same(50_000)),
    ("tiered", (11, 59), False, same(FARE)),
    ("tiered", (0, 1), False, same(FARE)),
    ("flat80", (48, 0), False, same(20_000)),
    ("flat80", (0, 1), False, same(20_000)),
    ("irctc2015", (48, 1), False, split(12_000, 6_000)),
    ("irctc2015", (48, 0), False, split(25_000, 6_000)),
    ("irctc2015", (47, 59), False, split(25_000, 6_000)),
    ("irctc2015", (12, 1), False, split(25_000, 6_000)),
    ("irctc2015", (12, 0), False, split(50_000, 6_000)),
    ("irctc2015", (11, 59), False, split(50_000, 6_000)),
    ("irctc2015", (11, 59), True, split(FARE, 6_000)),
    ("irctc2015", (0, 30), True, split(FARE, 6_000)),
    ("irctc2015", (0, 29), True, split(FARE, FARE)),
]
IDS = [f"{p}-{h:02d}:{m:02d}{'-charted' if c else ''}" for p, (h, m), c, _ in BOUNDARIES]


@pytest.mark.parametrize(("preset", "left", "charted", "expected"), BOUNDARIES, ids=IDS)
def test_the_quote_is_exact_at_each_tier_boundary(trip, mixed, preset, left, charted, expected):
    set_policy(trip, preset)
    if charted:
        chart_prepare(trip=trip, now=before(12))

    body = quote_at(mixed, before(*left))

    assert refunds(body) == expected
    assert body["policy"] == preset
    assert body["charted"] is charted
    assert body["minutes_before_departure"] == left[0] * 60 + left[1]
    assert (body["fare"], body["refund"]) == (4 * FARE, sum(r for *_, r in expected))
    assert all(line["rule"] for line in body["passengers"])


@pytest.mark.parametrize(("preset", "left", "charted", "expected"), BOUNDARIES, ids=IDS)
def test_cancelling_the_whole_pnr_pays_the_quote_once(trip, mixed, preset, left, charted, expected):
    set_policy(trip, preset)
    if charted:
        chart_prepare(trip=trip, now=before(12))
    funds = wallet(mixed.user)
    quoted = quote_at(mixed, before(*left))

    response = cancel_at(mixed, before(*left))

    assert response.status_code == 200, response.json()
    body = response.json()
    assert refunds(body) == expected
    assert body["passengers"] == quoted["passengers"]
    refund = sum(r for *_, r in expected)
    assert (body["fare"], body["charge"], body["refund"]) == (4 * FARE, 4 * FARE - refund, refund)
    assert body["booking"]["status"] == "CAN"
    assert wallet(mixed.user) == funds + refund
    record = Cancellation.objects.get(pnr=mixed)
    assert (
        record.cause,
        record.policy,
        record.minutes_before_departure,
        record.charted,
        record.refund,
    ) == ("passenger", preset, left[0] * 60 + left[1], charted, refund)
    assert [(p.status, p.refund) for p in Passenger.objects.filter(pnr=mixed)] == [
        ("CAN", r) for *_, r in expected
    ]
    assert Transaction.objects.filter(reference_id=mixed.number, kind="booking_refund").count() == (
        1 if refund else 0
    )
    assert broken_invariants() == {}


def test_some_passengers_are_cancelled_and_the_rest_later(trip, mixed, book):
    set_policy(trip, "tiered")
    funds = wallet(mixed.user)
    _, _, r2, w = Passenger.objects.filter(pnr=mixed).order_by("index")
    assert quote_at(mixed, before(48), f"?passengers={r2.pk},{w.pk}")["refund"] == 2 * 90_000

    first = cancel_at(mixed, before(48), {"passengers": [r2.pk, w.pk]})
    second = cancel_at(mixed, before(30))

    assert first.status_code == 200 and second.status_code == 200
    assert refunds(first.json()) == [("RAC", 10_000, 90_000), ("WL", 10_000, 90_000)]
    assert refunds(second.json()) == [("CNF", 25_000, 75_000), ("RAC", 25_000, 75_000)]
    assert wallet(mixed.user) == funds + 2 * 90_000 + 2 * 75_000
    assert [(p.status, p.refund) for p in Passenger.objects.filter(pnr=mixed)] == [
        ("CAN", 75_000),
        ("CAN", 75_000),
        ("CAN", 90_000),
        ("CAN", 90_000),
    ]
    assert broken_invariants() == {}


@pytest.mark.parametrize(
    ("preset", "left", "cnf_charge", "wl_charge"),
    [
        ("tiered", (12, 0), TATKAL_FARE, 65_000),
        ("tiered", (11, 59), TATKAL_FARE, TATKAL_FARE),
        ("flat80", (12, 0), TATKAL_FARE, 26_000),
        ("irctc2015", (12, 0), TATKAL_FARE, 6_000),
        ("irctc2015", (0, 29), TATKAL_FARE, TATKAL_FARE),
    ],
)
def test_a_confirmed_tatkal_ticket_refunds_nothing_and_a_waitlisted_one_by_the_policy(
    trip, book, preset, left, cnf_charge, wl_charge
):
    set_policy(trip, preset)
    opens = datetime(2030, 1, 6, 11, 0, tzinfo=IST)  # SL Tatkal: 11:00 the day before
    book(trip, [adult(f"F{i}") for i in range(6)], now=opens)
    pnr = book(
        trip,
        [adult("T1"), adult("T2"), adult("T3"), adult("T4")],
        quota="TATKAL",
        user=funded_user(FUNDS),
        now=opens,
    )
    extra = book(trip, [adult("T5")], quota="TATKAL", user=pnr.user, now=opens)
    assert [p.status for p in pnr.passenger_list] == ["CNF", "RAC", "RAC", "WL"]
    assert [(p.status, p.fare) for p in extra.passenger_list] == [("WL", TATKAL_FARE)]

    body = quote_at(pnr, before(*left))
    waiting = quote_at(extra, before(*left))

    assert refunds(body)[0] == ("CNF", cnf_charge, TATKAL_FARE - cnf_charge)
    assert refunds(waiting) == [("WL", wl_charge, TATKAL_FARE - wl_charge)]


def test_a_retried_cancel_replays_its_answer_and_refunds_once(trip, mixed):
    funds = wallet(mixed.user)
    key = str(uuid.uuid4())

    first = cancel_at(mixed, before(50), key=key)
    again = cancel_at(mixed, before(50), key=key)
    other_key = cancel_at(mixed, before(50))

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert other_key.status_code == 409
    assert other_key.json()["error"]["code"] == "already_cancelled"
    assert wallet(mixed.user) == funds + 4 * 90_000
    assert Cancellation.objects.filter(pnr=mixed).count() == 1


@pytest.mark.parametrize(
    ("left", "body", "status", "code"),
    [
        ((0, 0), None, 409, "cancellation_not_allowed"),  # the trip has left
        ((50, 0), {"passengers": [999_999]}, 400, "invalid"),
        ((50, 0), {"passengers": []}, 400, "invalid"),
        ((50, 0), {"passengers": ["one"]}, 400, "invalid"),
    ],
)
def test_a_refused_cancellation_changes_nothing(trip, mixed, left, body, status, code):
    funds = wallet(mixed.user)

    response = cancel_at(mixed, before(*left), body)

    assert response.status_code == status, response.json()
    assert response.json()["error"]["code"] == code
    assert wallet(mixed.user) == funds
    assert not Cancellation.objects.exists()
    assert set(Passenger.objects.filter(pnr=mixed).values_list("status", flat=True)) == {
        "CNF",
        "RAC",
        "WL",
    }


def test_after_charting_only_the_whole_pnr_can_be_cancelled(trip, mixed):
    chart_prepare(trip=trip, now=before(12))
    c = Passenger.objects.get(pnr=mixed, index=1)

    response = cancel_at(mixed, before(5), {"passengers": [c.pk]})

    assert response.status_code == 409
    assert response.json()["error"] == {
        "code": "cancellation_not_allowed",
        "message": "The chart is prepared: only the whole booking can be cancelled now, not "
        "some of its passengers.",
        "fields": {},
    }
    assert not Cancellation.objects.exists()


def test_another_users_pnr_is_not_found(trip, mixed):
    stranger_user = funded_user(0)
    with time_machine.travel(before(50), tick=False):
        stranger = client_for(stranger_user)
        quote = stranger.get(f"/api/v1/bookings/{mixed.number}/refund-quote/")
        cancel = stranger.post(
            f"/api/v1/bookings/{mixed.number}/cancel/",
            {},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    assert (quote.status_code, cancel.status_code) == (404, 404)
    assert not Cancellation.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_cancels_sent_at_once_refund_once(make_sleeper_trip):
    trip = make_sleeper_trip(berths=8, quotas={})
    user = funded_user(FUNDS)
    pnr = booking_create(
        user=user,
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST4",
        class_code="SL",
        quota="GENERAL",
        passengers=[adult("A"), adult("B")],
        now=before(100),
    )
    funds = wallet(user)
    pnr = Pnr.objects.select_related("trip__route__company", "origin").get(pk=pnr.pk)

    def cancel(_) -> str:
        try:
            booking_cancel(pnr=pnr, by=user, now=before(60))
            return "cancelled"
        except AlreadyCancelled:
            return "already"

    outcomes = run_together(8, cancel)

    assert sorted(outcomes) == ["already"] * 7 + ["cancelled"]
    assert wallet(user) == funds + 2 * (13_500 - 1_350)
    assert Cancellation.objects.filter(pnr=pnr).count() == 1
    assert broken_invariants() == {}
