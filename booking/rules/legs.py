"""Legs: a journey from stop i to stop j rides legs i..j-1, kept as a bitmask split over two
63-bit columns (`Place.legs_low`, `legs_high`), so a seat sold A→B can be sold again B→C."""

from ..models import MAX_LEGS

_WORD = (1 << 63) - 1


def legs_mask(origin_sequence: int, destination_sequence: int, first_sequence: int = 1) -> int:
    """The bitmask of the legs ridden from one stop to a later one (leg 0 leaves the route's
    first stop)."""
    start = origin_sequence - first_sequence
    end = destination_sequence - first_sequence
    if not 0 <= start < end <= MAX_LEGS:
        raise ValueError(f"legs {start}..{end} are outside 0..{MAX_LEGS}")
    return ((1 << end) - 1) ^ ((1 << start) - 1)


def split_mask(mask: int) -> tuple[int, int]:
    """(legs_low, legs_high): the two 63-bit columns a mask is stored in."""
    return mask & _WORD, mask >> 63


def join_mask(low: int, high: int) -> int:
    return low | (high << 63)
