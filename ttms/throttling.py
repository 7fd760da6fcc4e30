"""Throttling of failed attempts: sign-in (pages and token endpoint) and the public PNR
status check.

Only failures count, in the cache, per key (a client address, an account): someone who gets
it right is never slowed down by other people's successes, while a client guessing is
stopped after a few misses. Counters are fixed windows that start at the first failure;
`cache.incr` keeps them exact under concurrent attempts.
"""

import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle


def client_ident(request) -> str:
    """The client's address, the one every throttle counts under: the socket's
    (REMOTE_ADDR), or with REST_FRAMEWORK["NUM_PROXIES"] = n (TTMS_NUM_PROXIES) trusted
    proxies in front, the n-th address from the end of X-Forwarded-For. DRF's own throttles
    compute it with the same function and setting, so both kinds of counter agree."""
    return BaseThrottle().get_ident(request)


class FailedAttempts:
    """Failures counted under each of `keys`: at most `limit` per `window` seconds each."""

    def __init__(self, keys: list[str], *, limit: int, window: int) -> None:
        self.keys = keys
        self.limit = limit
        self.window = window

    def retry_after(self) -> int | None:
        """Seconds to wait before another attempt, or None while attempts are allowed."""
        values = cache.get_many([*self.keys, *(f"{k}:since" for k in self.keys)])
        waits = [
            max(1, int(self.window - (time.time() - values.get(f"{key}:since", time.time()))) + 1)
            for key in self.keys
            if values.get(key, 0) >= self.limit
        ]
        return max(waits) if waits else None

    def record_failure(self) -> None:
        for key in self.keys:
            cache.add(f"{key}:since", time.time(), timeout=self.window)
            cache.add(key, 0, timeout=self.window)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=self.window)

    def forget(self, key: str) -> None:
        cache.delete_many([key, f"{key}:since"])
