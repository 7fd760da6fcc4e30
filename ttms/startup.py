import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


def require_secret_key() -> None:
    """Refuse to serve without a secret key: sessions, CSRF and tokens are signed with it."""
    if settings.TTMS_SECRET_KEY_MISSING:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it, or set DJANGO_DEBUG=1 to use a development key."
        )


def warn_sandbox_in_production() -> None:
    """Log a warning when the sandbox payment provider runs with DEBUG off, which the
    settings allow only with TTMS_SANDBOX_IN_PRODUCTION (a demo): every process that starts
    says it, so nobody mistakes the deployment for one that takes real money."""
    if (
        not settings.DEBUG
        and "sandbox" in settings.TTMS_PAYMENT_PROVIDERS
        and settings.TTMS_SANDBOX_IN_PRODUCTION
    ):
        logger.warning(
            "SANDBOX PAYMENTS ARE ON with DJANGO_DEBUG off (TTMS_SANDBOX_IN_PRODUCTION=1): any "
            "signed-in user can approve their own top-ups. Wallets hold no real money; run "
            "this deployment only as a demo."
        )
