"""The migration that names the model `Trip` (it was `Schedule`) keeps every row: the trip,
its drivers, its events, its classes and its bookings, both ways."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fleet.models import Trip

from ..lifecycle.services.trips import trip_cancel
from ..models import Pnr, TripClass

BEFORE = [("fleet", "0004_company_refund_tiers"), ("booking", "0003_tickets")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_rename_keeps_trips_drivers_events_classes_and_bookings_both_ways(ticketed):
    trip_cancel(trip=ticketed.trip, by=None, reason="Flood")
    pnr_numbers = sorted(Pnr.objects.filter(trip=ticketed.trip).values_list("number", flat=True))
    classes = sorted(TripClass.objects.filter(trip=ticketed.trip).values_list("pk", flat=True))
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        old = _migrate(BEFORE)
        schedule = old.get_model("fleet", "Schedule").objects.get(pk=ticketed.trip.pk)
        assert [d.pk for d in schedule.drivers.all()] == [ticketed.driver.pk]
        assert [e.action for e in schedule.events.all()] == ["status"]
        assert sorted(schedule.pnrs.values_list("number", flat=True)) == pnr_numbers
        assert sorted(schedule.trip_classes.values_list("pk", flat=True)) == classes
    finally:
        _migrate(latest)
    trip = Trip.objects.get(pk=ticketed.trip.pk)
    assert (trip.status, list(trip.drivers.all())) == ("cancelled", [ticketed.driver])
    assert [(e.action, e.reason) for e in trip.events.all()] == [("status", "Flood")]
    assert sorted(trip.pnrs.values_list("number", flat=True)) == pnr_numbers
    assert sorted(trip.trip_classes.values_list("pk", flat=True)) == classes
