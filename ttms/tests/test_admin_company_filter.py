"""The admin's "By company" filter, on every change list that has it, never answers 500:
a value that is not an id is refused as Django's own filters refuse a bad lookup (a
redirect to the unfiltered list with ?e=1); the id of a company the user cannot choose
(unknown, out of the database's range, another operator's) lists nothing."""

import pytest
from django.contrib import admin
from django.urls import reverse

from fleet.admin_scoping import CompanyListFilter
from fleet.models import Company
from fleet.tests.factories import CompanyFactory, staff_user
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FILTERED = sorted(
    f"{model._meta.app_label}_{model._meta.model_name}"
    for model, model_admin in admin.site._registry.items()
    if any(
        isinstance(f, type) and issubclass(f, CompanyListFilter) for f in model_admin.list_filter
    )
)


def test_every_changelist_with_the_filter_is_checked():
    assert FILTERED == [
        "audit_auditentry",
        "booking_auditcase",
        "booking_boardingconflict",
        "booking_boardingscan",
        "booking_chart",
        "booking_device",
        "booking_farerule",
        "booking_pnr",
        "booking_shift",
        "booking_stagefare",
        "booking_tripclass",
        "fleet_companymembership",
        "fleet_route",
        "fleet_seatlayout",
        "fleet_station",
        "fleet_travelclass",
        "fleet_trip",
        "fleet_vehicle",
        "payments_account",
        "payments_entry",
        "payments_settlementrun",
        "payments_transaction",
    ]


@pytest.fixture
def companies() -> tuple[Company, Company]:
    return CompanyFactory(name="Ours"), CompanyFactory(name="Theirs")


@pytest.fixture(params=["platform_admin", "company_admin"])
def user(request, companies):
    if request.param == "platform_admin":
        return UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True)
    return staff_user(companies[0])


@pytest.mark.parametrize("changelist", FILTERED)
@pytest.mark.parametrize("value", ["abc", "", "1.5", "-1"])
def test_a_value_that_is_no_id_redirects_to_the_unfiltered_list(client, user, changelist, value):
    client.force_login(user)
    url = reverse(f"admin:{changelist}_changelist")

    response = client.get(url, {"company": value})

    assert response.status_code == 302
    assert response["Location"] == f"{url}?e=1"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("changelist", FILTERED)
@pytest.mark.parametrize("value", ["99999999", "9" * 30])
def test_an_unknown_company_lists_nothing(client, user, changelist, value):
    client.force_login(user)

    response = client.get(reverse(f"admin:{changelist}_changelist"), {"company": value})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


@pytest.mark.parametrize("changelist", FILTERED)
def test_another_operators_company_lists_nothing_for_a_company_admin(client, companies, changelist):
    ours, theirs = companies
    client.force_login(staff_user(ours))
    url = reverse(f"admin:{changelist}_changelist")

    refused = client.get(url, {"company": str(theirs.pk)})
    own = client.get(url, {"company": str(ours.pk)})

    assert refused.status_code == 200
    assert refused.context["cl"].result_count == 0
    assert own.status_code == 200


@pytest.mark.parametrize("changelist", FILTERED)
def test_a_platform_admin_filters_by_any_company(client, companies, changelist):
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True))
    url = reverse(f"admin:{changelist}_changelist")

    for company in companies:
        assert client.get(url, {"company": str(company.pk)}).status_code == 200
