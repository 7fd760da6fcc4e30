"""The language a signed-in user chose, activated for their request (pages and API)."""

from django.conf import settings
from django.utils import translation


def user_language_activate(request, user) -> None:
    """Answer `request` in `user`'s language, if they chose one among LANGUAGES; otherwise
    leave what LocaleMiddleware chose (the `set_language` cookie, else Accept-Language)."""
    language = getattr(user, "language", "")
    if language and language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language
