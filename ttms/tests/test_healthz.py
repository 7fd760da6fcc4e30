import socket

import pytest
from django.conf import settings
from django.test import override_settings

from ttms.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="checks the embedded configuration")
def test_healthz_embedded_reports_database_ok_and_the_rest_not_configured(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {
            "database": "ok",
            "redis": "not_configured",
            "broker": "not_configured",
            "notifications": "ok",
        },
    }


@pytest.mark.services
def test_healthz_with_services_reports_everything_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "ok", "broker": "ok", "notifications": "ok"},
    }


def test_healthz_reports_a_stopped_redis_as_down_and_pages_still_serve(client, api_client):
    dead = f"redis://127.0.0.1:{_closed_port()}/0"
    with override_settings(
        REDIS_URL=dead,
        CELERY_BROKER_URL=dead,
        CELERY_TASK_ALWAYS_EAGER=False,
        CACHES={
            "default": {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": dead,
                "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 1},
            }
        },
    ):
        health = client.get("/healthz")
        home = client.get("/")
        login_page = client.get("/accounts/login/")
        UserFactory(email="still@example.com")
        token = api_client.post(
            "/api/v1/auth/token/", {"email": "still@example.com", "password": "wrong"}
        )

    assert health.status_code == 503
    assert health.json() == {
        "status": "degraded",
        "checks": {
            "database": "ok",
            "redis": "down",
            "broker": "down",
            "notifications": "ok",
        },
    }
    assert home.status_code == 200
    assert login_page.status_code == 200
    assert token.status_code == 401
