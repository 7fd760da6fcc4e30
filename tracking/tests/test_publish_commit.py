"""Publishing from two processes: each remembers the state it last stored, and a commit
that finds another's fix stored checks the fix again against it (tracking.services.publish).

"Another process" is played by a publish in this process after which the state remembered
before it is put back, as if that publish had happened elsewhere."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from tracking.exceptions import FixRefused
from tracking.fixes import Fix
from tracking.services import publish
from tracking.services.publish import (
    fix_publish,
    fix_publish_async,
    trail_flushed,
    trip_info_get,
)
from tracking.store import position_store

from .world import LAT, LON0, tracked_trip

# transaction=True: the async publisher hands its trail over through database_sync_to_async,
# which closes the thread's old connections, a test transaction's among them.
pytestmark = pytest.mark.django_db(transaction=True)


def _sync(**kwargs):
    return fix_publish(**kwargs)


def _async(**kwargs):
    async def publish():
        published = await fix_publish_async(**kwargs)
        await trail_flushed()  # the loop ends here: its trail records are handed over first
        return published

    return async_to_sync(publish)()


@pytest.fixture(params=[_sync, _async], ids=["fix_publish", "fix_publish_async"])
def publish_one(request):
    return request.param


def _at(trip, start, seconds: float, km_east: float) -> Fix:
    # 0.00958° of longitude is about 1 km on the parallel 20° N.
    return Fix(
        trip_id=trip.pk,
        vehicle_id=trip.vehicle_id,
        lat=LAT,
        lon=LON0 + 0.00958 * km_east,
        recorded_at=start + timedelta(seconds=seconds),
        accuracy_m=10,
    )


def _elsewhere(info, fix: Fix):
    """Publish `fix` as another process would: this process forgets it did."""
    remembered = publish._remembered_state(info.trip_id)
    fix_publish(trip=info, fix=fix)
    publish._remember(info.trip_id, remembered)


def test_a_fix_older_than_one_stored_elsewhere_is_refused_as_stale(publish_one):
    trip = tracked_trip()
    info = trip_info_get(trip.pk)
    start = timezone.now() - timedelta(minutes=10)
    publish_one(trip=info, fix=_at(trip, start, 0, 0))
    _elsewhere(info, _at(trip, start, 120, 2))

    with pytest.raises(FixRefused) as refused:
        publish_one(trip=info, fix=_at(trip, start, 60, 1))

    assert refused.value.code == "stale"
    assert position_store().latest(trip.pk) == _at(trip, start, 120, 2)


def test_a_newer_fix_is_stored_with_a_status_advanced_from_the_one_stored_elsewhere(
    publish_one,
):
    trip = tracked_trip()
    info = trip_info_get(trip.pk)
    start = timezone.now() - timedelta(minutes=10)
    publish_one(trip=info, fix=_at(trip, start, 0, 0))
    _elsewhere(info, _at(trip, start, 120, 2))
    elsewhere = position_store().state(trip.pk)

    published = publish_one(trip=info, fix=_at(trip, start, 180, 3))

    stored = position_store().state(trip.pk)
    assert stored.latest == published.fix == _at(trip, start, 180, 3)
    assert stored.status == published.status
    # Advanced from the fix stored elsewhere (2 km on), not from the one remembered here.
    assert elsewhere.status["progress_m"] == pytest.approx(2000, abs=50)
    assert stored.status["progress_m"] == pytest.approx(3000, abs=50)
    assert stored.status["speed_samples"] == elsewhere.status["speed_samples"] + 1
    assert [f.recorded_at for f in position_store().recent(trip.pk)] == [
        start,
        start + timedelta(seconds=120),
        start + timedelta(seconds=180),
    ]
