"""Booking admin: staff see their company's PNRs only, read-only; fare rules are theirs to
edit."""

from datetime import datetime

import pytest
from django.urls import reverse

from booking.models import FareRule, Pnr
from fleet.tests.factories import staff_user

from ..sales.services.create import booking_create
from .factories import IST, adult, funded_user, make_trip, rail_company

NOW = datetime(2029, 12, 20, 12, 0, tzinfo=IST)


@pytest.fixture
def two_pnrs(db):
    trips = [
        make_trip(company=rail_company(slug=slug, name=slug.title()), code_prefix=prefix)
        for slug, prefix in (("alpha", "A"), ("beta", "B"))
    ]
    user = funded_user()
    return [
        booking_create(
            user=user,
            trip_id=trip.pk,
            origin_code=f"{prefix}1",
            destination_code=f"{prefix}2",
            class_code="SL",
            quota="GENERAL",
            passengers=[adult()],
            now=NOW,
        )
        for trip, prefix in zip(trips, "AB", strict=True)
    ]


def test_staff_list_only_their_companys_pnrs(client, two_pnrs):
    mine, theirs = two_pnrs
    client.force_login(staff_user(mine.trip.route.company))

    page = client.get(reverse("admin:booking_pnr_changelist"))

    assert page.status_code == 200
    assert mine.number in page.content.decode()
    assert theirs.number not in page.content.decode()
    assert client.get(reverse("admin:booking_pnr_change", args=[theirs.pk])).status_code in (
        302,
        404,
    )


def test_a_pnr_is_read_only_in_admin(client, two_pnrs):
    mine, _ = two_pnrs
    client.force_login(staff_user(mine.trip.route.company))
    url = reverse("admin:booking_pnr_change", args=[mine.pk])

    page = client.get(url)
    client.post(url, {"total_fare": 1})

    assert page.status_code == 200 and mine.number in page.content.decode()
    assert Pnr.objects.get(pk=mine.pk).total_fare == mine.total_fare


def test_company_admins_add_fare_rules_for_their_company(client, two_pnrs):
    company = two_pnrs[0].trip.route.company
    client.force_login(staff_user(company))

    response = client.post(
        reverse("admin:booking_farerule_add"),
        {
            "company": company.pk,
            "class_code": "SL",
            "rate_per_km": 50,
            "minimum_fare": 1500,
            "multipliers_bp": '{"TATKAL": 14000}',
        },
    )

    assert response.status_code == 302
    rule = FareRule.objects.get()
    assert (rule.company, rule.rate_per_km, rule.multipliers_bp) == (company, 50, {"TATKAL": 14000})
