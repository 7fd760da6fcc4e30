"""The trips the booking tests book on.

The trip (conftest `make_sleeper_trip`) leaves ST1 on 7 January 2030 at 08:00 IST and calls
at ST2, ST3, ST4, 100 km apart. With the railway defaults its SL coach S1 earmarks berths
1, 4, 9, 12, 17, 20 (lower) for SENIOR, 2, 3, 5, 6, 8, 10 (the front) for LADIES, 67-72
(the rear) for TATKAL, and side lowers 7, 15, ..., 55 are RAC berths; 11 is the first
GENERAL berth and 25 the first GENERAL lower berth. SL costs 0.45 per km: 13 500 (paise)
for ST1-ST4."""

import pytest


@pytest.fixture
def trip(make_sleeper_trip):
    return make_sleeper_trip()


@pytest.fixture
def small(make_sleeper_trip):
    """Berths 1-6 GENERAL, berth 7 an RAC side lower (two half berths)."""
    return make_sleeper_trip(berths=7, quotas={})
