"""A company's refund policy as an admin types it: tiers read from JSON (with a readable
message for every mistake), written back to JSON, and the policy a company's preset and tiers
give (policy_get)."""

import dataclasses

import pytest

from ..lifecycle.refunds import (
    PRESETS,
    Quote,
    Tier,
    policy_get,
    quote,
    tiers_from_json,
    tiers_to_json,
)
from .quoting import CLERKAGE, DEPARTURE, before

pytestmark = pytest.mark.usefixtures("rupees")


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
        currency="INR",
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
        currency="INR",
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
        currency="INR",
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
