"""PNRs in the admin: the journey at the boarding and alighting stops' local times, the zone
named; "journey day" and "booked on" filters counted in those zones."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from booking.models import Pnr
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from ..sales.services.create import booking_create
from .factories import IST, adult, funded_user, make_trip, rail_company

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:booking_pnr_changelist")
BOOKED = datetime(2029, 12, 20, 12, 0, tzinfo=IST)


@pytest.fixture
def pnr():
    """A PNR of the 08:00 IST train of 7 Jan 2030 (02:30 UTC), ST1 → ST2 (09:00 IST)."""
    trip = make_trip(company=rail_company(time_zone="Asia/Kolkata"))
    with time_machine.travel(BOOKED, tick=False):
        return booking_create(
            user=funded_user(),
            trip_id=trip.pk,
            origin_code="ST1",
            destination_code="ST2",
            class_code="SL",
            quota="GENERAL",
            passengers=[adult()],
            now=BOOKED,
        )


@pytest.fixture
def platform_client(client):
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True))
    return client


def test_pnr_list_and_page_show_the_journey_at_local_times(platform_client, pnr):
    listing = platform_client.get(CHANGELIST).content.decode()
    page = platform_client.get(reverse("admin:booking_pnr_change", args=[pnr.pk])).content.decode()

    assert "07 Jan 2030 08:00 IST" in listing
    assert "20 Dec 2029 12:00 IST" in listing
    assert "07 Jan 2030 08:00 IST" in page
    assert "07 Jan 2030 09:00 IST" in page
    assert "20 Dec 2029 12:00 IST" in page


@pytest.mark.parametrize(
    ("now_utc", "choice", "listed"),
    [
        # 19:00 UTC on 6 Jan is 00:30 on the 7th in India: the journey is today.
        (datetime(2030, 1, 6, 19, 0, tzinfo=UTC), "today", True),
        # 18:00 UTC on 6 Jan is 23:30 on the 6th in India: the journey is tomorrow.
        (datetime(2030, 1, 6, 18, 0, tzinfo=UTC), "today", False),
        (datetime(2030, 1, 6, 18, 0, tzinfo=UTC), "tomorrow", True),
    ],
)
def test_the_journey_day_filter_counts_in_the_boarding_stops_zone(
    client, pnr, now_utc, choice, listed
):
    with time_machine.travel(now_utc, tick=False):
        # Signed in at that moment: a session of today's would have expired by 2030.
        client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True))
        response = client.get(CHANGELIST, {"journey_day": choice})

    assert [p.number for p in response.context["cl"].result_list] == (
        [pnr.number] if listed else []
    )


def test_pnrs_are_found_by_a_passengers_name(platform_client, pnr):
    response = platform_client.get(CHANGELIST, {"q": "Ravi"})

    assert [p.number for p in response.context["cl"].result_list] == [pnr.number]
    assert Pnr.objects.count() == 1
