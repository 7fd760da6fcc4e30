"""The position store (in-process, and Redis in the services run) and the trail's tasks."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tracking.fixes import Fix
from tracking.models import PositionSample
from tracking.store import (
    CONFLICT,
    STALE,
    STORED,
    MemoryPositionStore,
    RedisPositionStore,
    TripState,
    position_store,
)
from tracking.tasks import trail_prune_task

from .world import tracked_trip

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def _fix(seconds: float, trip_id: int = 5, lon: float = 78.0) -> Fix:
    return Fix(trip_id=trip_id, lat=20.0, lon=lon, recorded_at=T0 + timedelta(seconds=seconds))


@pytest.fixture(params=["memory", "redis"])
def store(request, settings):
    if request.param == "memory":
        return MemoryPositionStore()
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: the services run of .ci/run sets it")
    assert isinstance(position_store(), RedisPositionStore)
    return position_store()


def test_only_newer_fixes_are_stored_and_one_is_sampled_per_interval(store):
    now = time.time()
    outcomes = [
        store.fix_store(_fix(0), sample_every_s=30, now=now),
        store.fix_store(_fix(10), sample_every_s=30, now=now),
        store.fix_store(_fix(10), sample_every_s=30, now=now),
        store.fix_store(_fix(5), sample_every_s=30, now=now),
        store.fix_store(_fix(30), sample_every_s=30, now=now),
    ]

    assert outcomes == [
        (STORED, True),
        (STORED, False),
        (STALE, False),
        (STALE, False),
        (STORED, True),
    ]
    assert store.latest(5) == _fix(30)
    assert store.recent(5) == [_fix(0), _fix(10), _fix(30)]
    assert store.recent(5, limit=2) == [_fix(10), _fix(30)]
    assert store.latest(6) is None


def test_status_is_kept_with_the_fix_and_everything_expires_with_the_ttl(store, settings):
    settings.TTMS_POSITION_TTL_SECONDS = 60
    store.fix_store(_fix(0, trip_id=8), sample_every_s=30, now=time.time() - 61)
    store.fix_store(_fix(0, trip_id=9), sample_every_s=30)
    store.status_store(9, {"progress_m": 12.5, "etas": []})

    assert store.status(9) == {"progress_m": 12.5, "etas": []}
    assert store.active_trip_ids() == [9]
    if isinstance(store, MemoryPositionStore):
        assert store.latest(8) is None


@pytest.mark.django_db
def test_the_retention_task_deletes_samples_older_than_the_retention(settings):
    settings.TTMS_TRAIL_RETENTION_DAYS = 30
    trip = tracked_trip()
    now = timezone.now()
    for days in (31, 29):
        PositionSample.objects.create(
            trip=trip,
            recorded_at=now - timedelta(days=days),
            received_at=now - timedelta(days=days),
            lat=20.0,
            lon=78.0,
        )

    assert trail_prune_task() == 1
    assert [s.recorded_at for s in PositionSample.objects.all()] == [now - timedelta(days=29)]


def test_a_commit_names_the_fix_it_was_worked_out_from(store):
    """A commit stores fix and status together only when the stored fix is still the one
    its `version` names; otherwise it answers CONFLICT with the stored state, or STALE."""
    now = time.time()
    first = store.commit(_fix(0), {"progress_m": 0.0}, version="", sample_every_s=30, now=now)
    assert (first.outcome, first.sample) == (STORED, True)
    assert first.state == store.state(5)
    assert (first.state.latest, first.state.status) == (_fix(0), {"progress_m": 0.0})

    # Another publisher stores a newer fix meanwhile.
    other = store.commit(
        _fix(10), {"progress_m": 90.0}, version=first.state.version, sample_every_s=30, now=now
    )
    assert other.outcome == STORED

    late = store.commit(
        _fix(20), {"progress_m": 5.0}, version=first.state.version, sample_every_s=30, now=now
    )
    assert late.outcome == CONFLICT
    assert (late.state.latest, late.state.status) == (_fix(10), {"progress_m": 90.0})
    assert store.state(5) == late.state  # nothing of the refused commit is stored

    older = store.commit(
        _fix(5), {"progress_m": 1.0}, version=late.state.version, sample_every_s=30, now=now
    )
    assert older.outcome == STALE

    again = store.commit(
        _fix(20), {"progress_m": 180.0}, version=late.state.version, sample_every_s=30, now=now
    )
    assert again.outcome == STORED
    assert store.state(5).status == {"progress_m": 180.0}
    assert store.recent(5) == [_fix(0), _fix(10), _fix(20)]


def test_the_state_of_a_trip_without_fixes_is_empty(store):
    assert store.state(404) == TripState()
    done = store.commit(_fix(0, trip_id=404), None, version="7.0", sample_every_s=30)
    assert (done.outcome, done.state) == (CONFLICT, TripState())
