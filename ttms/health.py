"""`/healthz`: the state of what this deployment is configured to use.

Each check is "ok", "down" or "not_configured", and "notifications" may be "warning" (a
delivery has waited unsent longer than TTMS_NOTIFY_STALE_MINUTES: dispatchers or workers
are down, or a provider is failing). The answer is 200 when everything configured is up and
503 otherwise, so a load balancer can take the instance out of rotation; a warning keeps
the 200 (this instance can still serve) and makes the status "warning" for monitoring.
"""

import logging
from datetime import timedelta

import redis
from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from ttms.notifications.monitoring import oldest_unsent_since

logger = logging.getLogger(__name__)

OK, DOWN, NOT_CONFIGURED, WARNING = "ok", "down", "not_configured", "warning"
TIMEOUT_SECONDS = 1


def _check_database() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("healthz: database check failed")
        return DOWN
    return OK


def _check_redis() -> str:
    if not settings.REDIS_URL:
        return NOT_CONFIGURED
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_connect_timeout=TIMEOUT_SECONDS,
            socket_timeout=TIMEOUT_SECONDS,
        )
        try:
            client.ping()
        finally:
            client.close()
    except redis.RedisError as exc:
        logger.warning("healthz: redis is down: %s", exc)
        return DOWN
    return OK


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER or not settings.CELERY_BROKER_URL:
        return NOT_CONFIGURED
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=TIMEOUT_SECONDS,
            transport_options={"socket_connect_timeout": TIMEOUT_SECONDS},
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:
        logger.warning("healthz: broker is down: %s", exc)
        return DOWN
    return OK


def _check_notifications() -> str:
    try:
        since = oldest_unsent_since()
    except Exception:
        logger.exception("healthz: the outbox could not be read")
        return DOWN
    stale_after = timedelta(minutes=settings.TTMS_NOTIFY_STALE_MINUTES)
    if since is not None and timezone.now() - since > stale_after:
        logger.warning("healthz: a notification has waited unsent since %s", since.isoformat())
        return WARNING
    return OK


@never_cache
@require_GET
def healthz(request):
    checks = {
        "database": _check_database(),
        "redis": _check_redis(),
        "broker": _check_broker(),
        "notifications": _check_notifications(),
    }
    healthy = all(state != DOWN for state in checks.values())
    if not healthy:
        status = "degraded"
    elif WARNING in checks.values():
        status = "warning"
    else:
        status = "ok"
    return JsonResponse(
        {"status": status, "checks": checks},
        status=200 if healthy else 503,
    )
