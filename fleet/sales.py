"""Whether a trip's seats are on sale, or sold: the app that sells them (booking) knows, and
answers for fleet through the two functions it registers at start-up (`BookingConfig.ready`
calls `sales_register`), so that fleet, below booking, imports nothing of it and reads none
of its tables. Fleet asks before it cancels a trip or changes its vehicle on its own: either
would strand passengers, so those go through booking's workflows instead.

Without a registered seller (fleet on its own) no seat is ever sold.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Seller:
    on_sale: Callable[[int], bool]  # a trip's id -> some of its seats are still on sale
    sold: Callable[[int], bool]  # a trip's id -> its seat inventory exists (seats were sold)


_seller: Seller | None = None


def sales_register(*, on_sale: Callable[[int], bool], sold: Callable[[int], bool]) -> None:
    """Name the functions that answer for the app selling seats; a second call replaces them
    (one seller per project)."""
    global _seller
    _seller = Seller(on_sale=on_sale, sold=sold)


def seats_on_sale(*, trip_id: int) -> bool:
    """Whether seats of the trip are still on sale (cancelling it alone would leave their
    holders unrefunded)."""
    return _seller is not None and _seller.on_sale(trip_id)


def seats_sold(*, trip_id: int) -> bool:
    """Whether seats of the trip were sold on its vehicle (changing it alone would leave the
    passengers on seats that no longer exist)."""
    return _seller is not None and _seller.sold(trip_id)
