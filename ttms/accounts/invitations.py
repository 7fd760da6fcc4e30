"""Invitations: a new staff account (created with an unusable password) chooses its password
through a one-time link sent by email.

The link's token is Django's password-reset token made with a salt of its own, so a reset
token is no invitation and an invitation no reset token. It names the account's password
hash and last sign-in: choosing the password spends it. It expires after
TTMS_INVITE_TIMEOUT_DAYS.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from .models import User


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "ttms.accounts.invitations.InvitationTokenGenerator"

    def check_token(self, user, token):
        """As Django's, with the invitation's own lifetime instead of PASSWORD_RESET_TIMEOUT."""
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - ts <= invitation_timeout_seconds()


invitation_token = InvitationTokenGenerator()


def invitation_timeout_seconds() -> int:
    return settings.TTMS_INVITE_TIMEOUT_DAYS * 24 * 3600


def invitation_link(user: User) -> str:
    """The absolute address of `user`'s invitation, with a fresh token."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "accounts:invite", kwargs={"uidb64": uid, "token": invitation_token.make_token(user)}
    )
    return settings.TTMS_SITE_URL + path


def invitation_send(*, user: User, company_name: str) -> None:
    """Email `user` an invitation to join `company_name`'s staff, once the caller's
    transaction commits (nothing is sent for a change rolled back). The token is made when
    the email is sent, so its lifetime starts then. The email is queued to the worker
    (`invitation_email_task`); a broker that is down does not undo the committed change:
    the failure is logged, and the invitation can be sent again from the membership admin.
    """
    from .tasks import invitation_email_task

    transaction.on_commit(
        lambda: invitation_email_task.delay(user_id=user.pk, company_name=company_name),
        robust=True,
    )
