"""Throttling of failed guesses on public pages: the PNR status check.

The approach of the sign-in throttle (`ttms.accounts.throttling`): only failures count, per
client address, in the cache, in a fixed window that starts at the first failure, so that
someone who knows their PNR and contact is never slowed down by others' successes while a
client trying PNR numbers is stopped after a few misses. `cache.incr` keeps the counter
exact under concurrent requests.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle


class FailedAttempts:
    """Failures of one kind (`scope`) from the client of `request` (its address, as DRF's
    throttles see it, honouring NUM_PROXIES): at most `limit` per `window` seconds."""

    def __init__(self, request, *, scope: str, limit: int, window: int) -> None:
        self.key = f"{scope}-fail:ip:{BaseThrottle().get_ident(request)}"
        self.limit = limit
        self.window = window

    def retry_after(self) -> int | None:
        """Seconds to wait before another attempt, or None while attempts are allowed."""
        values = cache.get_many([self.key, f"{self.key}:since"])
        if values.get(self.key, 0) < self.limit:
            return None
        since = values.get(f"{self.key}:since", time.time())
        return max(1, int(self.window - (time.time() - since)) + 1)

    def record_failure(self) -> None:
        cache.add(f"{self.key}:since", time.time(), timeout=self.window)
        cache.add(self.key, 0, timeout=self.window)
        try:
            cache.incr(self.key)
        except ValueError:  # expired between add and incr
            cache.set(self.key, 1, timeout=self.window)


def pnr_lookup_attempts(request) -> FailedAttempts:
    """Failed PNR status checks of the client of `request`."""
    return FailedAttempts(
        request, scope="pnr-lookup",
        limit=settings.TTMS_PNR_LOOKUP_FAILURE_LIMIT,
        window=settings.TTMS_PNR_LOOKUP_FAILURE_WINDOW)
