"""Settings for TTMS, read from the environment.

Every variable is documented in `.env.example`. With nothing set (and DJANGO_DEBUG=1, as
`make run` sets it) the project runs embedded: SQLite, eager Celery, in-memory channel layer
and a local-memory cache. DATABASE_URL switches to PostgreSQL; REDIS_URL switches Celery,
Channels and the cache to Redis.
"""

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
import phonenumbers
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from ttms import settings_api
from ttms.money import is_known_currency

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# With DEBUG, a missing page and an uncaught exception show the site's own 404 and 500
# pages (ttms.middleware), as users see them; 1 shows Django's technical pages instead.
TTMS_TECHNICAL_ERROR_PAGES = env.bool("TTMS_TECHNICAL_ERROR_PAGES", default=False)

# Without DEBUG the key must come from the environment. Management commands that never sign
# anything (makemigrations, migrate) run without it; the WSGI and ASGI applications refuse
# to start (ttms.startup.require_secret_key).
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
TTMS_SECRET_KEY_MISSING = not SECRET_KEY and not DEBUG
if not SECRET_KEY:
    SECRET_KEY = "django-insecure-ttms-development-key-never-use-in-production"

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework_simplejwt",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "csp",
    "ttms",
    "ttms.accounts",
    "ttms.notifications",
    "ttms.audit",
    "fleet",
    "booking",
    "payments",
    "tracking",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the `set_language` cookie, else Accept-Language; then a signed-in
    # user's own (UserLanguageMiddleware, after authentication).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ttms.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Drivers and agents opening the admin are sent to their own pages.
    "ttms.accounts.landing.FieldStaffAdminMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "ttms.middleware.SiteErrorPagesMiddleware",
]

ROOT_URLCONF = "ttms.urls"
WSGI_APPLICATION = "ttms.wsgi.application"
ASGI_APPLICATION = "ttms.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ttms.notifications.context_processors.unread",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------

SQLITE_PATH = Path(env.str("TTMS_SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")))

if "DATABASE_URL" in env:
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "OPTIONS": {
                # Writers take the lock when the transaction begins, not at the first write,
                # so two concurrent read-then-write transactions queue instead of failing
                # with "database is locked" half-way through.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DATABASES["default"].setdefault("TEST", {})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery, Channels -------------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ttms",
            "OPTIONS": {
                # A stopped Redis degrades caching (and cache-based throttles) to misses
                # instead of turning every page into a 500.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    # The pub/sub layer of channels_redis: a group send is one PUBLISH, and each server
    # process holds one subscription per group it has sockets in and hands each message to
    # its own sockets (the list-based RedisChannelLayer costs Redis round trips per socket
    # and message; docs/tracking.md, "Fan-out"). redis-py 8 cuts every read after
    # socket_timeout, 5 s by default; reads may wait longer, and a dead connection is still
    # found by the health check.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 15,
                        "socket_connect_timeout": 2,
                        "socket_keepalive": True,
                        "health_check_interval": 30,
                    }
                ],
                "prefix": "ttms:ws:",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL) or None
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task sent while the broker is down fails at once (max_retries 0: no reconnection
# attempts when publishing), so the change that sent it is not held up: whatever must
# happen is kept in the database and swept up by beat when the broker is back. Workers
# reconnect by their own policy (broker_connection_retry).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "max_retries": 0,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(BASE_DIR / "var" / "celerybeat-schedule")
)

# --- Auth -------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed logins (pages and API) per client address and per account before a 429.
TTMS_LOGIN_FAILURE_LIMIT = env.int("TTMS_LOGIN_FAILURE_LIMIT", default=5)
TTMS_LOGIN_FAILURE_WINDOW = env.int("TTMS_LOGIN_FAILURE_WINDOW", default=15 * 60)
# How often an open PNR page refreshes its passengers' statuses (seconds; needs JavaScript).
TTMS_PNR_REFRESH_SECONDS = env.int("TTMS_PNR_REFRESH_SECONDS", default=15)
# Failed public PNR status checks (PNR + email or phone) per client address before a 429.
TTMS_PNR_LOOKUP_FAILURE_LIMIT = env.int("TTMS_PNR_LOOKUP_FAILURE_LIMIT", default=10)
TTMS_PNR_LOOKUP_FAILURE_WINDOW = env.int("TTMS_PNR_LOOKUP_FAILURE_WINDOW", default=15 * 60)
# "Operate with us" applications accepted from one client address per window (seconds).
TTMS_APPLICATION_LIMIT = env.int("TTMS_APPLICATION_LIMIT", default=3)
TTMS_APPLICATION_WINDOW = env.int("TTMS_APPLICATION_WINDOW", default=3600)

# --- API (DRF, Simple JWT, the OpenAPI schema: ttms/settings_api.py) ----------------------

REST_FRAMEWORK = settings_api.rest_framework(env, debug=DEBUG)
SIMPLE_JWT = settings_api.simple_jwt(env)
SPECTACULAR_SETTINGS = settings_api.SPECTACULAR_SETTINGS

# --- Internationalisation, time, money -----------------------------------------------------

# English is the source language; docs/translations.md says how to add one.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("hi", "हिन्दी")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# Zone in which pages show moments that belong to no station (wallet movements, payments);
# a station's times are always shown in that station's own zone.
TTMS_DISPLAY_TIME_ZONE = env.str("TTMS_DISPLAY_TIME_ZONE", default="Asia/Kolkata")
try:
    ZoneInfo(TTMS_DISPLAY_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"TTMS_DISPLAY_TIME_ZONE={TTMS_DISPLAY_TIME_ZONE!r} is not an IANA time zone name, "
        "e.g. Asia/Kolkata."
    ) from None
# The currency a new operator sells in unless given another (`Company.currency`).
TTMS_CURRENCY = env.str("TTMS_CURRENCY", default="INR")
if not is_known_currency(TTMS_CURRENCY):
    raise ImproperlyConfigured(
        f"TTMS_CURRENCY={TTMS_CURRENCY!r} is not an ISO 4217 currency code, e.g. INR, RWF, KES."
    )
# ISO 3166 code of the country whose phone numbers may be written without their country
# code ("98765 43210"); every phone is stored in E.164 ("+919876543210").
TTMS_PHONE_REGION = env.str("TTMS_PHONE_REGION", default="IN").upper()
if TTMS_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
    raise ImproperlyConfigured(
        f"TTMS_PHONE_REGION={TTMS_PHONE_REGION!r} is not a region code that phone numbers "
        "know, e.g. IN or RW."
    )

# --- Static files -------------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env.bool("TTMS_STATIC_MANIFEST", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without a collectstatic run (make run, tests) WhiteNoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not env.bool("TTMS_STATIC_MANIFEST", default=False)

# --- Email --------------------------------------------------------------------------------

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="TTMS <no-reply@ttms.localhost>")
# Days an operator staff invitation link stays valid (docs/onboarding.md).
TTMS_INVITE_TIMEOUT_DAYS = env.int("TTMS_INVITE_TIMEOUT_DAYS", default=7)

# --- Notifications (docs/notifications.md) -------------------------------------------------

# Email goes through Django's email backend (EMAIL_URL above).
TTMS_EMAIL_CHANNEL = "django"
# The domain of the Message-IDs of notification emails.
TTMS_EMAIL_DOMAIN = env.str("TTMS_EMAIL_DOMAIN", default="ttms.localhost")
# SMS: "console" (standard output) or "http" (TTMS_SMS_HTTP_URL, a gateway).
TTMS_SMS_BACKEND = env.str("TTMS_SMS_BACKEND", default="console")
# The HTTP gateway's address, its bearer token, and how long a request may take (seconds).
TTMS_SMS_HTTP_URL = env.str("TTMS_SMS_HTTP_URL", default="")
TTMS_SMS_HTTP_TOKEN = env.str("TTMS_SMS_HTTP_TOKEN", default="")
TTMS_SMS_HTTP_TIMEOUT = env.float("TTMS_SMS_HTTP_TIMEOUT", default=10)
# The site's address as people reach it: the links in notifications are absolute.
TTMS_SITE_URL = env.str("TTMS_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Attempts of a delivery before it is dead, and the first retry's wait (doubled each time).
TTMS_NOTIFY_MAX_ATTEMPTS = env.int("TTMS_NOTIFY_MAX_ATTEMPTS", default=6)
TTMS_NOTIFY_BACKOFF_SECONDS = env.int("TTMS_NOTIFY_BACKOFF_SECONDS", default=30)
# /healthz warns when a delivery has waited longer than this unsent (dispatchers or
# workers down, a provider failing).
TTMS_NOTIFY_STALE_MINUTES = env.int("TTMS_NOTIFY_STALE_MINUTES", default=15)
# Passengers are reminded TTMS_REMINDER_HOURS before their departure, told when the vehicle
# leaves the stop before theirs, and told of a delay once it reaches
# TTMS_DELAY_NOTIFY_MINUTES, then twice and four times that...; operators hear of trips
# without a vehicle or driver TTMS_UNASSIGNED_ALERT_HOURS ahead.
TTMS_REMINDER_HOURS = env.int("TTMS_REMINDER_HOURS", default=24)
TTMS_DELAY_NOTIFY_MINUTES = env.int("TTMS_DELAY_NOTIFY_MINUTES", default=15)
TTMS_UNASSIGNED_ALERT_HOURS = env.int("TTMS_UNASSIGNED_ALERT_HOURS", default=12)
# A vehicle or a driver is never on two trips less than TTMS_TURNAROUND_MINUTES apart (from
# one's arrival to the other's departure). The clock marks trips departed once their
# departure time has passed, and arrived TTMS_ARRIVED_GRACE_MINUTES after their arrival time,
# unless tracking has moved them already.
TTMS_TURNAROUND_MINUTES = env.int("TTMS_TURNAROUND_MINUTES", default=20)
TTMS_ARRIVED_GRACE_MINUTES = env.int("TTMS_ARRIVED_GRACE_MINUTES", default=30)

# --- Security -----------------------------------------------------------------------------

if env.bool("TTMS_HTTPS", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=3600)
    # Subdomains of this host only (not its siblings); `preload` is consent to be put on
    # the browsers' preload list, which takes a max-age of a year and someone submitting
    # the registered domain.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)
    # A load balancer's health check may come over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Django's defaults, stated: other sites get no referrer, and a page opened from another
# site cannot reach this one's window (nor this one the other's).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"


# Live tracking: a trip's latest fix and status stay in the position store this long after
# its last fix; at most one fix per TTMS_TRAIL_SAMPLE_SECONDS (device time) is kept in the
# trip's trail, for TTMS_TRAIL_RETENTION_DAYS; fixes implying more than a vehicle kind's
# TTMS_MAX_SPEED_KMH are refused. WebSockets get {"type": "ping"} every
# TTMS_WS_PING_SECONDS; a publisher may send TTMS_WS_RATE_PER_SECOND messages a second,
# TTMS_WS_RATE_BURST at once.
TTMS_POSITION_TTL_SECONDS = env.int("TTMS_POSITION_TTL_SECONDS", default=900)
TTMS_TRAIL_SAMPLE_SECONDS = env.int("TTMS_TRAIL_SAMPLE_SECONDS", default=30)
TTMS_TRAIL_RETENTION_DAYS = env.int("TTMS_TRAIL_RETENTION_DAYS", default=90)
TTMS_MAX_SPEED_KMH = env.str("TTMS_MAX_SPEED_KMH", default="bus:140,train:200")
TTMS_WS_PING_SECONDS = env.float("TTMS_WS_PING_SECONDS", default=20)
TTMS_WS_RATE_PER_SECOND = env.float("TTMS_WS_RATE_PER_SECOND", default=5)
TTMS_WS_RATE_BURST = env.int("TTMS_WS_RATE_BURST", default=10)
# A vehicle has arrived at a stop once it has stayed within TTMS_GEOFENCE_RADIUS_M metres of
# it for TTMS_GEOFENCE_DWELL_SECONDS; passing through faster is not an arrival.
TTMS_GEOFENCE_RADIUS_M = env.float("TTMS_GEOFENCE_RADIUS_M", default=150)
TTMS_GEOFENCE_DWELL_SECONDS = env.float("TTMS_GEOFENCE_DWELL_SECONDS", default=20)
# `make run` also starts `manage.py simulate_trips` (simulated vehicles on the running trips)
# when on; off by default, so that tests and CI never start it.
TTMS_SIMULATOR = env.bool("TTMS_SIMULATOR", default=False)

# The passenger assistant's optional language model (docs/assistant.md): the base URL of an
# OpenAI-compatible API (empty: none, the offline parser alone), its model, key, and how long
# an answer may take (seconds) before the offline parser answers instead.
TTMS_LLM_URL = env.str("TTMS_LLM_URL", default="")
TTMS_LLM_MODEL = env.str("TTMS_LLM_MODEL", default="")
TTMS_LLM_API_KEY = env.str("TTMS_LLM_API_KEY", default="")
TTMS_LLM_TIMEOUT = env.float("TTMS_LLM_TIMEOUT", default=4)

# Map tiles of the live map and running-status pages (Leaflet's {z}/{x}/{y} template, {s} for
# a subdomain); empty draws the route, stops and vehicle on a plain background. Its host is
# allowed in img-src.
TTMS_MAP_TILE_URL = env.str(
    "TTMS_MAP_TILE_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png"
)
_tiles = urlsplit(TTMS_MAP_TILE_URL)
TTMS_MAP_TILE_ORIGIN = (
    f"{_tiles.scheme}://{_tiles.netloc.replace('{s}', '*')}" if _tiles.netloc else ""
)

# Scripts only from the site's own files: no page has an inline script (the API docs load
# theirs from a URL too, SpectacularSwaggerSplitView), so an injected <script> does not
# run, nor any inline event handler (Print buttons are `data-print`, static/js/print.js).
# Inline styles are allowed: Django's admin, the Swagger UI page and the ticket and chart
# pages have <style> blocks and htmx adds one; CSS cannot run script. data: images are
# Pico's and Swagger UI's icons; map tiles come from TTMS_MAP_TILE_ORIGIN. 'self' in
# connect-src covers htmx, Swagger UI's requests and the same host's WebSockets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "script-src-attr": [NONE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:", *([TTMS_MAP_TILE_ORIGIN] if TTMS_MAP_TILE_ORIGIN else [])],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("TTMS_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Data --------------------------------------------------------------------------------

# Third-party public data (timetables, GTFS feeds) read by importers, benchmarks and the
# tests that need the full data sets; never part of the project.
TTMS_DATA_DIR = Path(env.str("TTMS_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))

# --- Demo data ----------------------------------------------------------------------------

# The password of the demo accounts that `manage.py load_demo` creates.
TTMS_DEMO_PASSWORD = env.str("TTMS_DEMO_PASSWORD", default="ttms-demo-pass")

# --- Payments -----------------------------------------------------------------------------

# Providers a top-up may use (sandbox, mobilemoney); each needs its secrets below.
TTMS_PAYMENT_PROVIDERS = env.list("TTMS_PAYMENT_PROVIDERS", default=["sandbox"] if DEBUG else [])
# The sandbox lets any signed-in user approve their own top-ups: with DEBUG off it runs only
# when this says the deployment is a demo with no real money (and says so at startup).
TTMS_SANDBOX_IN_PRODUCTION = env.bool("TTMS_SANDBOX_IN_PRODUCTION", default=False)
if "sandbox" in TTMS_PAYMENT_PROVIDERS and not DEBUG and not TTMS_SANDBOX_IN_PRODUCTION:
    raise ImproperlyConfigured(
        "The sandbox payment provider is enabled (TTMS_PAYMENT_PROVIDERS) with DJANGO_DEBUG "
        "off: anyone signed in could approve their own top-ups and fill their wallet with "
        "money nobody paid. Remove sandbox from TTMS_PAYMENT_PROVIDERS, or set "
        "TTMS_SANDBOX_IN_PRODUCTION=1 if this deployment is a demo with no real money."
    )
# HMAC-SHA256 secret of the sandbox provider's webhooks.
TTMS_SANDBOX_WEBHOOK_SECRET = env.str("TTMS_SANDBOX_WEBHOOK_SECRET", default="")
if not TTMS_SANDBOX_WEBHOOK_SECRET and DEBUG:
    TTMS_SANDBOX_WEBHOOK_SECRET = "ttms-sandbox-development-secret-never-use-in-production"
# The mobile-money provider's API (request to pay, status) and its callback secret.
TTMS_MOBILEMONEY_BASE_URL = env.str("TTMS_MOBILEMONEY_BASE_URL", default="")
TTMS_MOBILEMONEY_API_KEY = env.str("TTMS_MOBILEMONEY_API_KEY", default="")
TTMS_MOBILEMONEY_WEBHOOK_SECRET = env.str("TTMS_MOBILEMONEY_WEBHOOK_SECRET", default="")
TTMS_MOBILEMONEY_CALLBACK_URL = env.str("TTMS_MOBILEMONEY_CALLBACK_URL", default="")
TTMS_MOBILEMONEY_TIMEOUT_MS = env.int("TTMS_MOBILEMONEY_TIMEOUT_MS", default=5000)
for _provider, _secrets in {
    "sandbox": ["TTMS_SANDBOX_WEBHOOK_SECRET"],
    "mobilemoney": [
        "TTMS_MOBILEMONEY_BASE_URL",
        "TTMS_MOBILEMONEY_API_KEY",
        "TTMS_MOBILEMONEY_WEBHOOK_SECRET",
        "TTMS_MOBILEMONEY_CALLBACK_URL",
    ],
}.items():
    _missing = [name for name in _secrets if not globals()[name]]
    if _provider in TTMS_PAYMENT_PROVIDERS and _missing:
        raise ImproperlyConfigured(
            f"The payment provider {_provider!r} is enabled but {', '.join(_missing)} is not set."
        )
# Age (seconds) beyond which a webhook signature is refused, against replays.
TTMS_WEBHOOK_TOLERANCE_SECONDS = env.int("TTMS_WEBHOOK_TOLERANCE_SECONDS", default=300)
# How many times a provider is asked to collect a payment it says it never received.
TTMS_PAYMENT_REQUEST_ATTEMPTS = env.int("TTMS_PAYMENT_REQUEST_ATTEMPTS", default=3)
# Pending payments older than this (hours) are failed as abandoned.
TTMS_PAYMENT_PENDING_HOURS = env.int("TTMS_PAYMENT_PENDING_HOURS", default=24)
# Top-up limits per currency, in MAJOR units: "INR:1-100000,RWF:500-2000000". A currency
# not listed gets 1 to 100000 of its major unit.
_TOPUP_LIMIT = re.compile(r"^(?P<code>[A-Z]{3}):(?P<low>\d+(?:\.\d+)?)-(?P<high>\d+(?:\.\d+)?)$")


def _topup_limits(text: str) -> dict[str, tuple[str, str]]:
    limits = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        match = _TOPUP_LIMIT.match(item)
        if not match or Decimal(match["low"]) > Decimal(match["high"]) or not Decimal(match["low"]):
            raise ImproperlyConfigured(
                f"TTMS_TOPUP_LIMITS: {item!r} is not CODE:MIN-MAX in major units "
                "(e.g. INR:1-100000), with 0 < MIN <= MAX."
            )
        limits[match["code"]] = (match["low"], match["high"])
    return limits


TTMS_TOPUP_LIMITS = _topup_limits(
    env.str(
        "TTMS_TOPUP_LIMITS",
        default="INR:1-100000,RWF:500-2000000,UGX:2000-5000000,KES:50-150000",
    )
)
# Longest wait (ms) for a wallet or payment row lock before answering "busy, retry" (503).
TTMS_PAYMENTS_LOCK_TIMEOUT_MS = env.int("TTMS_PAYMENTS_LOCK_TIMEOUT_MS", default=3000)
# How long an Idempotency-Key's first response is kept and replayed (hours, at least 24).
TTMS_IDEMPOTENCY_TTL_HOURS = env.int("TTMS_IDEMPOTENCY_TTL_HOURS", default=24)
# Lifetime (seconds) of the Redis in-flight marker of a request still running.
TTMS_IDEMPOTENCY_IN_FLIGHT_SECONDS = env.int("TTMS_IDEMPOTENCY_IN_FLIGHT_SECONDS", default=60)

# --- Booking ------------------------------------------------------------------------------
# Hours ahead the point-of-sale catalogue (GET /api/v1/pos/catalog/) lists trips by default.
TTMS_POS_CATALOG_HOURS = env.int("TTMS_POS_CATALOG_HOURS", default=12)
# Longest wait (ms) for a trip class's lock (or the wallet's) during a booking before
# answering "busy, retry" (503).
TTMS_BOOKING_LOCK_TIMEOUT_MS = env.int("TTMS_BOOKING_LOCK_TIMEOUT_MS", default=5000)

# --- Tickets ------------------------------------------------------------------------------
# Ticket signing keys: comma-separated KID:HMAC_SECRET:ED25519_SEED (Base64, 32 bytes each;
# `manage.py ticket_keys generate` prints one); the first signs, all verify. Empty: keys
# are generated into the database on first use and rotated with `manage.py ticket_keys`.
TTMS_TICKET_KEYS = env.str("TTMS_TICKET_KEYS", default="")
# A ticket is valid from this many minutes before the departure from its boarding stop...
TTMS_TICKET_VALID_BEFORE_MINUTES = env.int("TTMS_TICKET_VALID_BEFORE_MINUTES", default=180)
# ...until this many minutes after the arrival at its alighting stop (delays).
TTMS_TICKET_VALID_AFTER_MINUTES = env.int("TTMS_TICKET_VALID_AFTER_MINUTES", default=360)
# Offline scans dated later than this many seconds after their upload count as made then.
TTMS_SCAN_CLOCK_SKEW_SECONDS = env.int("TTMS_SCAN_CLOCK_SKEW_SECONDS", default=300)

# --- SQL for platform admins -------------------------------------------------------------
# Most rows one query returns (a lower LIMIT of the query's own is kept).
TTMS_SQL_ROW_LIMIT = env.int("TTMS_SQL_ROW_LIMIT", default=1000)
# Longest a query may run, in ms (PostgreSQL's statement_timeout; on SQLite, a progress check).
TTMS_SQL_TIMEOUT_MS = env.int("TTMS_SQL_TIMEOUT_MS", default=3000)
# The PostgreSQL role queries run as (`manage.py sql_role` creates it with SELECT grants only).
TTMS_SQL_ROLE = env.str("TTMS_SQL_ROLE", default="ttms_analyst")
