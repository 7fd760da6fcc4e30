"""The API's settings: Django REST framework, Simple JWT and the OpenAPI schema.

`ttms.settings` calls these with its environment (so `.env` is read first); every variable
is documented in `.env.example`.
"""

from datetime import timedelta

import environ
from django.core.exceptions import ImproperlyConfigured


def rest_framework(env: environ.Env, *, debug: bool) -> dict:
    settings = {
        # Simple JWT's and the session's, each then activating the user's own language
        # (ttms.api.authentication): the API answers in it, as the pages do.
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "ttms.api.authentication.JWTAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        # JSON with a limit on nesting (ttms.jsonlimits), then DRF's form parsers.
        "DEFAULT_PARSER_CLASSES": [
            "ttms.api.parsers.JSONParser",
            "rest_framework.parsers.FormParser",
            "rest_framework.parsers.MultiPartParser",
        ],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
        + (["rest_framework.renderers.BrowsableAPIRenderer"] if debug else []),
        "DEFAULT_PAGINATION_CLASS": "ttms.api.pagination.PageNumberPagination",
        "PAGE_SIZE": 20,
        "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
        "DEFAULT_SCHEMA_CLASS": "ttms.api.schema.AutoSchema",
        "EXCEPTION_HANDLER": "ttms.api.errors.exception_handler",
        "DEFAULT_THROTTLE_RATES": {
            "register": env.str("TTMS_THROTTLE_REGISTER", default="10/hour"),
            # Bookings per user (the POST that books; reading PNRs is not counted).
            "booking": env.str("TTMS_THROTTLE_BOOKING", default="30/min"),
            # Positions a driver sends through the REST fallback (each request may be a batch).
            "positions": env.str("TTMS_THROTTLE_POSITIONS", default="60/min"),
            # Questions to the passenger assistant per client (each may reach a paid model).
            "assistant": env.str("TTMS_THROTTLE_ASSISTANT", default="30/min"),
        },
        # How many reverse proxies in front of the application append to X-Forwarded-For.
        # 0: the client is the socket's address (REMOTE_ADDR) and the header is ignored; n:
        # the n-th address from the end of the header, the one the outermost trusted proxy
        # saw. DRF's own default (None) would take the whole header from the client, which
        # anyone can make up to reset every throttle. ttms.throttling.client_ident reads it.
        "NUM_PROXIES": env.int("TTMS_NUM_PROXIES", default=0),
        "TEST_REQUEST_DEFAULT_FORMAT": "json",
    }
    if settings["NUM_PROXIES"] < 0:
        raise ImproperlyConfigured(
            f"TTMS_NUM_PROXIES={settings['NUM_PROXIES']} must be 0 (no proxy in front) or "
            "the number of trusted reverse proxies."
        )
    return settings


def simple_jwt(env: environ.Env) -> dict:
    return {
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("TTMS_JWT_ACCESS_MINUTES", default=15)),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("TTMS_JWT_REFRESH_DAYS", default=7)),
        "UPDATE_LAST_LOGIN": True,
    }


SPECTACULAR_SETTINGS = {
    "TITLE": "TTMS API",
    "DESCRIPTION": (
        "Ticketing and transaction management for intercity trains and buses. "
        'Every error has the shape {"error": {"code", "message", "fields"}}. '
        "Messages are in the signed-in user's language, else the one Accept-Language asks "
        "for (English or Hindi)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TripStatusEnum": "fleet.models.TripStatus",
        "PassengerStatusEnum": "booking.models.PassengerStatus",
        "QuotaEnum": "booking.models.Quota",
        "BookableQuotaEnum": "booking.models.BOOKABLE_QUOTA_CHOICES",
    },
}
