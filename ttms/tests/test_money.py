"""Money for people and for machines: minor units and formats from CLDR, per currency."""

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from ttms import money


@pytest.mark.parametrize(
    ("currency", "digits"), [("INR", 2), ("KES", 2), ("RWF", 0), ("UGX", 0), ("BHD", 3)]
)
def test_minor_units_come_from_cldr(currency, digits):
    assert money.exponent(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        (174_120, "INR", "₹1,741.20"),
        (2_500, "RWF", "RWF\u00a02,500"),
        (120_000, "KES", "KES\u00a01,200.00"),
        (5_000, "UGX", "UGX\u00a05,000"),
        (-150, "INR", "-₹1.50"),
    ],
)
def test_amounts_are_shown_as_people_write_them_in_english(amount, currency, shown):
    with translation.override("en"):
        assert money.format_money(amount, currency) == shown


def test_hindi_groups_rupees_in_lakhs():
    with translation.override("hi"):
        assert money.format_money(12_345_678, "INR") == "₹1,23,456.78"


@pytest.mark.parametrize(
    ("text", "currency", "amount"),
    [("123.45", "INR", 12_345), ("2500", "RWF", 2_500), ("12", "KES", 1_200), ("0.5", "INR", 50)],
)
def test_a_decimal_string_is_read_into_minor_units(text, currency, amount):
    assert money.from_major_string(text, currency) == amount


@pytest.mark.parametrize(
    ("text", "currency"), [("2500.5", "RWF"), ("1.234", "INR"), ("-1", "INR"), ("1e3", "INR")]
)
def test_a_string_that_is_not_an_exact_amount_of_the_currency_is_refused(text, currency):
    with pytest.raises(ValueError):
        money.from_major_string(text, currency)


@given(
    amount=st.integers(min_value=-(10**15), max_value=10**15),
    currency=st.sampled_from(["INR", "RWF", "KES", "UGX", "BHD"]),
)
def test_minor_units_survive_the_round_trip_through_a_decimal_string(amount, currency):
    text = money.to_major_string(abs(amount), currency)

    assert money.from_major_string(text, currency) == abs(amount)


def test_commission_is_rounded_down_and_the_shares_add_up():
    assert money.split_commission(999, 500) == (950, 49)
