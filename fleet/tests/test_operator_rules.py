"""An operator's currency and rules: its kind's defaults, its own choices, their checks."""

import pytest
from django.core.exceptions import ValidationError

from fleet.models import Company, OperatorRules

from .factories import CompanyFactory

pytestmark = pytest.mark.django_db

RAIL_QUOTAS = ("GENERAL", "LADIES", "SENIOR", "TATKAL", "FOREIGN_TOURIST")


def test_a_railway_sells_the_railway_quotas_with_rac_and_charting_by_default():
    company = CompanyFactory(kind=Company.Kind.RAIL)

    assert company.rules == OperatorRules(
        quotas=RAIL_QUOTAS,
        rac=True,
        charting=True,
        booking_horizon_days=60,
        max_passengers=6,
        swap_upgrades=False,
    )
    assert company.rules.waitlist is True


def test_a_bus_operator_sells_general_seats_only_and_confirms_at_once_by_default():
    company = CompanyFactory(kind=Company.Kind.BUS)

    assert company.rules.quotas == ("GENERAL",)
    assert (company.rules.rac, company.rules.charting, company.rules.waitlist) == (
        False,
        False,
        False,
    )
    assert company.rules.sells("GENERAL") and not company.rules.sells("LADIES")


def test_an_operator_choices_override_its_kind_and_quotas_keep_the_canonical_order():
    company = CompanyFactory(
        kind=Company.Kind.BUS,
        quotas=["SENIOR", "GENERAL", "LADIES"],
        charting=True,
        booking_horizon_days=30,
        max_passengers=4,
        swap_upgrades=True,
    )

    assert company.rules == OperatorRules(
        quotas=("GENERAL", "LADIES", "SENIOR"),
        rac=False,
        charting=True,
        booking_horizon_days=30,
        max_passengers=4,
        swap_upgrades=True,
    )


def test_a_new_operator_sells_in_the_deployment_currency_unless_told(settings):
    settings.TTMS_CURRENCY = "KES"

    assert CompanyFactory().currency == "KES"
    assert CompanyFactory(currency="RWF").currency == "RWF"


@pytest.mark.parametrize(
    ("quotas", "message"),
    [
        (["LADIES"], "GENERAL is always sold"),
        (["GENERAL", "RAC"], "'RAC' not a quota one can sell"),
        (["GENERAL", "GENERAL"], "Name each quota once"),
        ("GENERAL", "Give a list of quota codes"),
        ([1], "Give a list of quota codes"),
    ],
)
def test_quotas_that_are_not_a_list_of_sellable_quotas_with_general_are_refused(quotas, message):
    company = CompanyFactory.build(quotas=quotas)

    with pytest.raises(ValidationError) as refused:
        company.full_clean(exclude=["slug"])

    assert list(refused.value.message_dict) == ["quotas"]
    assert message in refused.value.message_dict["quotas"][0]


@pytest.mark.parametrize("currency", ["rwf", "XXX", "ABC", "RWFX", ""])
def test_a_currency_that_is_not_iso_4217_is_refused(currency):
    company = CompanyFactory.build(currency=currency)

    with pytest.raises(ValidationError) as refused:
        company.full_clean(exclude=["slug"])

    assert "currency" in refused.value.message_dict
