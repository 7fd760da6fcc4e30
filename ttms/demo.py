"""Demo data for `manage.py load_demo`: each app adds a loader here, in dependency order.

Every loader is idempotent (a second run changes nothing) and returns lines saying what it
created or found.
"""

from collections.abc import Callable

from django.utils.module_loading import import_string

LOADERS = [
    "ttms.accounts.demo.demo_load",
    "fleet.demo.demo_load",
    "booking.demo.demo_load",
    "payments.demo.demo_load",
    "ttms.demo_history.demo_load",
]


def demo_loaders() -> list[Callable[..., list[str]]]:
    return [import_string(path) for path in LOADERS]
