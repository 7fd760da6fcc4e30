"""Invariants of DESIGN.md section 7, checked by `manage.py check_invariants` and the tests.

Each app adds its checks here, by dotted path. A check takes no argument and returns a list
of problems (readable sentences); an empty list means the invariant holds.
"""

from collections.abc import Callable

from django.utils.module_loading import import_string

CHECKS = [
    "payments.invariants.transactions_sum_to_zero",
    "payments.invariants.currencies_sum_to_zero",
    "payments.invariants.balances_equal_entries",
    "payments.invariants.idempotency_keys_moved_money_once",
    "payments.invariants.settlement_runs_apart_and_paid_as_recorded",
    "booking.invariants.no_seat_leg_sold_twice",
    "booking.invariants.place_masks_equal_passenger_legs",
    "booking.invariants.pnr_charges_equal_ledger",
    "booking.invariants.nobody_left_promotable",
    "booking.invariants.waiting_order_is_fifo",
]


def invariant_checks() -> list[Callable[[], list[str]]]:
    return [import_string(path) for path in CHECKS]


def run_checks() -> dict[str, list[str]]:
    """Every check's problems, by dotted path."""
    return {path: check() for path, check in zip(CHECKS, invariant_checks(), strict=True)}


def broken_invariants() -> dict[str, list[str]]:
    """Only the checks that found problems (empty: every invariant holds)."""
    return {path: problems for path, problems in run_checks().items() if problems}
