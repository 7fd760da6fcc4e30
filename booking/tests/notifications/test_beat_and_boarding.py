"""The events beat tasks and scans write: departure reminders and unassigned trips (once per
PNR or trip, whatever the number of runs), a charting failure told to the operator once, a
boarding told to the holder once.

Time is never the clock's: every call names its `now`, or stands the clock still."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings

from fleet.models import TripStatus
from fleet.services.alerts import trips_unassigned_alert
from fleet.tests.factories import staff_user
from ttms.accounts.models import Role
from ttms.notifications.models import OutboxMessage

from ...lifecycle.services import charting
from ...lifecycle.services.cancellation import booking_cancel
from ...lifecycle.services.reminders import trip_reminders_send
from ...models import Chart
from ...tasks import charts_prepare_due_task, trip_reminders_task
from ..charts import CHART_TIME
from ..factories import adult
from ..scanning import scan, token

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]


def messages(topic: str) -> list[tuple]:
    return list(
        OutboxMessage.objects.filter(topic=topic)
        .order_by("pk")
        .values_list("user_id", "dedupe_key", "payload")
    )


@override_settings(TTMS_REMINDER_HOURS=24)
def test_each_active_pnr_is_reminded_once_within_the_window(make_sleeper_trip, book):
    trip = make_sleeper_trip(berths=8, quotas={})
    later = make_sleeper_trip(
        berths=8, quotas={}, departure=trip.departure_at + timedelta(days=2), code_prefix="LT"
    )
    a, b = book(trip, [adult("A")]), book(trip, [adult("B")])
    gone = book(trip, [adult("C")])
    book(later, [adult("D")], origin="LT1", destination="LT4")
    booking_cancel(pnr=gone, by=None, now=trip.departure_at - timedelta(days=2))

    with time_machine.travel(trip.departure_at - timedelta(hours=20), tick=False):
        first = trip_reminders_task.delay().get()
        second = trip_reminders_task.delay().get()

    assert (first, second) == (2, 0)
    assert messages("trip.reminder") == [
        (
            a.user_id,
            f"trip.reminder:{a.number}:{trip.pk}",
            {"pnr": a.number, "trip": trip.pk, "hours": 20},
        ),
        (
            b.user_id,
            f"trip.reminder:{b.number}:{trip.pk}",
            {"pnr": b.number, "trip": trip.pk, "hours": 20},
        ),
    ]
    # a day later, the later trip's turn; the first is gone
    assert trip_reminders_send(now=later.departure_at - timedelta(hours=1)) == 1


@override_settings(TTMS_UNASSIGNED_ALERT_HOURS=12)
def test_a_trip_without_driver_or_vehicle_is_told_to_its_staff_once(make_sleeper_trip):
    trip = make_sleeper_trip(berths=8, quotas={})
    company = trip.route.company
    admin = staff_user(company, role=Role.COMPANY_ADMIN)
    scheduler = staff_user(company, role=Role.SCHEDULER)
    staff_user(company, role=Role.DRIVER)  # a driver is not told
    staffed = make_sleeper_trip(berths=8, quotas={}, code_prefix="SF")
    staffed.drivers.add(staff_user(staffed.route.company, role=Role.DRIVER))
    now = trip.departure_at - timedelta(hours=6)

    assert trips_unassigned_alert(now=now) == 2
    assert trips_unassigned_alert(now=now) == 0
    assert trips_unassigned_alert(now=trip.departure_at - timedelta(hours=13)) == 0

    payload = {
        "trip": trip.pk,
        "number": trip.route.number,
        "departure_at": "2030-01-07T02:30:00+00:00",  # 08:00 IST, kept in UTC
        "missing": ["driver"],
    }
    key = f"operator.trip_unassigned:{trip.pk}:driver"
    assert messages("operator.trip_unassigned") == [
        (admin.pk, f"{key}:{admin.pk}", payload),
        (scheduler.pk, f"{key}:{scheduler.pk}", payload),
    ]


def test_a_charting_failure_is_told_to_the_operator_once(charted_trip, monkeypatch):
    trip, _pnrs = charted_trip
    admin = staff_user(trip.route.company)

    def broken(**kwargs):
        raise RuntimeError("chart rows do not add up")

    monkeypatch.setattr(charting, "chart_prepare", broken)
    with time_machine.travel(CHART_TIME, tick=False):
        assert charts_prepare_due_task.delay().get() == 0
        assert charts_prepare_due_task.delay().get() == 0

    assert messages("operator.charting_failed") == [
        (
            admin.pk,
            f"operator.charting_failed:{trip.pk}:{admin.pk}",
            {"trip": trip.pk, "number": trip.route.number, "error": "chart rows do not add up"},
        )
    ]
    assert not Chart.objects.exists()


def test_a_busy_chart_is_no_failure(charted_trip, monkeypatch):
    from ...exceptions import Busy

    def busy(**kwargs):
        raise Busy("busy")

    monkeypatch.setattr(charting, "chart_prepare", busy)
    assert charting.charts_prepare_due(now=CHART_TIME) == 0
    assert not OutboxMessage.objects.filter(topic="operator.charting_failed").exists()


@pytest.mark.usefixtures("boarding_time")
def test_a_boarding_is_told_to_the_holder_once(ticketed, api_client):
    qr = token(ticketed)

    assert scan(api_client, ticketed, qr, station="ST1")["result"] == "valid"
    assert scan(api_client, ticketed, qr, station="ST1")["result"] == "already_boarded"

    ((user_id, key, payload),) = messages("passenger.boarded")
    asha = ticketed.passengers[0]
    assert (user_id, key) == (ticketed.holder.pk, f"passenger.boarded:{asha.pk}")
    assert payload == {
        "pnr": ticketed.pnr.number,
        "passenger": 1,
        "name": "Asha",
        "station": "Station ST1",
        "at": asha.boarding.boarded_at.isoformat(),
    }


@pytest.mark.usefixtures("boarding_time")
def test_a_refused_scan_tells_nobody(ticketed, api_client):
    qr = token(ticketed)
    booking_cancel(pnr=ticketed.pnr, by=None)
    assert scan(api_client, ticketed, qr)["result"] == "cancelled"
    assert not OutboxMessage.objects.filter(topic="passenger.boarded").exists()


def test_a_departed_trip_is_reminded_of_nothing(make_sleeper_trip, book):
    trip = make_sleeper_trip(berths=8, quotas={})
    book(trip, [adult("A")])
    trip.status = TripStatus.CANCELLED
    trip.save(update_fields=["status"])
    assert trip_reminders_send(now=trip.departure_at - timedelta(hours=2)) == 0
