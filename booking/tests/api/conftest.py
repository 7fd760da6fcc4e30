"""The booking API tests' clock (20 Dec 2029, 12:00 IST, 18 days before their trip leaves) and
their trip."""

from datetime import datetime

import pytest
import time_machine

from fleet.models import Company

from ..factories import IST, make_trip

NOW = datetime(2029, 12, 20, 12, 0, tzinfo=IST)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def trip(db):
    # One sleeper coach: 72 berths, 7 of them RAC side-lowers (14 RAC places); every seat
    # not RAC is GENERAL, so that the tests' counts are easy to follow.
    company = Company.objects.create(
        name="Indian Rail", slug="ir", kind=Company.Kind.RAIL, quota_distribution={"SL": {}}
    )
    return make_trip(company=company)
