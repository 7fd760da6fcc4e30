"""`booking.rules.allocate`: who gets which place, given the places free for the journey."""

from ..rules import Allocation, FreePlace, Traveller, allocate

MAN = Traveller(30, "M")
WOMAN = Traveller(30, "F")


def place(
    pk: int,
    quota: str = "GENERAL",
    *,
    coach: int = 1,
    order: int | None = None,
    berth: str = "LB",
    half: int = 0,
    seat: int | None = None,
) -> FreePlace:
    return FreePlace(
        place_id=pk,
        seat_id=seat or pk,
        coach_id=coach,
        order=pk if order is None else order,
        berth_type=berth,
        quota=quota,
        half=half,
    )


def outcome(allocations: list[Allocation]) -> list[tuple[str, str, int | None]]:
    return [(a.status, a.quota, a.place.place_id if a.place else None) for a in allocations]


def test_passengers_take_quota_seats_then_general_then_rac_halves_then_wait():
    # given: one LADIES seat, two GENERAL, one RAC berth (two halves), one TATKAL seat
    places = [
        place(1, "LADIES"),
        place(2),
        place(3),
        place(7, "RAC", half=1, seat=7),
        place(8, "RAC", half=2, seat=7, order=7),
        place(9, "TATKAL"),
    ]

    # when: six women book in LADIES
    result = allocate([WOMAN] * 6, places, quota="LADIES")

    # then: in order; the TATKAL seat is never theirs; RAC and WL queue in LADIES
    assert outcome(result.passengers) == [
        ("CNF", "LADIES", 1),
        ("CNF", "GENERAL", 2),
        ("CNF", "GENERAL", 3),
        ("RAC", "LADIES", 7),
        ("RAC", "LADIES", 8),
        ("WL", "LADIES", None),
    ]
    assert not result.all_confirmed


def test_a_general_booking_never_takes_earmarked_seats():
    places = [
        place(1, "LADIES"),
        place(2, "SENIOR"),
        place(3, "TATKAL"),
        place(4, "FOREIGN_TOURIST"),
        place(5),
    ]

    result = allocate([MAN, MAN], places, quota="GENERAL")

    assert outcome(result.passengers) == [("CNF", "GENERAL", 5), ("WL", "GENERAL", None)]


def test_rac_halves_go_by_berth_order_then_half():
    places = [
        place(20, "RAC", half=2, seat=2, order=2),
        place(10, "RAC", half=1, seat=2, order=2),
        place(31, "RAC", half=1, seat=1, order=1),
        place(32, "RAC", half=2, seat=1, order=1),
    ]

    result = allocate([MAN] * 3, places, quota="GENERAL")

    assert outcome(result.passengers) == [
        ("RAC", "GENERAL", 31),
        ("RAC", "GENERAL", 32),
        ("RAC", "GENERAL", 10),
    ]


def test_berth_preference_is_honoured_when_a_berth_of_that_kind_is_free():
    places = [place(1, berth="LB"), place(2, berth="MB"), place(3, berth="UB")]

    result = allocate(
        [Traveller(30, "M", "UB"), Traveller(30, "M", "SU"), MAN], places, quota="GENERAL"
    )

    # the second wants a side upper: none, so the first place left
    assert outcome(result.passengers) == [
        ("CNF", "GENERAL", 3),
        ("CNF", "GENERAL", 1),
        ("CNF", "GENERAL", 2),
    ]


def test_seniors_and_women_from_45_get_lower_berths_without_asking():
    places = [
        place(1, berth="UB"),
        place(2, berth="MB"),
        place(3, berth="LB"),
        place(4, berth="SL"),
        place(5, berth="UB"),
    ]

    result = allocate(
        [Traveller(60, "M"), Traveller(45, "F"), Traveller(44, "F"), Traveller(59, "M")],
        places,
        quota="GENERAL",
    )

    assert outcome(result.passengers) == [
        ("CNF", "GENERAL", 3),
        ("CNF", "GENERAL", 4),
        ("CNF", "GENERAL", 1),
        ("CNF", "GENERAL", 2),
    ]


def test_a_pnr_goes_to_the_coach_that_can_seat_it_whole():
    # given: coach 1 (front) has two free seats, coach 2 has three
    places = [
        place(1, coach=1),
        place(2, coach=1),
        place(11, coach=2),
        place(12, coach=2),
        place(13, coach=2),
    ]

    # when
    result = allocate([MAN] * 3, places, quota="GENERAL")

    # then
    assert outcome(result.passengers) == [
        ("CNF", "GENERAL", 11),
        ("CNF", "GENERAL", 12),
        ("CNF", "GENERAL", 13),
    ]
    assert result.coaches == {2} and result.all_confirmed


def test_a_pnr_too_big_for_any_coach_fills_the_roomiest_first_then_spills_over():
    places = [place(1, coach=1), place(11, coach=2), place(12, coach=2)]

    result = allocate([MAN] * 3, places, quota="GENERAL")

    assert outcome(result.passengers) == [
        ("CNF", "GENERAL", 11),
        ("CNF", "GENERAL", 12),
        ("CNF", "GENERAL", 1),
    ]
    assert result.coaches == {1, 2}


def test_equal_coaches_are_taken_from_the_front():
    places = [place(11, coach=2, order=11), place(1, coach=1, order=1)]

    result = allocate([MAN], places, quota="GENERAL")

    assert outcome(result.passengers) == [("CNF", "GENERAL", 1)]


def test_general_seats_join_the_coach_the_quota_seats_are_in():
    # given: the one SENIOR seat in coach 2; GENERAL seats in both coaches
    places = [
        place(1, coach=1),
        place(2, coach=1),
        place(11, "SENIOR", coach=2),
        place(12, coach=2),
    ]

    result = allocate([Traveller(60, "M"), Traveller(62, "M")], places, quota="SENIOR")

    assert outcome(result.passengers) == [("CNF", "SENIOR", 11), ("CNF", "GENERAL", 12)]


def test_nothing_free_waitlists_everyone_in_the_booking_quota():
    result = allocate([WOMAN, WOMAN], [], quota="TATKAL")

    assert outcome(result.passengers) == [("WL", "TATKAL", None), ("WL", "TATKAL", None)]
    assert result.coaches == set()


# --- Seats asked for --------------------------------------------------------------------------


def test_a_seat_asked_for_is_given_exactly_over_berth_rank_and_order():
    # given: a senior, who would get the lower berth, asks for the upper one
    places = [place(1, berth="LB"), place(2, berth="MB"), place(3, berth="UB")]

    result = allocate([Traveller(62, "M", seat_id=3)], places, quota="GENERAL")

    assert outcome(result.passengers) == [("CNF", "GENERAL", 3)]


def test_seats_asked_for_are_given_before_the_others_of_the_pnr_are_seated():
    # given: the second passenger asks for the front seat the first would otherwise take
    places = [place(1), place(2), place(3)]

    result = allocate([MAN, Traveller(30, "M", seat_id=1)], places, quota="GENERAL")

    assert outcome(result.passengers) == [("CNF", "GENERAL", 2), ("CNF", "GENERAL", 1)]


def test_a_later_passengers_seat_asked_for_never_leaves_an_earlier_one_waiting():
    # given: two free seats and an RAC berth; the third passenger of the PNR asks for seat 2
    places = [
        place(1),
        place(2),
        place(71, "RAC", half=1, seat=7, order=7),
        place(72, "RAC", half=2, seat=7, order=7),
    ]

    result = allocate([MAN, WOMAN, Traveller(30, "M", seat_id=2)], places, quota="GENERAL")

    # then: seated in order, as without the pick: the first two confirmed, the third on RAC
    assert outcome(result.passengers) == [
        ("CNF", "GENERAL", 1),
        ("CNF", "GENERAL", 2),
        ("RAC", "GENERAL", 71),
    ]


def test_a_seat_asked_for_within_the_seats_left_is_given():
    # given: two free seats; the second passenger of three asks for the first seat
    places = [place(1), place(2)]

    result = allocate([MAN, Traveller(30, "M", seat_id=1), WOMAN], places, quota="GENERAL")

    assert outcome(result.passengers) == [
        ("CNF", "GENERAL", 2),
        ("CNF", "GENERAL", 1),
        ("WL", "GENERAL", None),
    ]


def test_the_others_of_the_pnr_join_the_coach_of_a_seat_asked_for():
    # given: coach 1 (front) has the most room; the second passenger asks for coach 2
    places = [
        place(1, coach=1),
        place(2, coach=1),
        place(3, coach=1),
        place(11, coach=2),
        place(12, coach=2),
    ]

    result = allocate([MAN, Traveller(30, "M", seat_id=12), MAN], places, quota="GENERAL")

    assert outcome(result.passengers) == [
        ("CNF", "GENERAL", 11),
        ("CNF", "GENERAL", 12),
        ("CNF", "GENERAL", 1),
    ]
    assert result.coaches == {1, 2}


def test_seats_asked_for_in_two_coaches_are_both_given():
    places = [place(1, coach=1), place(2, coach=1), place(11, coach=2), place(12, coach=2)]

    result = allocate(
        [Traveller(30, "M", seat_id=12), Traveller(30, "F", seat_id=2)], places, quota="GENERAL"
    )

    assert outcome(result.passengers) == [("CNF", "GENERAL", 12), ("CNF", "GENERAL", 2)]
    assert result.coaches == {1, 2}


def test_a_seat_of_another_quota_an_rac_berth_or_a_taken_seat_is_not_given():
    # given: seat 1 is LADIES, seat 7 an RAC berth (two halves), seat 9 is not free; the
    # GENERAL seats 2 and 3 (an upper berth) are
    places = [
        place(1, "LADIES"),
        place(2, berth="UB"),
        place(3, berth="LB"),
        place(71, "RAC", half=1, seat=7, order=7),
        place(72, "RAC", half=2, seat=7, order=7),
    ]

    # when: a GENERAL booking (a senior first) asks for each of them
    result = allocate(
        [
            Traveller(61, "M", seat_id=9),
            Traveller(30, "M", seat_id=1),
            Traveller(30, "M", seat_id=7),
        ],
        places,
        quota="GENERAL",
    )

    # then: the normal rules: the senior's lower berth, the seat left, an RAC half berth
    assert outcome(result.passengers) == [
        ("CNF", "GENERAL", 3),
        ("CNF", "GENERAL", 2),
        ("RAC", "GENERAL", 71),
    ]


def test_a_general_seat_asked_for_is_given_in_a_quota_booking():
    # given: a Tatkal seat is free, and so is the GENERAL seat asked for
    places = [place(1, "TATKAL"), place(2)]

    result = allocate([Traveller(30, "M", seat_id=2)], places, quota="TATKAL")

    # then: the seat asked for; the passenger holds it in GENERAL, its pool
    assert outcome(result.passengers) == [("CNF", "GENERAL", 2)]


def test_a_quota_seat_asked_for_is_given_to_an_eligible_booking():
    places = [place(1, "LADIES"), place(2, "LADIES"), place(3)]

    result = allocate([Traveller(30, "F", seat_id=2), WOMAN], places, quota="LADIES")

    assert outcome(result.passengers) == [("CNF", "LADIES", 2), ("CNF", "LADIES", 1)]


def test_a_seat_asked_for_twice_goes_to_the_first_and_the_second_is_seated_as_usual():
    places = [place(1), place(2)]

    result = allocate(
        [Traveller(30, "M", seat_id=2), Traveller(30, "M", seat_id=2)], places, quota="GENERAL"
    )

    assert outcome(result.passengers) == [("CNF", "GENERAL", 2), ("CNF", "GENERAL", 1)]
