"""The audit trail of what runs by itself (DESIGN.md 9): a promotion run that moved someone and
charting are audited as the automatic process; charting by staff names them.

Each test performs one service action and asserts the exact entry; each refusal asserts
that no entry was written."""

from datetime import timedelta

import pytest
from django.db import transaction

from booking.lifecycle.services.cancellation import booking_cancel
from booking.lifecycle.services.charting import chart_prepare
from booking.lifecycle.services.promotion import promote_waitlist
from booking.models import TripClass
from booking.tests.factories import adult
from fleet.models import Company
from ttms.audit.models import AuditEntry

from .support import FARE, book, entries, target

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


@pytest.fixture(autouse=True)
def charting_bus(bus_trip):
    """The bus's operator prepares charts and so keeps a waiting list (a bus operator's
    default is neither)."""
    Company.objects.filter(pk=bus_trip.route.company_id).update(charting=True)
    bus_trip.route.company.refresh_from_db()


@pytest.fixture
def full_bus(bus_trip):
    """Every one of the 41 seats sold (10 PNRs of four, one of one on the back row's last
    seat), then one PNR waitlisted."""
    sold = [book(bus_trip, [adult(f"P{i}{j}") for j in range(4)]) for i in range(10)]
    sold.append(book(bus_trip, [adult("Back")]))
    waiting = book(bus_trip, [adult("Wait")])
    assert waiting.passengers.get().status == "WL"
    return bus_trip, sold, waiting


def test_a_promotion_run_that_moved_someone_is_audited_as_automatic(full_bus):
    trip, sold, waiting = full_bus
    with transaction.atomic():  # the promotion task runs after the commit
        booking_cancel(pnr=sold[0], by=sold[0].user, passenger_ids=[sold[0].passengers.first().pk])
    AuditEntry.objects.filter(action="booking.cancelled").delete()
    trip_class = TripClass.objects.get(trip=trip)

    promote_waitlist(trip_class_id=trip_class.pk)
    promote_waitlist(trip_class_id=trip_class.pk)  # nobody left: no entry

    seat = waiting.passengers.get().seat
    assert entries() == [
        {
            "actor": None,
            "actor_name": "system:promotion",
            "action": "promotion.run",
            "target": target(trip),
            "company": trip.route.company,
            "data": {
                "class": "STANDARD",
                "cause": "cancellation",
                "moves": [
                    {
                        "pnr": waiting.number,
                        "passenger": 1,
                        "from": "WL",
                        "to": "CNF",
                        "coach": "B1",
                        "seat": seat.number,
                        "half": 0,
                    }
                ],
            },
        }
    ]


def test_charting_is_audited_with_its_summary_by_the_automatic_process(full_bus):
    trip, _, _ = full_bus

    chart_prepare(trip=trip, now=trip.departure_at - timedelta(hours=8))

    assert entries("charting.") == [
        {
            "actor": None,
            "actor_name": "system:charting",
            "action": "charting.prepared",
            "target": target(trip),
            "company": trip.route.company,
            "data": {
                "released_to_women": 0,
                "released_to_seniors": 0,
                "promoted": 0,
                "pnrs_cancelled": 1,
                "refunded": FARE,
                "confirmed": 41,
                "rac": 0,
                "waitlisted": 0,
            },
        }
    ]
    assert [e["data"]["cause"] for e in entries("booking.")] == ["charting"]
    assert entries("booking.")[0]["actor_name"] == "system:charting"


def test_charting_by_staff_names_them(bus_trip):
    book(bus_trip, [adult("Asha", 34, "F")])

    chart_prepare(trip=bus_trip, by=bus_trip.admin)

    assert [(e["actor"], e["action"]) for e in entries()] == [(bus_trip.admin, "charting.prepared")]
