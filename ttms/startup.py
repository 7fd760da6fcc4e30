from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_secret_key() -> None:
    """Refuse to serve without a secret key: sessions, CSRF and tokens are signed with it."""
    if settings.TTMS_SECRET_KEY_MISSING:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it, or set DJANGO_DEBUG=1 to use a development key."
        )
