"""The demo's stations, as `fleet.demo` loads them, for the parser's tests (import the
fixtures into a test module). The company that owns a bus station plays no part in reading a
phrase, so all are shared here."""

import pytest

from booking.assistant.stations import station_index_clear
from fleet.demo_data import BUS_STATIONS, MATATU_STATIONS, RAIL_STATIONS, VIRUNGA_STATIONS
from fleet.services import station_upsert

_ZONES = (
    (RAIL_STATIONS, "Asia/Kolkata"),
    (BUS_STATIONS, "Africa/Kigali"),
    (VIRUNGA_STATIONS, "Africa/Kigali"),
    (MATATU_STATIONS, "Africa/Nairobi"),
)


@pytest.fixture
def demo_stations(db):
    for rows, time_zone in _ZONES:
        for code, name, latitude, longitude, region, aliases in rows:
            station_upsert(
                code=code,
                name=name,
                time_zone=time_zone,
                latitude=latitude,
                longitude=longitude,
                region=region,
                aliases=aliases,
            )
    station_index_clear()
    yield
    station_index_clear()


@pytest.fixture
def second_kigali(demo_stations):
    """A second station in Kigali, so that "Kigali" alone names two."""
    station_upsert(
        code="RW-REM",
        name="Kigali Remera",
        time_zone="Africa/Kigali",
        region="Kigali",
        aliases=["Remera"],
    )
    station_index_clear()
