"""`/healthz`: the state of what this deployment is configured to use.

Each check is "ok", "down" or "not_configured"; the answer is 200 when everything configured
is up and 503 otherwise, so a load balancer can take the instance out of rotation.
"""

import logging

import redis
from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger(__name__)

OK, DOWN, NOT_CONFIGURED = "ok", "down", "not_configured"
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


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _check_database(), "redis": _check_redis(), "broker": _check_broker()}
    healthy = all(state != DOWN for state in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", "checks": checks},
        status=200 if healthy else 503,
    )
