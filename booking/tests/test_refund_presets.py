"""The refund presets (booking.lifecycle.refunds): tiered, flat80 and irctc2015 (confirmed
passengers by class; RAC and waitlisted passengers pay clerkage), and confirmed Tatkal under
each; every quote checked at the edges of its window (a second either side)."""

import dataclasses

import pytest

from ..lifecycle.refunds import (
    PRESETS,
    Quote,
    quote,
)
from .quoting import CLERKAGE, DEPARTURE, WAITING, before, quote_at

pytestmark = pytest.mark.usefixtures("rupees")

LEFT = "The trip has left: nothing is refunded."
TATKAL_CNF = "Confirmed Tatkal tickets are not refunded."


# Passengers the tiers treat alike: confirmed, RAC, waitlisted, and a waitlisted Tatkal
# passenger (only a confirmed Tatkal ticket loses its refund).
TIER_PASSENGERS = pytest.mark.parametrize(
    ("status", "pnr_quota"),
    [
        ("CNF", "GENERAL"),
        ("RAC", "GENERAL"),
        ("WL", "GENERAL"),
        ("WL", "TATKAL"),
        ("RAC", "TATKAL"),
    ],
)


# --- tiered --------------------------------------------------------------------------------

# A fare of ₹123.45: the percentages do not divide it, and the charge rounds down.
TIERED = [
    ("48:01", 1_234, 11_111, "At least 48 h before departure: 10 % charge."),
    ("48:00", 1_234, 11_111, "At least 48 h before departure: 10 % charge."),
    ("47:59", 3_086, 9_259, "Less than 48 h but at least 24 h before departure: 25 % charge."),
    ("24:00", 3_086, 9_259, "Less than 48 h but at least 24 h before departure: 25 % charge."),
    ("23:59", 6_172, 6_173, "Less than 24 h but at least 12 h before departure: 50 % charge."),
    ("12:00", 6_172, 6_173, "Less than 24 h but at least 12 h before departure: 50 % charge."),
    ("11:59", 12_345, 0, "Less than 12 h before departure: nothing is refunded."),
    ("0:01", 12_345, 0, "Less than 12 h before departure: nothing is refunded."),
    ("0:00", 12_345, 0, LEFT),
    ("-1:00", 12_345, 0, LEFT),
]


@TIER_PASSENGERS
@pytest.mark.parametrize("charted", [False, True])
@pytest.mark.parametrize(("when", "charge", "refund", "rule"), TIERED, ids=[r[0] for r in TIERED])
def test_tiered_refunds_by_the_hours_left(when, charge, refund, rule, charted, status, pnr_quota):
    result = quote_at(
        "tiered", when, fare=12_345, status=status, pnr_quota=pnr_quota, charted=charted
    )

    assert result == Quote(fare=12_345, charge=charge, refund=refund, rule=rule)


# --- flat80 --------------------------------------------------------------------------------

FLAT80 = [
    ("48:01", 2_469, 9_876, "Any time before departure: 20 % charge."),
    ("48:00", 2_469, 9_876, "Any time before departure: 20 % charge."),
    ("47:59", 2_469, 9_876, "Any time before departure: 20 % charge."),
    ("24:00", 2_469, 9_876, "Any time before departure: 20 % charge."),
    ("23:59", 2_469, 9_876, "Any time before departure: 20 % charge."),
    ("12:00", 2_469, 9_876, "Any time before departure: 20 % charge."),
    ("11:59", 2_469, 9_876, "Any time before departure: 20 % charge."),
    ("0:01", 2_469, 9_876, "Any time before departure: 20 % charge."),
    ("0:00:01", 2_469, 9_876, "Any time before departure: 20 % charge."),
    ("0:00", 12_345, 0, LEFT),
    ("-1:00", 12_345, 0, LEFT),
]


@TIER_PASSENGERS
@pytest.mark.parametrize(("when", "charge", "refund", "rule"), FLAT80, ids=[r[0] for r in FLAT80])
def test_flat80_refunds_80_percent_until_departure(when, charge, refund, rule, status, pnr_quota):
    result = quote_at("flat80", when, fare=12_345, status=status, pnr_quota=pnr_quota)

    assert result == Quote(fare=12_345, charge=charge, refund=refund, rule=rule)


# --- irctc2015, confirmed passengers -------------------------------------------------------

FLAT_SL = "More than 48 h before departure: flat charge of ₹120.00."
QUARTER_SL = "Up to 48 h but more than 12 h before departure: 25 % charge, at least ₹120.00."
HALF_SL = "Up to 12 h before departure, until charting: 50 % charge, at least ₹120.00."
CHARTED = "Up to 12 h before departure, after charting: nothing is refunded."
FLAT_3A = "More than 48 h before departure: flat charge of ₹180.00."
QUARTER_3A = "Up to 48 h but more than 12 h before departure: 25 % charge, at least ₹180.00."
HALF_3A = "Up to 12 h before departure, until charting: 50 % charge, at least ₹180.00."
FLAT_BUS = "More than 48 h before departure: flat charge of ₹60.00."
QUARTER_BUS = "Up to 48 h but more than 12 h before departure: 25 % charge, at least ₹60.00."

IRCTC_CNF = [
    # A cheap sleeper ticket (₹200): the flat ₹120 is more than 25 % and 50 % of it.
    ("SL", 20_000, "48:01", False, 12_000, 8_000, FLAT_SL),
    ("SL", 20_000, "48:00", False, 12_000, 8_000, QUARTER_SL),
    ("SL", 20_000, "47:59", False, 12_000, 8_000, QUARTER_SL),
    ("SL", 20_000, "24:00", False, 12_000, 8_000, QUARTER_SL),
    ("SL", 20_000, "23:59", False, 12_000, 8_000, QUARTER_SL),
    ("SL", 20_000, "12:01", False, 12_000, 8_000, QUARTER_SL),
    ("SL", 20_000, "12:00", False, 12_000, 8_000, HALF_SL),
    ("SL", 20_000, "11:59", False, 12_000, 8_000, HALF_SL),
    ("SL", 20_000, "0:01", False, 12_000, 8_000, HALF_SL),
    ("SL", 20_000, "0:00", False, 20_000, 0, LEFT),
    ("SL", 20_000, "-1:00", False, 20_000, 0, LEFT),
    # Charting ends only the last band: a chart prepared early changes nothing before 12 h.
    ("SL", 20_000, "48:01", True, 12_000, 8_000, FLAT_SL),
    ("SL", 20_000, "12:01", True, 12_000, 8_000, QUARTER_SL),
    ("SL", 20_000, "12:00", True, 20_000, 0, CHARTED),
    ("SL", 20_000, "0:01", True, 20_000, 0, CHARTED),
    ("SL", 20_000, "0:00", True, 20_000, 0, LEFT),
    # ₹400: the flat ₹120 is more than 25 % (₹100) but less than 50 % (₹200).
    ("SL", 40_000, "48:00", False, 12_000, 28_000, QUARTER_SL),
    ("SL", 40_000, "12:00", False, 20_000, 20_000, HALF_SL),
    # A dear AC three-tier ticket (₹1,500.00): the percentages beat the flat ₹180.
    ("3A", 150_000, "48:01", False, 18_000, 132_000, FLAT_3A),
    ("3A", 150_000, "48:00", False, 37_500, 112_500, QUARTER_3A),
    ("3A", 150_000, "12:01", False, 37_500, 112_500, QUARTER_3A),
    ("3A", 150_000, "12:00", False, 75_000, 75_000, HALF_3A),
    ("3A", 150_000, "0:01", False, 75_000, 75_000, HALF_3A),
    ("3A", 150_000, "0:01", True, 150_000, 0, CHARTED),
    ("3A", 150_000, "-0:01", False, 150_000, 0, LEFT),
    # Bus classes pay the second-sitting charge, ₹60; it never exceeds the fare.
    ("STANDARD", 5_000, "48:01", False, 5_000, 0, FLAT_BUS),
    ("VIP", 30_000, "48:01", False, 6_000, 24_000, FLAT_BUS),
    ("VIP", 30_000, "48:00", False, 7_500, 22_500, QUARTER_BUS),
]


@pytest.mark.parametrize(
    ("class_code", "fare", "when", "charted", "charge", "refund", "rule"),
    IRCTC_CNF,
    ids=[f"{r[0]}-{r[1]}-{r[2]}-{'charted' if r[3] else 'open'}" for r in IRCTC_CNF],
)
def test_irctc2015_confirmed_passenger(class_code, fare, when, charted, charge, refund, rule):
    result = quote_at("irctc2015", when, fare=fare, class_code=class_code, charted=charted)

    assert result == Quote(fare=fare, charge=charge, refund=refund, rule=rule)


@pytest.mark.parametrize(
    ("class_code", "charge"),
    [
        ("1A", 24_000),
        ("2A", 20_000),
        ("3A", 18_000),
        ("3E", 18_000),
        ("CC", 18_000),
        ("SL", 12_000),
        ("2S", 6_000),
        ("STANDARD", 6_000),
        ("VIP", 6_000),
    ],
)
def test_irctc2015_flat_charge_per_class(class_code, charge):
    result = quote_at("irctc2015", "72:00", fare=500_000, class_code=class_code)

    assert (result.charge, result.refund) == (charge, 500_000 - charge)


# --- irctc2015, RAC and waitlisted passengers ----------------------------------------------

TOO_LATE = f"{WAITING}, less than 30 min before departure: nothing is refunded."

IRCTC_WAITING = [
    (20_000, "48:01", False, 6_000, 14_000, CLERKAGE),
    (20_000, "48:00", False, 6_000, 14_000, CLERKAGE),
    (20_000, "12:00", False, 6_000, 14_000, CLERKAGE),
    (20_000, "11:59", True, 6_000, 14_000, CLERKAGE),
    (20_000, "0:30", False, 6_000, 14_000, CLERKAGE),
    (20_000, "0:30", True, 6_000, 14_000, CLERKAGE),
    (20_000, "0:29:59", False, 20_000, 0, TOO_LATE),
    (20_000, "0:01", True, 20_000, 0, TOO_LATE),
    (20_000, "0:00", False, 20_000, 0, LEFT),
    (20_000, "-1:00", False, 20_000, 0, LEFT),
    # A fare below the clerkage refunds nothing, and never less than nothing.
    (5_000, "48:01", False, 5_000, 0, CLERKAGE),
    (0, "48:01", False, 0, 0, CLERKAGE),
]


@pytest.mark.parametrize(
    ("status", "pnr_quota"),
    [
        ("RAC", "GENERAL"),
        ("WL", "GENERAL"),
        ("RAC", "TATKAL"),
        ("WL", "TATKAL"),
    ],
)
@pytest.mark.parametrize(
    ("fare", "when", "charted", "charge", "refund", "rule"),
    IRCTC_WAITING,
    ids=[f"{r[0]}-{r[1]}-{'charted' if r[2] else 'open'}" for r in IRCTC_WAITING],
)
def test_irctc2015_waiting_passenger_pays_clerkage(
    fare, when, charted, charge, refund, rule, status, pnr_quota
):
    result = quote_at(
        "irctc2015",
        when,
        fare=fare,
        class_code="3A",
        status=status,
        pnr_quota=pnr_quota,
        charted=charted,
    )

    assert result == Quote(fare=fare, charge=charge, refund=refund, rule=rule)


# --- Confirmed Tatkal ----------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize(
    ("when", "rule"),
    [
        ("240:00", TATKAL_CNF),
        ("48:01", TATKAL_CNF),
        ("48:00", TATKAL_CNF),
        ("12:00", TATKAL_CNF),
        ("0:01", TATKAL_CNF),
        ("0:00", LEFT),
        ("-1:00", LEFT),
    ],
)
def test_confirmed_tatkal_gets_nothing_under_every_preset(preset, when, rule):
    result = quote_at(preset, when, fare=26_000, pnr_quota="TATKAL")

    assert result == Quote(fare=26_000, charge=26_000, refund=0, rule=rule)


def test_a_policy_may_refund_confirmed_tatkal():
    policy = dataclasses.replace(PRESETS["tiered"], refunds_confirmed_tatkal=True)

    result = quote(
        policy,
        fare=26_000,
        class_code="3A",
        status="CNF",
        pnr_quota="TATKAL",
        departure_at=DEPARTURE,
        now=DEPARTURE - before("48:00"),
        charted=False,
        currency="INR",
    )

    assert result == Quote(
        fare=26_000,
        charge=2_600,
        refund=23_400,
        rule="At least 48 h before departure: 10 % charge.",
    )
