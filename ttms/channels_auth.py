"""WebSocket authentication: a JWT access token, or the browser's session.

Mobile clients pass `?token=<access token>`; the token alone authenticates them, whatever
their Origin header. A session cookie only counts when the Origin is one of ALLOWED_HOSTS,
so another site cannot open a socket with a visitor's cookies.
"""

from urllib.parse import parse_qs, urlparse

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken


@database_sync_to_async
def _user_for_token(raw: str):
    try:
        token = AccessToken(raw)
    except TokenError:
        return AnonymousUser()
    user_id = token.get(settings.SIMPLE_JWT.get("USER_ID_CLAIM", "user_id"))
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return user or AnonymousUser()


def _origin_allowed(scope) -> bool:
    origin = dict(scope.get("headers", [])).get(b"origin")
    if not origin:
        return False
    host = urlparse(origin.decode("latin1")).hostname or ""
    allowed = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1"] if settings.DEBUG else [])
    return validate_host(host, allowed)


class TokenOrSessionAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from `?token=`; keeps the session user only for same-site origins.

    Runs inside channels' AuthMiddlewareStack, which has resolved the session user already.
    """

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        tokens = parse_qs(scope.get("query_string", b"").decode("latin1")).get("token")
        if tokens:
            scope["user"] = await _user_for_token(tokens[0])
        elif not _origin_allowed(scope):
            scope["user"] = AnonymousUser()
        return await super().__call__(scope, receive, send)
