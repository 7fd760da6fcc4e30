"""Failed-login throttling, shared by the sign-in page and the token endpoint: per client
address and per account, so that guesses spread over many accounts from one address are
stopped by the address counter (`ttms.throttling`)."""

import hashlib

from django.conf import settings

from ttms.throttling import FailedAttempts, client_ident

from .models import normalize_email


class LoginAttempts(FailedAttempts):
    def __init__(self, request, email: str | None) -> None:
        account = hashlib.sha256(normalize_email(email or "").encode()).hexdigest()[:32]
        super().__init__(
            [f"login-fail:ip:{client_ident(request)}", f"login-fail:acct:{account}"],
            limit=settings.TTMS_LOGIN_FAILURE_LIMIT,
            window=settings.TTMS_LOGIN_FAILURE_WINDOW,
        )

    def record_success(self) -> None:
        """The account's own counter starts again; the address's keeps counting."""
        self.forget(self.keys[1])
