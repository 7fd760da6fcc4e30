"""The pure booking rules: legs and their two-column masks, quota eligibility, booking
windows, earmarking, and fares in integer minor units."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fleet.models import Company

from .. import rules
from ..models import FareRule
from ..rules import SeatRow, Traveller
from ..sales.fares import DEFAULT_MULTIPLIERS_BP, Tariff, tariff_get
from ..sales.inventory import class_quotas
from .factories import IST, rail_company

# --- Legs -----------------------------------------------------------------------------------


def test_legs_mask_sets_one_bit_per_leg_ridden():
    assert rules.legs_mask(1, 2) == 0b1
    assert rules.legs_mask(1, 4) == 0b111
    assert rules.legs_mask(2, 4) == 0b110
    assert rules.legs_mask(3, 4) == 0b100


def test_legs_mask_counts_from_the_routes_first_sequence():
    assert rules.legs_mask(5, 7, first_sequence=5) == 0b11


def test_journeys_a_to_b_and_b_to_c_share_no_leg():
    assert rules.legs_mask(1, 3) & rules.legs_mask(3, 5) == 0


@pytest.mark.parametrize(("origin", "destination"), [(2, 2), (3, 2), (0, 2), (1, 128)])
def test_legs_mask_refuses_empty_backward_or_too_long_journeys(origin, destination):
    with pytest.raises(ValueError, match=r"outside 0\.\.126"):
        rules.legs_mask(origin, destination)


def test_legs_beyond_63_go_to_the_high_column():
    # given: the journey from stop 61 to stop 71, legs 60..69
    mask = rules.legs_mask(61, 71)

    # when
    low, high = rules.split_mask(mask)

    # then: legs 60-62 low, legs 63-69 are bits 0-6 of high
    assert (low, high) == (0b111 << 60, 0b1111111)
    assert rules.join_mask(low, high) == mask


def test_the_longest_journey_fills_both_columns():
    low, high = rules.split_mask(rules.legs_mask(1, 127))

    assert (low, high) == (2**63 - 1, 2**63 - 1)
    assert low <= 2**63 - 1  # fits a signed BIGINT
    assert rules.join_mask(low, high) == 2**126 - 1


def test_leg_63_alone_is_the_lowest_bit_of_high():
    assert rules.split_mask(rules.legs_mask(64, 65)) == (0, 1)


# --- Passengers and quotas ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "gender", "senior"),
    [
        (59, "M", False),
        (60, "M", True),
        (57, "F", False),
        (58, "F", True),
        (59, "T", False),
        (60, "T", True),
    ],
)
def test_seniors_are_men_from_60_and_women_from_58(age, gender, senior):
    assert rules.is_senior(Traveller(age, gender)) is senior


@pytest.mark.parametrize(
    ("age", "gender", "lower"),
    [(44, "F", False), (45, "F", True), (45, "M", False), (59, "M", False), (60, "M", True)],
)
def test_women_from_45_and_seniors_need_lower_berths(age, gender, lower):
    assert rules.needs_lower_berth(Traveller(age, gender)) is lower


def test_ladies_quota_needs_every_passenger_a_woman():
    assert rules.quota_eligible("LADIES", [Traveller(30, "F"), Traveller(8, "F")])
    assert not rules.quota_eligible("LADIES", [Traveller(30, "F"), Traveller(8, "M")])


def test_senior_quota_needs_one_or_two_seniors():
    assert rules.quota_eligible("SENIOR", [Traveller(60, "M"), Traveller(58, "F")])
    assert not rules.quota_eligible("SENIOR", [Traveller(60, "M"), Traveller(57, "F")])
    assert not rules.quota_eligible("SENIOR", [Traveller(70, "M")] * 3)


@pytest.mark.parametrize("quota", ["GENERAL", "TATKAL", "FOREIGN_TOURIST"])
def test_other_quotas_take_anyone(quota):
    assert rules.quota_eligible(quota, [Traveller(30, "M"), Traveller(8, "F")]) is True


def test_quota_counts_leave_general_what_the_quotas_did_not_take():
    counts = rules.quota_counts(
        {"SENIOR": 3, "LADIES": 2, "TATKAL": 4, "FOREIGN_TOURIST": 1}, plain=8, rac=2
    )
    assert counts == {"SENIOR": 3, "LADIES": 2, "TATKAL": 3, "GENERAL": 0, "RAC": 4}
    assert rules.quota_counts({"LADIES": 2}, plain=10, rac=0) == {"LADIES": 2, "GENERAL": 8}


def test_booking_windows_open_by_quota_and_class():
    day = date(2030, 1, 7)

    def opens(quota, class_code="SL"):
        return rules.booking_opens_at(quota=quota, class_code=class_code, travel_date=day, tz=IST)

    assert opens("TATKAL", "3A") == datetime(2030, 1, 6, 10, 0, tzinfo=IST)
    assert opens("TATKAL", "SL") == datetime(2030, 1, 6, 11, 0, tzinfo=IST)
    assert opens("GENERAL") == datetime(2029, 11, 8, 0, 0, tzinfo=IST)
    assert opens("FOREIGN_TOURIST") == datetime(2029, 1, 7, 0, 0, tzinfo=IST)


@pytest.mark.parametrize(
    ("quota", "most"),
    [("GENERAL", 6), ("LADIES", 6), ("SENIOR", 6), ("TATKAL", 4), ("FOREIGN_TOURIST", 6)],
)
def test_a_pnr_holds_six_passengers_and_a_tatkal_pnr_four(quota, most):
    assert rules.max_passengers(quota) == most


def test_search_offers_the_origins_today_to_the_last_day_some_quota_is_on_sale():
    # 20:00 UTC on 5 Jan is already 6 Jan in India, still 5 Jan in New York.
    now = datetime(2030, 1, 5, 20, 0, tzinfo=ZoneInfo("UTC"))

    india = rules.search_dates(now=now, tz=IST)
    new_york = rules.search_dates(now=now, tz=ZoneInfo("America/New_York"))

    assert india == (date(2030, 1, 6), date(2031, 1, 6))
    assert new_york == (date(2030, 1, 5), date(2031, 1, 5))
    last_opens = rules.booking_opens_at(
        quota="FOREIGN_TOURIST", class_code="SL", travel_date=india[1], tz=IST
    )
    after_opens = rules.booking_opens_at(
        quota="FOREIGN_TOURIST", class_code="SL", travel_date=india[1] + timedelta(days=1), tz=IST
    )
    assert last_opens <= now < after_opens


# --- Earmarking -----------------------------------------------------------------------------


def sleeper_coach(coach_id: int, first_order: int = 0, rac: int = 7) -> list[SeatRow]:
    """The 72 berths of an SL coach as SeatRows, seat ids coach_id*100 + number."""
    bay = ["LB", "MB", "UB", "LB", "MB", "UB", "SL", "SU"]
    rows, side_lowers = [], 0
    for i in range(72):
        berth = bay[i % 8]
        is_rac = berth == "SL" and side_lowers < rac
        side_lowers += berth == "SL"
        rows.append(SeatRow(coach_id * 100 + i + 1, coach_id, first_order + i, berth, is_rac))
    return rows


def numbers(quotas: dict[int, str], quota: str) -> list[int]:
    return sorted(seat for seat, q in quotas.items() if q == quota)


def test_earmarking_gives_rac_berths_to_rac_and_the_rest_to_general():
    quotas = rules.earmark(sleeper_coach(1), {})

    assert numbers(quotas, "RAC") == [107, 115, 123, 131, 139, 147, 155]
    assert len(numbers(quotas, "GENERAL")) == 65


def test_senior_takes_lower_berths_coach_by_coach_in_turn():
    seats = sleeper_coach(1) + sleeper_coach(2, first_order=72)

    quotas = rules.earmark(seats, {"SENIOR": 5})

    # LB of coach 1 (1, 4, 9), of coach 2 (1, 4): 1, 1, 4, 4, 9 in turn
    assert numbers(quotas, "SENIOR") == [101, 104, 109, 201, 204]
    assert {s.berth_type for s in seats if quotas[s.seat_id] == "SENIOR"} == {"LB"}


def test_senior_overflows_to_side_lowers_then_anything():
    seats = sleeper_coach(1, rac=0)[:8]  # LB MB UB LB MB UB SL SU

    quotas = rules.earmark(seats, {"SENIOR": 4})

    # the two LB (1, 4), the side lower (7), then the first seat left (2)
    assert numbers(quotas, "SENIOR") == [101, 102, 104, 107]


def test_ladies_take_the_front_and_tatkal_the_rear():
    quotas = rules.earmark(
        sleeper_coach(1), {"LADIES": 6, "SENIOR": 6, "TATKAL": 6, "FOREIGN_TOURIST": 2}
    )

    assert numbers(quotas, "SENIOR") == [101, 104, 109, 112, 117, 120]
    assert numbers(quotas, "LADIES") == [102, 103, 105, 106, 108, 110]
    assert numbers(quotas, "TATKAL") == [167, 168, 169, 170, 171, 172]
    assert numbers(quotas, "FOREIGN_TOURIST") == [165, 166]


def test_earmarking_is_deterministic_whatever_order_the_seats_come_in():
    seats = sleeper_coach(1) + sleeper_coach(2, first_order=72)
    distribution = {"LADIES": 6, "SENIOR": 6, "TATKAL": 13}
    shuffled = list(seats)
    random.Random(7).shuffle(shuffled)

    assert rules.earmark(shuffled, distribution) == rules.earmark(seats, distribution)


def test_earmark_counts_beyond_the_seats_are_cut_to_what_is_left():
    seats = sleeper_coach(1)[:8]  # 7 plain berths and one RAC berth

    quotas = rules.earmark(seats, {"SENIOR": 2, "LADIES": 4, "TATKAL": 50})

    assert [quotas[s.seat_id] for s in seats] == [
        "SENIOR",
        "LADIES",
        "LADIES",
        "SENIOR",
        "LADIES",
        "LADIES",
        "RAC",
        "TATKAL",
    ]


def test_railway_defaults_earmark_ladies_senior_and_a_tenth_for_tatkal():
    company = Company(kind=Company.Kind.RAIL, quota_distribution={})
    seats = sleeper_coach(1) + sleeper_coach(2, first_order=72)

    quotas = class_quotas(company, "SL", seats)

    counts = {q: len(numbers(quotas, q)) for q in set(quotas.values())}
    assert counts == {"LADIES": 6, "SENIOR": 12, "TATKAL": 13, "RAC": 14, "GENERAL": 99}


def test_a_company_distribution_replaces_the_defaults_and_a_bus_earmarks_nothing():
    seats = sleeper_coach(1)
    rail = Company(kind=Company.Kind.RAIL, quota_distribution={"SL": {"TATKAL": 2}})
    bus = Company(kind=Company.Kind.BUS, quota_distribution={})

    assert set(class_quotas(rail, "SL", seats).values()) == {"TATKAL", "GENERAL", "RAC"}
    # A bus company sells no RAC by default: the layout's RAC berths are plain GENERAL seats.
    assert set(class_quotas(bus, "SL", seats).values()) == {"GENERAL"}
    bus.rac = True
    assert set(class_quotas(bus, "SL", seats).values()) == {"GENERAL", "RAC"}


# --- Fares ----------------------------------------------------------------------------------


def test_fare_is_rate_times_km_rounded_up_to_the_minor_unit():
    tariff = Tariff(rate_per_km=45, minimum_fare=1_000, multipliers_bp={})

    assert tariff.fare(distance_km=Decimal("100.1"), quota="GENERAL") == 4_505  # 4504.5
    assert tariff.fare(distance_km=Decimal("300.0"), quota="GENERAL") == 13_500


def test_fare_is_never_below_the_minimum():
    tariff = Tariff(rate_per_km=45, minimum_fare=1_000, multipliers_bp={})

    assert tariff.fare(distance_km=Decimal("22.2"), quota="GENERAL") == 1_000  # 999
    assert tariff.fare(distance_km=Decimal("22.3"), quota="GENERAL") == 1_004  # 1003.5


def test_tatkal_costs_1_3_and_foreign_tourist_1_5_times_rounded_up():
    tariff = Tariff(45, 1_000, dict(DEFAULT_MULTIPLIERS_BP))

    fares = {
        quota: tariff.fare(distance_km=Decimal("100.1"), quota=quota)
        for quota in ("GENERAL", "LADIES", "SENIOR", "TATKAL", "FOREIGN_TOURIST")
    }

    assert fares == {
        "GENERAL": 4_505,
        "LADIES": 4_505,
        "SENIOR": 4_505,
        "TATKAL": 5_857,
        "FOREIGN_TOURIST": 6_758,
    }  # 5856.5, 6757.5
    assert all(type(fare) is int for fare in fares.values())


@pytest.mark.django_db
def test_a_fare_rule_overrides_the_class_defaults_and_some_multipliers():
    # given
    company = rail_company()
    FareRule.objects.create(
        company=company,
        class_code="SL",
        rate_per_km=60,
        minimum_fare=0,
        multipliers_bp={"TATKAL": 12_000},
    )

    # when
    tariff = tariff_get(company_id=company.pk, class_code="SL")
    default = tariff_get(company_id=company.pk, class_code="3A")
    unknown = tariff_get(company_id=company.pk, class_code="XX")

    # then
    assert tariff == Tariff(60, 0, {"TATKAL": 12_000, "FOREIGN_TOURIST": 15_000})
    assert tariff.fare(distance_km=Decimal("10.0"), quota="TATKAL") == 720
    assert (default.rate_per_km, default.minimum_fare) == (120, 2_000)
    assert (unknown.rate_per_km, unknown.minimum_fare) == (100, 1_000)


def test_a_booking_window_is_in_the_boarding_stations_zone():
    dubai = ZoneInfo("Asia/Dubai")

    opens = rules.booking_opens_at(
        quota="TATKAL", class_code="2A", travel_date=date(2030, 1, 7), tz=dubai
    )

    assert opens.astimezone(IST) == datetime(2030, 1, 6, 11, 30, tzinfo=IST)


@pytest.mark.parametrize(
    ("given", "code"),
    [("GB", "GB"), (" gb ", "GB"), ("GBR", "GB"), ("ind", "IN"), ("", ""), ("  ", "")],
)
def test_a_country_is_kept_as_its_iso_3166_alpha_2_code(given, code):
    assert rules.country_code(given) == code


@pytest.mark.parametrize("given", ["ZZ", "XK", "G", "GBRX", "G1", "ÉÉ", "UK"])
def test_what_is_not_an_iso_3166_code_is_refused_by_name(given):
    with pytest.raises(ValueError) as refused:
        rules.country_code(given)

    assert str(refused.value) == (
        f"{given.upper()!r} is not a country code of ISO 3166-1: "
        "give its two letters (GB) or its three (GBR)."
    )
