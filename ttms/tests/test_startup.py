import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from ttms.startup import require_secret_key


def test_serving_without_a_secret_key_is_refused_with_a_clear_message():
    with (
        override_settings(TTMS_SECRET_KEY_MISSING=True),
        pytest.raises(ImproperlyConfigured) as exc,
    ):
        require_secret_key()

    assert "DJANGO_SECRET_KEY is not set" in str(exc.value)


def test_serving_with_a_secret_key_starts():
    assert require_secret_key() is None
