"""The refund policy rules (booking.lifecycle.refunds): pure functions, so no database.

Expected amounts in the tables are worked out by hand; the time before departure is written
as "h:mm" or "h:mm:ss" ("-1:00" is an hour after departure).
"""

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
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
    tiers_from_json,
    tiers_to_json,
)

DEPARTURE = datetime(2025, 3, 15, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))

LEFT = "The trip has left: nothing is refunded."
TATKAL_CNF = "Confirmed Tatkal tickets are not refunded."


@pytest.fixture(autouse=True, scope="module")
def _rupees():
    """The rule sentences name amounts in the deployment currency: rupees here."""
    with override_settings(TTMS_CURRENCY="INR"):
        yield


def before(text: str) -> timedelta:
    """ "47:59" -> 47 h 59 min, "0:29:59" -> 29 min 59 s, "-1:00" -> minus one hour."""
    sign = -1 if text.startswith("-") else 1
    hours, minutes, *seconds = (int(part) for part in text.lstrip("-").split(":"))
    return sign * timedelta(hours=hours, minutes=minutes, seconds=seconds[0] if seconds else 0)


def quote_at(
    preset: str,
    when: str,
    *,
    fare: int,
    class_code: str = "SL",
    status: str = "CNF",
    pnr_quota: str = "GENERAL",
    charted: bool = False,
) -> Quote:
    return quote(
        PRESETS[preset],
        fare=fare,
        class_code=class_code,
        status=status,
        pnr_quota=pnr_quota,
        departure_at=DEPARTURE,
        now=DEPARTURE - before(when),
        charted=charted,
    )


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

WAITING = "RAC and waitlisted tickets"
CLERKAGE = f"{WAITING}, at least 30 min before departure: fare less ₹60.00 clerkage."
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
    )

    assert result == Quote(
        fare=26_000,
        charge=2_600,
        refund=23_400,
        rule="At least 48 h before departure: 10 % charge.",
    )


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
    )

    assert result == Quote(
        fare=10_000, charge=10_000, refund=0, rule="This policy refunds nothing."
    )


def test_full_refund_gives_everything_back():
    result = full_refund(fare=12_345, rule="The operator cancelled the trip: full refund.")

    assert result == Quote(
        fare=12_345, charge=0, refund=12_345, rule="The operator cancelled the trip: full refund."
    )


# --- tiers_from_json -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "tiers"),
    [
        ([], ()),
        (
            [{"hours": 48, "charge_percent": 10}, {"hours": 24, "charge_percent": 25}],
            (
                Tier(minutes=2_880, inclusive=True, charge_bp=1_000),
                Tier(minutes=1_440, inclusive=True, charge_bp=2_500),
            ),
        ),
        (
            [{"hours": 72.0, "charge_percent": 0}, {"hours": 0, "charge_percent": 100}],
            (
                Tier(minutes=4_320, inclusive=True, charge_bp=0),
                Tier(minutes=0, inclusive=True, charge_bp=10_000),
            ),
        ),
        (
            [
                {
                    "hours": 0.5,
                    "charge_percent": 12.5,
                    "at_least": False,
                    "flat_charge": True,
                    "until_charting": True,
                }
            ],
            (Tier(minutes=30, inclusive=False, charge_bp=1_250, flat=True, until_charting=True),),
        ),
        (
            [
                {
                    "hours": 1.05,
                    "charge_percent": 33.33,
                    "at_least": True,
                    "flat_charge": False,
                    "until_charting": False,
                }
            ],
            (Tier(minutes=63, inclusive=True, charge_bp=3_333),),
        ),
        (
            [{"hours": 8_760, "charge_percent": 0.01}],
            (Tier(minutes=525_600, inclusive=True, charge_bp=1),),
        ),
    ],
)
def test_tiers_from_json_reads_what_an_admin_types(data, tiers):
    assert tiers_from_json(data) == tiers


EXAMPLE = '{"hours": 48, "charge_percent": 10}'
GOOD = {"hours": 48, "charge_percent": 10}

INVALID_TIERS = [
    ({}, f"The refund tiers must be a list, such as [{EXAMPLE}]."),
    ('[{"hours": 48}]', f"The refund tiers must be a list, such as [{EXAMPLE}]."),
    (None, f"The refund tiers must be a list, such as [{EXAMPLE}]."),
    ([48], f"Tier 1 must be an object, such as {EXAMPLE}."),
    ([GOOD, [48, 10]], f"Tier 2 must be an object, such as {EXAMPLE}."),
    ([{"hours": 48}], f'Tier 1 has no "charge_percent"; each tier looks like {EXAMPLE}.'),
    ([{"charge_percent": 10}], f'Tier 1 has no "hours"; each tier looks like {EXAMPLE}.'),
    (
        [{"hours": 48, "charge_percent": 10, "hour": 1, "flat": True}],
        'Tier 1 has unknown keys "flat", "hour"; the keys are hours, charge_percent, at_least, '
        "flat_charge, until_charting.",
    ),
    ([{"hours": "48", "charge_percent": 10}], 'Tier 1: "hours" must be a number, not "48".'),
    ([{"hours": True, "charge_percent": 10}], 'Tier 1: "hours" must be a number, not true.'),
    ([{"hours": None, "charge_percent": 10}], 'Tier 1: "hours" must be a number, not null.'),
    ([{"hours": [48], "charge_percent": 10}], 'Tier 1: "hours" must be a number, not a list.'),
    (
        [{"hours": 48, "charge_percent": False}],
        'Tier 1: "charge_percent" must be a number, not false.',
    ),
    (
        [{"hours": 48, "charge_percent": {"value": 10}}],
        'Tier 1: "charge_percent" must be a number, not an object.',
    ),
    ([{"hours": float("nan"), "charge_percent": 10}], 'Tier 1: "hours" must be a finite number.'),
    ([{"hours": float("inf"), "charge_percent": 10}], 'Tier 1: "hours" must be a finite number.'),
    ([{"hours": -1, "charge_percent": 10}], 'Tier 1: "hours" must not be negative.'),
    ([{"hours": 8_761, "charge_percent": 10}], 'Tier 1: "hours" must be at most 8760 (a year).'),
    (
        [{"hours": 0.01, "charge_percent": 10}],
        'Tier 1: "hours" must make whole minutes (0.5 is 30 minutes).',
    ),
    (
        [{"hours": 48, "charge_percent": 100.5}],
        'Tier 1: "charge_percent" must be between 0 and 100.',
    ),
    ([{"hours": 48, "charge_percent": -1}], 'Tier 1: "charge_percent" must be between 0 and 100.'),
    (
        [{"hours": 48, "charge_percent": 12.345}],
        'Tier 1: "charge_percent" may have at most two decimals.',
    ),
    (
        [{"hours": 48, "charge_percent": 10, "at_least": "yes"}],
        'Tier 1: "at_least" must be true or false.',
    ),
    (
        [{"hours": 48, "charge_percent": 10, "flat_charge": 1}],
        'Tier 1: "flat_charge" must be true or false.',
    ),
    (
        [{"hours": 48, "charge_percent": 10, "until_charting": None}],
        'Tier 1: "until_charting" must be true or false.',
    ),
    (
        [GOOD, {"hours": 24, "charge_percent": 25}, {"hours": 12, "charge_percent": 200}],
        'Tier 3: "charge_percent" must be between 0 and 100.',
    ),
    (
        [{"hours": 24, "charge_percent": 10}, {"hours": 48, "charge_percent": 25}],
        "Tier 2 (48 h) must have fewer hours than tier 1 (24 h): list the tiers from the most "
        "hours before departure to the fewest.",
    ),
    (
        [
            {"hours": 24, "charge_percent": 10},
            {"hours": 24, "charge_percent": 25, "at_least": False},
        ],
        "Tier 2 (24 h) must have fewer hours than tier 1 (24 h): list the tiers from the most "
        "hours before departure to the fewest.",
    ),
    (
        [{"hours": 48, "charge_percent": 25}, {"hours": 24, "charge_percent": 12.5}],
        "Tier 2 charges less (12.5 %) than tier 1 (25 %): a later cancellation may not refund "
        "more.",
    ),
    (
        [
            {"hours": 48, "charge_percent": 0, "flat_charge": True},
            {"hours": 24, "charge_percent": 25},
        ],
        'Tier 2 needs "flat_charge": true, as tier 1 has it: without it a cheap ticket would get '
        "more back by cancelling later.",
    ),
    (
        [
            {"hours": 12, "charge_percent": 50, "until_charting": True},
            {"hours": 4, "charge_percent": 75},
        ],
        'Tier 2 needs "until_charting": true, as tier 1 has it: after charting nothing is '
        "refunded.",
    ),
]


@pytest.mark.parametrize(("data", "message"), INVALID_TIERS)
def test_tiers_from_json_refuses_with_a_readable_message(data, message):
    with pytest.raises(ValueError) as raised:
        tiers_from_json(data)

    assert str(raised.value) == message


# --- tiers_to_json -------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_tiers_to_json_round_trips_every_preset(preset):
    tiers = PRESETS[preset].tiers

    assert tiers_from_json(tiers_to_json(tiers)) == tiers


def test_tiers_to_json_writes_only_what_differs_from_the_defaults():
    assert tiers_to_json(PRESETS["irctc2015"].tiers) == [
        {"hours": 48, "charge_percent": 0, "at_least": False, "flat_charge": True},
        {"hours": 12, "charge_percent": 25, "at_least": False, "flat_charge": True},
        {
            "hours": 0,
            "charge_percent": 50,
            "at_least": False,
            "flat_charge": True,
            "until_charting": True,
        },
    ]
    assert tiers_to_json([Tier(minutes=63, inclusive=True, charge_bp=1_250)]) == [
        {"hours": 1.05, "charge_percent": 12.5},
    ]


def test_tiers_to_json_refuses_minutes_that_make_no_decimal_hours():
    with pytest.raises(ValueError, match="20 minutes cannot be written in hours exactly"):
        tiers_to_json([Tier(minutes=20, inclusive=True, charge_bp=1_000)])


# --- policy_get ----------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("tiers_json", [None, []])
def test_policy_get_gives_the_preset_without_custom_tiers(preset, tiers_json):
    assert policy_get(preset, tiers_json) is PRESETS[preset]


def test_policy_get_replaces_only_the_tiers_of_the_preset():
    policy = policy_get("irctc2015", [{"hours": 24, "charge_percent": 30}])

    assert policy == dataclasses.replace(
        PRESETS["irctc2015"], tiers=(Tier(minutes=1_440, inclusive=True, charge_bp=3_000),)
    )
    # The custom tiers decide for confirmed passengers ...
    assert quote(
        policy,
        fare=10_000,
        class_code="SL",
        status="CNF",
        pnr_quota="GENERAL",
        departure_at=DEPARTURE,
        now=DEPARTURE - before("24:00"),
        charted=False,
    ) == Quote(
        fare=10_000, charge=3_000, refund=7_000, rule="At least 24 h before departure: 30 % charge."
    )
    assert quote(
        policy,
        fare=10_000,
        class_code="SL",
        status="CNF",
        pnr_quota="GENERAL",
        departure_at=DEPARTURE,
        now=DEPARTURE - before("23:59"),
        charted=False,
    ) == Quote(
        fare=10_000,
        charge=10_000,
        refund=0,
        rule="Less than 24 h before departure: nothing is refunded.",
    )
    # ... and the preset's clerkage still applies to waitlisted ones.
    assert quote(
        policy,
        fare=10_000,
        class_code="SL",
        status="WL",
        pnr_quota="GENERAL",
        departure_at=DEPARTURE,
        now=DEPARTURE - before("1:00"),
        charted=False,
    ) == Quote(fare=10_000, charge=6_000, refund=4_000, rule=CLERKAGE)


def test_policy_get_refuses_an_unknown_preset():
    with pytest.raises(ValueError) as raised:
        policy_get("generous")

    assert str(raised.value) == (
        "Unknown refund policy 'generous'; choose one of tiered, flat80, irctc2015."
    )


@pytest.mark.parametrize(
    ("tiers_json", "message"),
    [
        ({"hours": 48}, f"The refund tiers must be a list, such as [{EXAMPLE}]."),
        (
            [{"hours": 48, "charge_percent": 110}],
            'Tier 1: "charge_percent" must be between 0 and 100.',
        ),
    ],
)
def test_policy_get_refuses_invalid_tiers(tiers_json, message):
    with pytest.raises(ValueError) as raised:
        policy_get("tiered", tiers_json)

    assert str(raised.value) == message


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
