"""When charts are prepared: a trip's chart time (the railway rule's bands read in the first
stop's zone, or a company's offset, in real hours across a clock change), the trips due
charted on schedule, one failing trip not stopping the others, and the beat every minute.

Time is never the clock's: every service call names its `now`."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab

from fleet.models import Company, TripStatus
from fleet.tests.factories import CompanyFactory
from ttms.celery import BEAT_SCHEDULE
from ttms.invariants import broken_invariants

from .. import rules
from ..lifecycle.services import charting
from ..lifecycle.services.charting import charts_prepare_due
from ..models import Chart
from ..tasks import charts_prepare_due_task
from .factories import IST, adult, make_trip, rail_company

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_in_process")]

LONDON = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")


# --- chart_due_at ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("departure", "due"),
    [
        # Before 05:00: 8 hours before.
        (datetime(2030, 1, 7, 4, 59, tzinfo=IST), datetime(2030, 1, 6, 20, 59, tzinfo=IST)),
        # 05:00 is in the morning band (inclusive): 21:00 the day before.
        (datetime(2030, 1, 7, 5, 0, tzinfo=IST), datetime(2030, 1, 6, 21, 0, tzinfo=IST)),
        (datetime(2030, 1, 7, 13, 59, tzinfo=IST), datetime(2030, 1, 6, 21, 0, tzinfo=IST)),
        # 14:00 is not (exclusive): 8 hours before.
        (datetime(2030, 1, 7, 14, 0, tzinfo=IST), datetime(2030, 1, 7, 6, 0, tzinfo=IST)),
        (datetime(2030, 1, 7, 23, 30, tzinfo=IST), datetime(2030, 1, 7, 15, 30, tzinfo=IST)),
        (datetime(2030, 1, 7, 0, 30, tzinfo=IST), datetime(2030, 1, 6, 16, 30, tzinfo=IST)),
    ],
)
def test_railway_chart_time_at_the_band_edges(departure, due):
    at = rules.chart_due_at(departure_at=departure.astimezone(UTC), tz=IST, offset_minutes=None)

    assert at == due
    assert at.tzinfo == IST


def test_a_company_offset_replaces_the_railway_rule():
    departure = datetime(2030, 1, 7, 9, 0, tzinfo=IST)

    at = rules.chart_due_at(departure_at=departure, tz=IST, offset_minutes=30)

    assert at == datetime(2030, 1, 7, 8, 30, tzinfo=IST)
    assert rules.chart_due_at(departure_at=departure, tz=IST, offset_minutes=0) == departure


def test_the_band_is_read_in_the_first_stops_zone():
    departure = datetime(2030, 1, 7, 3, 0, tzinfo=UTC)  # 08:30 in India, 03:00 in London

    assert rules.chart_due_at(departure_at=departure, tz=IST, offset_minutes=None) == (
        datetime(2030, 1, 6, 21, 0, tzinfo=IST)
    )
    assert rules.chart_due_at(departure_at=departure, tz=LONDON, offset_minutes=None) == (
        datetime(2030, 1, 6, 19, 0, tzinfo=UTC)
    )


def test_eight_hours_are_eight_real_hours_across_a_clock_change():
    # London moves from GMT to BST at 01:00 UTC on 31 March 2030.
    departure = datetime(2030, 3, 31, 4, 30, tzinfo=LONDON)  # 03:30 UTC

    at = rules.chart_due_at(departure_at=departure, tz=LONDON, offset_minutes=None)

    assert at == datetime(2030, 3, 30, 19, 30, tzinfo=UTC)
    assert rules.chart_due_at(
        departure_at=datetime(2030, 3, 31, 9, 0, tzinfo=LONDON), tz=LONDON, offset_minutes=None
    ) == (datetime(2030, 3, 30, 21, 0, tzinfo=UTC))  # 21:00 GMT the evening before


# --- Charting on schedule ------------------------------------------------------------------


def test_charts_are_prepared_for_exactly_the_trips_that_are_due(book):
    now = datetime(2030, 1, 6, 21, 0, tzinfo=IST)
    # A bus operator that chose charting; the default bus operator prepares no charts.
    bus_company = CompanyFactory(kind=Company.Kind.BUS, charting=True, charting_offset_minutes=30)
    no_charts = CompanyFactory(kind=Company.Kind.BUS, charting_offset_minutes=30)

    def trip(prefix, departure, *, company=None, sold=True, **kwargs):
        made = make_trip(
            company=company or rail_company(), code_prefix=prefix, departure=departure, **kwargs
        )
        if sold:
            book(
                made,
                [adult()],
                origin=f"{prefix}1",
                destination=f"{prefix}2",
                class_code=kwargs.get("coaches", [("", "SL")])[0][1],
                now=departure - timedelta(days=2),
            )
        return made

    due_morning = trip("A", datetime(2030, 1, 7, 13, 59, tzinfo=IST))  # due 21:00 today
    due_night = trip("B", datetime(2030, 1, 7, 4, 59, tzinfo=IST))  # due 20:59 today
    afternoon = trip("C", datetime(2030, 1, 7, 14, 0, tzinfo=IST))  # due 06:00 tomorrow
    unsold = trip("D", datetime(2030, 1, 7, 8, 0, tzinfo=IST), sold=False)
    cancelled = trip("E", datetime(2030, 1, 7, 9, 0, tzinfo=IST))
    cancelled.status = TripStatus.CANCELLED
    cancelled.save(update_fields=["status"])
    departed = trip("F", datetime(2030, 1, 6, 20, 0, tzinfo=IST))
    bus_due = trip(
        "G",
        datetime(2030, 1, 6, 21, 30, tzinfo=IST),
        company=bus_company,
        coaches=[("B1", "STANDARD")],
    )  # due 21:00
    bus_later = trip(
        "H",
        datetime(2030, 1, 6, 21, 31, tzinfo=IST),
        company=bus_company,
        coaches=[("B1", "STANDARD")],
    )  # due 21:01
    far = trip("I", datetime(2030, 1, 9, 8, 0, tzinfo=IST))
    uncharted_bus = trip(
        "J",
        datetime(2030, 1, 6, 21, 30, tzinfo=IST),
        company=no_charts,
        coaches=[("B1", "STANDARD")],
    )  # its operator prepares no charts

    assert charts_prepare_due(now=now) == 3

    charted = set(Chart.objects.values_list("trip_id", flat=True))
    assert charted == {due_morning.pk, due_night.pk, bus_due.pk}
    assert not charted & {
        afternoon.pk,
        unsold.pk,
        cancelled.pk,
        departed.pk,
        bus_later.pk,
        far.pk,
        uncharted_bus.pk,
    }
    assert charts_prepare_due(now=now) == 0  # charted trips are not charted again
    assert charts_prepare_due(now=now + timedelta(minutes=1)) == 1  # bus_later's turn
    assert broken_invariants() == {}


def test_one_failing_trip_does_not_stop_the_others(book, monkeypatch, caplog):
    now = datetime(2030, 1, 6, 21, 0, tzinfo=IST)
    trips = [
        make_trip(
            code_prefix=prefix,
            departure=datetime(2030, 1, 7, 9, 0, tzinfo=IST) + timedelta(minutes=i),
        )
        for i, prefix in enumerate("AB")
    ]
    for trip, prefix in zip(trips, "AB", strict=True):
        book(trip, origin=f"{prefix}1", destination=f"{prefix}2")
    real = charting._class_finalise

    def failing(*, trip_id, **kwargs):
        if trip_id == trips[0].pk:
            raise RuntimeError("boom")
        return real(trip_id=trip_id, **kwargs)

    monkeypatch.setattr(charting, "_class_finalise", failing)

    assert charts_prepare_due(now=now) == 1

    assert list(Chart.objects.values_list("trip_id", flat=True)) == [trips[1].pk]
    assert "Charting trip" in caplog.text and "boom" in caplog.text


def test_the_beat_charts_every_minute():
    entry = BEAT_SCHEDULE["booking-prepare-charts"]

    assert entry == {"task": "booking.tasks.charts_prepare_due_task", "schedule": crontab()}
    assert charts_prepare_due_task() == 0  # no trip at all
