"""Why tracking refuses a fix."""

from django.utils.translation import gettext_lazy as _


class FixRefused(Exception):
    """A fix that is well formed but cannot be true or cannot be taken now. `code` is one of
    out_of_range, in_future, stale, impossible_speed, trip_not_running, invalid; `fields`
    maps field names to messages (may be empty)."""

    CODES = frozenset(
        {"out_of_range", "in_future", "stale", "impossible_speed", "trip_not_running", "invalid"}
    )

    def __init__(self, code: str, message, fields: dict | None = None):
        super().__init__(str(message))
        self.code, self.message, self.fields = code, str(message), fields or {}


TRIP_NOT_RUNNING = _("This trip is not running: positions are taken while it boards or runs.")
