"""Failed-login throttling, shared by the sign-in page and the token endpoint.

Only failures count, per client address and per account, in the cache: a user who types the
right password is never slowed down by other people's successful sign-ins, and an attacker
spreading guesses over many accounts from one address is stopped by the address counter.
Counters are fixed windows that start at the first failure; `cache.incr` keeps them exact
under concurrent attempts.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from .models import normalize_email


class LoginAttempts:
    def __init__(self, request, email: str | None) -> None:
        ident = BaseThrottle().get_ident(request)
        account = hashlib.sha256(normalize_email(email or "").encode()).hexdigest()[:32]
        self.keys = [f"login-fail:ip:{ident}", f"login-fail:acct:{account}"]
        self.limit = settings.TTMS_LOGIN_FAILURE_LIMIT
        self.window = settings.TTMS_LOGIN_FAILURE_WINDOW

    def retry_after(self) -> int | None:
        """Seconds to wait before another attempt, or None if attempts are allowed."""
        values = cache.get_many([*self.keys, *(f"{k}:since" for k in self.keys)])
        waits = [
            int(self.window - (time.time() - values.get(f"{key}:since", time.time()))) + 1
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

    def record_success(self) -> None:
        cache.delete_many([self.keys[1], f"{self.keys[1]}:since"])
