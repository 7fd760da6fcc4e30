"""A trip's stop events tell its passengers: the vehicle leaving the stop before theirs
("vehicle.approaching", once per PNR) and the trip running late by 15, 30, 60... minutes
("trip.delayed", once per PNR and step), written with the events, off the publishing path."""

from datetime import timedelta

import pytest

from booking.sales.services.create import booking_create
from booking.tests.factories import adult, funded_user
from fleet.models import Trip, TripStatus
from tracking.services.notices import delay_step
from tracking.services.stops import stop_events_record
from ttms.notifications.models import OutboxMessage

from .world import tracked_trip

pytestmark = pytest.mark.django_db


def book_from(trip: Trip, origin: str):
    return booking_create(
        user=funded_user(),
        trip_id=trip.pk,
        origin_code=origin,
        destination_code="ST4",
        class_code="SL",
        quota="GENERAL",
        passengers=[adult()],
        now=trip.departure_at - timedelta(days=2),
    )


def event(trip: Trip, kind: str, sequence: int, minutes: int) -> dict:
    """`kind` at the `sequence`-th stop, `minutes` after the trip's departure (the
    factory's timetable: stop n arrived at 65(n-1) - 5 and left at 65(n-1) minutes)."""
    return {
        "kind": kind,
        "sequence": sequence,
        "at": (trip.departure_at + timedelta(minutes=minutes)).isoformat(),
    }


def told(topic: str) -> list[tuple]:
    return list(
        OutboxMessage.objects.filter(topic=topic)
        .order_by("pk")
        .values_list("user_id", "dedupe_key", "payload")
    )


@pytest.fixture
def trip():
    trip = tracked_trip()
    trip.pnrs_by_origin = {code: book_from(trip, code) for code in ("ST1", "ST2", "ST3")}
    return trip


def test_leaving_a_stop_tells_those_boarding_at_the_next_once(trip):
    second = trip.pnrs_by_origin["ST2"]
    left = [event(trip, "departed", 1, 2)]

    stop_events_record(trip_id=trip.pk, events=left)
    stop_events_record(trip_id=trip.pk, events=left)

    eta = trip.departure_at + timedelta(minutes=2 + 60)  # the run to ST2 takes 60 minutes
    assert told("vehicle.approaching") == [
        (
            second.user_id,
            f"vehicle.approaching:{trip.pk}:{second.number}",
            {
                "pnr": second.number,
                "trip": trip.pk,
                "station": "Station ST2",
                "eta": eta.isoformat(),
            },
        )
    ]
    assert told("trip.delayed") == []  # 2 minutes late is on time


def test_a_delay_is_told_at_each_new_step_to_those_still_to_arrive(trip):
    pnrs = trip.pnrs_by_origin

    stop_events_record(trip_id=trip.pk, events=[event(trip, "arrived", 2, 60 + 20)])
    stop_events_record(trip_id=trip.pk, events=[event(trip, "departed", 2, 65 + 24)])
    stop_events_record(trip_id=trip.pk, events=[event(trip, "arrived", 3, 125 + 31)])

    delayed = told("trip.delayed")
    assert [(k, p["delay_minutes"]) for _, k, p in delayed] == [
        *((f"trip.delayed:{trip.pk}:{pnrs[o].number}:15", 20) for o in ("ST1", "ST2", "ST3")),
        *((f"trip.delayed:{trip.pk}:{pnrs[o].number}:30", 31) for o in ("ST1", "ST2", "ST3")),
    ]
    assert delayed[0][0] == pnrs["ST1"].user_id


def test_a_cancelled_trip_tells_nothing(trip):
    Trip.objects.filter(pk=trip.pk).update(status=TripStatus.CANCELLED)

    stop_events_record(trip_id=trip.pk, events=[event(trip, "departed", 1, 40)])

    assert not OutboxMessage.objects.filter(
        topic__in=["trip.delayed", "vehicle.approaching"]
    ).exists()


@pytest.mark.parametrize(
    ("minutes", "step"),
    [(0, 0), (14.9, 0), (15, 15), (29, 15), (30, 30), (59, 30), (61, 60), (250, 240)],
)
def test_delay_steps_double_from_the_threshold(settings, minutes, step):
    settings.TTMS_DELAY_NOTIFY_MINUTES = 15
    assert delay_step(minutes) == step
