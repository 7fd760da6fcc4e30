"""SMS lengths as the network counts them: GSM-7 septets (extension characters two),
UCS-2 units for anything else, 160/70 in one message, 153/67 per part beyond."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ttms.notifications.channels.gsm import GSM7_BASIC, GSM7_EXTENSION, is_gsm7, length, segments


def test_plain_latin_text_is_gsm7_and_hindi_is_not():
    assert is_gsm7("PNR 1234567890 confirmed. Seat 14. @£$¥ èé ÄÖÑÜ §¿ {€}")
    assert not is_gsm7("पीएनआर 1234567890")
    assert not is_gsm7("Fare ₹1,741.20")  # the rupee sign is not in GSM 03.38
    assert not is_gsm7("naïve")  # ï is not either


def test_160_septets_go_in_one_message_161_in_two_of_153_and_8():
    assert segments("a" * 160) == ["a" * 160]
    assert segments("a" * 161) == ["a" * 153, "a" * 8]
    assert segments("a" * 306) == ["a" * 153, "a" * 153]
    assert segments("a" * 307) == ["a" * 153, "a" * 153, "a"]


def test_extension_characters_count_twice_and_are_never_split():
    assert length("€") == 2
    assert segments("€" * 80) == ["€" * 80]
    assert segments("€" * 81) == ["€" * 76, "€" * 5]  # 152 septets, the 77th would be 154
    assert segments("a" + "€" * 80) == ["a" + "€" * 76, "€" * 4]


def test_text_outside_gsm7_goes_in_ucs2_70_then_parts_of_67():
    assert segments("क" * 70) == ["क" * 70]
    assert segments("क" * 71) == ["क" * 67, "क" * 4]
    assert segments("a" * 100 + "₹") == ["a" * 67, "a" * 33 + "₹"]


def test_a_character_beyond_the_bmp_takes_two_units_and_stays_whole():
    assert length("🚌") == 2
    assert segments("🚌" * 35) == ["🚌" * 35]
    assert segments("a" + "🚌" * 35) == ["a" + "🚌" * 33, "🚌" * 2]


def test_an_empty_text_is_no_message():
    assert segments("") == []


ALPHABET = [*sorted(GSM7_BASIC | GSM7_EXTENSION), "क", "₹", "🚌"]


@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=600))
def test_parts_join_back_to_the_text_and_each_fits(text):
    parts = segments(text)

    assert "".join(parts) == text
    if len(parts) > 1:
        limit = 153 if is_gsm7(text) else 67
        assert all(0 < length(p) <= limit for p in parts)
        # Every part but the last is as full as it can be without splitting a character.
        assert all(length(p) >= limit - 1 for p in parts[:-1])
    elif parts:
        assert length(text) <= (160 if is_gsm7(text) else 70)


@pytest.mark.parametrize("text", ["€", "a€", "[]"])
def test_length_counts_in_the_texts_own_encoding(text):
    assert length(text) == sum(2 if c in GSM7_EXTENSION else 1 for c in text)
