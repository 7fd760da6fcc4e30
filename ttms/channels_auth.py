"""WebSocket authentication: a JWT access token, or the browser's session.

Clients pass the access token in the `Sec-WebSocket-Protocol` header, as two subprotocols:
`ttms.v1` (the protocol, which the server accepts) and `ttms.bearer.<access token>` (the
credential, which it never echoes), after Kubernetes' `base64url.bearer.authorization.k8s.io.`
scheme; a JWT is base64url text and dots, which a subprotocol may hold as it is. The header,
unlike the address, stays out of access logs. `?token=<access token>` is still accepted, for
older clients. The token alone authenticates, whatever the Origin header. A session cookie
only counts when the Origin is one of ALLOWED_HOSTS, so another site cannot open a socket
with a visitor's cookies.
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

# The subprotocol a consumer accepts, and the prefix of the one carrying the token.
WS_PROTOCOL = "ttms.v1"
WS_BEARER_PREFIX = "ttms.bearer."


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


def ws_subprotocol(scope) -> str | None:
    """The subprotocol to accept the connection with: `ttms.v1` when the client offered it,
    else none (a server may only choose one the client offered)."""
    return WS_PROTOCOL if WS_PROTOCOL in scope.get("subprotocols", ()) else None


class TokenOrSessionAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from the `ttms.bearer.` subprotocol, else from `?token=`; keeps the
    session user only for same-site origins. The token's subprotocol is taken out of
    scope["subprotocols"], so that nothing further in can echo or log it.

    Runs inside channels' AuthMiddlewareStack, which has resolved the session user already.
    """

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        offered = list(scope.get("subprotocols") or [])
        bearer = [p for p in offered if p.startswith(WS_BEARER_PREFIX)]
        scope["subprotocols"] = [p for p in offered if not p.startswith(WS_BEARER_PREFIX)]
        tokens = [p[len(WS_BEARER_PREFIX) :] for p in bearer] or parse_qs(
            scope.get("query_string", b"").decode("latin1")
        ).get("token")
        if tokens:
            scope["user"] = await _user_for_token(tokens[0])
        elif not _origin_allowed(scope):
            scope["user"] = AnonymousUser()
        return await super().__call__(scope, receive, send)
