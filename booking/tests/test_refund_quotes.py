"""Refund quotes at their edges (free tickets, cancelled and unknown statuses, bad fares, a
policy without tiers, the full refund) and their properties for any policy an admin may type
(hypothesis): the refund stays within the fare and never grows as departure nears."""

import dataclasses
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, reject
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from fleet.models import Company

from ..lifecycle.refunds import (
    PRESETS,
    Policy,
    Quote,
    Tier,
    full_refund,
    policy_get,
    quote,
    tiers_to_json,
)
from .quoting import DEPARTURE, before, quote_at

pytestmark = pytest.mark.usefixtures("rupees")


# --- Edge cases ----------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("status", ["CNF", "RAC", "WL"])
def test_a_free_ticket_refunds_nothing_and_charges_nothing(preset, status):
    result = quote_at(preset, "72:00", fare=0, status=status)

    assert (result.fare, result.charge, result.refund) == (0, 0, 0)


def test_a_cancelled_passenger_cannot_be_quoted():
    with pytest.raises(ValueError, match="already cancelled: there is nothing to refund"):
        quote_at("tiered", "72:00", fare=10_000, status="CAN")


def test_an_unknown_status_cannot_be_quoted():
    with pytest.raises(ValueError, match="Unknown passenger status 'XX'"):
        quote_at("tiered", "72:00", fare=10_000, status="XX")


@pytest.mark.parametrize("fare", [-1, True, 100.0, "100"])
def test_a_fare_must_be_a_non_negative_int(fare):
    with pytest.raises(ValueError, match="A fare is a non-negative int of minor units"):
        quote_at("tiered", "72:00", fare=fare)


def test_a_policy_without_tiers_refunds_nothing():
    policy = dataclasses.replace(PRESETS["tiered"], tiers=())

    result = quote(
        policy,
        fare=10_000,
        class_code="SL",
        status="CNF",
        pnr_quota="GENERAL",
        departure_at=DEPARTURE,
        now=DEPARTURE - before("240:00"),
        charted=False,
        currency="INR",
    )

    assert result == Quote(
        fare=10_000, charge=10_000, refund=0, rule="This policy refunds nothing."
    )


def test_full_refund_gives_everything_back():
    result = full_refund(fare=12_345, rule="The operator cancelled the trip: full refund.")

    assert result == Quote(
        fare=12_345, charge=0, refund=12_345, rule="The operator cancelled the trip: full refund."
    )


# --- Properties ----------------------------------------------------------------------------


@st.composite
def custom_policies(draw) -> Policy:
    """A preset with tiers of its own, typed as JSON the way an admin would and accepted by
    `tiers_from_json` (whose checks are what keeps the refunds monotonic)."""
    count = draw(st.integers(min_value=1, max_value=4))
    # Multiples of 3 minutes: the durations a decimal number of hours can express.
    steps = draw(
        st.lists(
            st.integers(min_value=0, max_value=4_000), min_size=count, max_size=count, unique=True
        )
    )
    charges = sorted(
        draw(st.lists(st.integers(min_value=0, max_value=10_000), min_size=count, max_size=count))
    )
    tiers = [
        Tier(
            minutes=3 * step,
            inclusive=draw(st.booleans()),
            charge_bp=charge,
            flat=draw(st.booleans()),
            until_charting=draw(st.booleans()),
        )
        for step, charge in zip(sorted(steps, reverse=True), charges, strict=True)
    ]
    try:
        return policy_get(draw(st.sampled_from(sorted(PRESETS))), tiers_to_json(tiers))
    except ValueError:
        reject()


policies = st.one_of(st.sampled_from(list(PRESETS.values())), custom_policies())


def moments_around(policy: Policy) -> st.SearchStrategy[int]:
    """Seconds before departure (negative: after it): anywhere, or a second either side of
    one of the policy's boundaries, where a wrong comparison or a tier refunding more than
    the one before would show."""
    edges = {0, policy.waiting_until_minutes * 60, *(tier.minutes * 60 for tier in policy.tiers)}
    near_edges = st.sampled_from(sorted(edges)).flatmap(
        lambda s: st.sampled_from([s - 1, s, s + 1])
    )
    return st.one_of(near_edges, st.integers(min_value=-86_400, max_value=400 * 3_600))


@hypothesis_settings(
    max_examples=1_000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    policy=policies,
    # Cheap fares often: that is where a flat charge outweighs a percentage.
    fare=st.one_of(
        st.integers(min_value=0, max_value=50_000), st.integers(min_value=0, max_value=10**7)
    ),
    class_code=st.sampled_from(["1A", "2A", "3A", "SL", "2S", "STANDARD", "VIP"]),
    status=st.sampled_from(["CNF", "RAC", "WL"]),
    pnr_quota=st.sampled_from(["GENERAL", "TATKAL", "LADIES", "SENIOR", "FOREIGN_TOURIST"]),
    charted_from=st.integers(min_value=0, max_value=8),
    data=st.data(),
)
def test_refund_is_within_the_fare_and_never_grows_as_departure_nears(
    policy, fare, class_code, status, pnr_quota, charted_from, data
):
    # given: one passenger's cancellation quoted at moments from the earliest to the latest;
    # the chart is prepared from the `charted_from`-th moment on, and stays prepared
    moments = sorted(
        data.draw(st.lists(moments_around(policy), min_size=2, max_size=8)), reverse=True
    )

    # when
    quotes = [
        quote(
            policy,
            fare=fare,
            class_code=class_code,
            status=status,
            pnr_quota=pnr_quota,
            departure_at=DEPARTURE,
            now=DEPARTURE - timedelta(seconds=seconds),
            charted=index >= charted_from,
            currency="INR",
        )
        for index, seconds in enumerate(moments)
    ]

    # then
    for result in quotes:
        assert result.fare == fare
        assert 0 <= result.refund <= fare
        assert result.charge + result.refund == fare
        assert result.rule
    refunds = [result.refund for result in quotes]
    assert refunds == sorted(refunds, reverse=True)


def test_a_company_with_unreadable_tiers_does_not_validate():
    company = Company(
        name="Op",
        slug="op",
        kind="bus",
        refund_tiers=[{"hours": 12, "charge_percent": 50}, {"hours": 24, "charge_percent": 25}],
    )

    with pytest.raises(ValidationError) as refused:
        company.clean()

    assert list(refused.value.message_dict) == ["refund_tiers"]
    assert "Tier 2" in refused.value.message_dict["refund_tiers"][0]
    company.refund_tiers = [{"hours": 24, "charge_percent": 25}]
    company.clean()
