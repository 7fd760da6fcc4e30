"""The booking form's draft (`booking.sales.services.draft`): kept in the session only when
`booking_create` would take it, reviewed against the wallet, paid for once."""

from datetime import datetime, timedelta
from importlib import import_module

import pytest
import time_machine
from django.conf import settings

from payments.ledger import selectors as wallet_selectors

from ..exceptions import InvalidBooking
from ..models import Pnr
from ..sales.services.draft import (
    DRAFTS_KEPT,
    SESSION_KEY,
    draft_get,
    draft_pay,
    draft_review,
    draft_rows,
    draft_start,
    passenger_rows_change,
)
from .factories import IST, adult, funded_user

pytestmark = pytest.mark.django_db

DEPARTURE = datetime(2030, 1, 7, 8, 0, tzinfo=IST)
NOW = DEPARTURE - timedelta(days=2)


@pytest.fixture(autouse=True)
def two_days_before():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def session():
    return import_module(settings.SESSION_ENGINE).SessionStore()


def start(session, trip, passengers, *, quota="GENERAL"):
    return draft_start(
        session=session,
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST3",
        class_code="SL",
        quota=quota,
        only_if_all_confirmed=False,
        passengers=passengers,
        now=NOW,
    )


def test_a_draft_is_kept_under_a_new_key_and_only_the_newest_five(session, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)

    keys = [start(session, trip, [adult(f"P{i}")]) for i in range(DRAFTS_KEPT + 1)]

    assert len(set(keys)) == DRAFTS_KEPT + 1 == 6
    assert list(session[SESSION_KEY]) == keys[1:]
    assert draft_get(session=session, key=keys[0]) is None
    assert draft_get(session=session, key=keys[-1]) == {
        "from": "ST1",
        "to": "ST3",
        "class": "SL",
        "quota": "GENERAL",
        "only_if_all_confirmed": False,
        "passengers": [
            {
                "name": "P5",
                "age": 30,
                "gender": "M",
                "berth_preference": "",
                "passport_number": "",
                "nationality": "",
                "coach": "",
                "seat": "",
            }
        ],
    }
    assert draft_rows(draft_get(session=session, key=keys[-1]))[0]["passport"] == ""


def test_a_draft_booking_create_would_refuse_is_not_kept(session, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)

    with pytest.raises(InvalidBooking) as refused:
        start(session, trip, [adult(f"P{i}") for i in range(5)], quota="TATKAL")

    assert refused.value.message == "A tatkal booking holds 1 to 4 passengers."
    assert SESSION_KEY not in session
    assert not session.modified


def test_passenger_rows_are_added_up_to_six_and_removed_down_to_one():
    five = [{"name": f"P{i}"} for i in range(5)]

    assert passenger_rows_change(rows=five, action="add") == [*five, {}]
    assert passenger_rows_change(rows=[*five, {}], action="add") == [*five, {}]
    assert passenger_rows_change(rows=five, action="remove-1") == [five[0], *five[2:]]
    assert passenger_rows_change(rows=five[:1], action="remove-0") == five[:1]
    assert passenger_rows_change(rows=five, action="remove-9") == five
    assert passenger_rows_change(rows=five, action="remove-x") == five


def test_a_draft_is_reviewed_against_the_wallet_and_paid_for_once(session, make_sleeper_trip):
    trip = make_sleeper_trip(departure=DEPARTURE)
    user = funded_user()
    key = start(session, trip, [adult("Asha", 34, "F"), adult("Ravi", 36)])
    draft = draft_get(session=session, key=key)

    shown = draft_review(trip_id=trip.pk, draft=draft, user=user, now=NOW)
    first = draft_pay(session=session, key=key, trip_id=trip.pk, user=user)
    second = draft_pay(session=session, key=key, trip_id=trip.pk, user=user)

    assert shown.error == ""
    assert [(p.name, p.gender_label, p.berth_label) for p in shown.passengers] == [
        ("Asha", "Female", "No preference"),
        ("Ravi", "Male", "No preference"),
    ]
    assert shown.review.count == 2
    assert shown.review.total == 2 * shown.review.fare
    assert shown.review.short == 0
    pnr = Pnr.objects.get()
    assert first.pnr == second.pnr == pnr.number
    assert pnr.total_fare == shown.review.total
    assert wallet_selectors.wallet_for_user(user=user).balance == 10_000_000 - pnr.total_fare
    assert draft_get(session=session, key=key)["pnr"] == pnr.number
