"""The Payments settings: the sandbox provider never runs in production by accident."""

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ttms.startup import warn_sandbox_in_production

ROOT = Path(__file__).resolve().parents[2]
REFUSAL = (
    "The sandbox payment provider is enabled (TTMS_PAYMENT_PROVIDERS) with DJANGO_DEBUG "
    "off: anyone signed in could approve their own top-ups and fill their wallet with "
    "money nobody paid. Remove sandbox from TTMS_PAYMENT_PROVIDERS, or set "
    "TTMS_SANDBOX_IN_PRODUCTION=1 if this deployment is a demo with no real money."
)
WARNING = (
    "SANDBOX PAYMENTS ARE ON with DJANGO_DEBUG off (TTMS_SANDBOX_IN_PRODUCTION=1): "
    "any signed-in user can approve their own top-ups. Wallets hold no real money; "
    "run this deployment only as a demo."
)


def start_django(**variables: str) -> subprocess.CompletedProcess:
    """Load the settings and set Django up in a fresh interpreter with only these variables
    of TTMS and Django set (as a server process starts)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TTMS_", "DJANGO_", "DATABASE_", "REDIS_", "CELERY_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "ttms.settings",
            "DJANGO_SECRET_KEY": "settings-test-key-" + "x" * 40,
            **variables,
        }
    )
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.TTMS_PAYMENT_PROVIDERS)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_sandbox_with_debug_off_refuses_to_start_with_a_clear_message():
    started = start_django(
        DJANGO_DEBUG="0",
        TTMS_PAYMENT_PROVIDERS="sandbox",
        TTMS_SANDBOX_WEBHOOK_SECRET="a-real-looking-secret",
    )

    assert started.returncode == 1
    assert f"django.core.exceptions.ImproperlyConfigured: {REFUSAL}" in started.stderr


def test_the_sandbox_with_debug_off_starts_when_declared_a_demo_and_says_so_loudly():
    started = start_django(
        DJANGO_DEBUG="0",
        TTMS_PAYMENT_PROVIDERS="sandbox",
        TTMS_SANDBOX_WEBHOOK_SECRET="a-real-looking-secret",
        TTMS_SANDBOX_IN_PRODUCTION="1",
    )

    assert (started.returncode, started.stdout) == (0, "['sandbox']\n")
    assert f"WARNING ttms.startup {WARNING}" in started.stderr


def test_the_sandbox_in_development_starts_without_a_warning():
    started = start_django(DJANGO_DEBUG="1")

    assert (started.returncode, started.stdout) == (0, "['sandbox']\n")
    assert "SANDBOX" not in started.stderr


def test_the_settings_of_env_example_start_as_they_stand_with_no_sandbox():
    lines = (ROOT / ".env.example").read_text().splitlines()
    variables = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))

    started = start_django(**{**variables, "DJANGO_SECRET_KEY": "settings-test-key-" + "y" * 40})

    assert variables["DJANGO_DEBUG"] == "0"
    assert variables["TTMS_SANDBOX_IN_PRODUCTION"] == "0"
    assert (started.returncode, started.stdout, started.stderr) == (0, "[]\n", "")


@pytest.mark.parametrize(
    ("debug", "providers", "demo", "warned"),
    [
        (False, ["sandbox"], True, True),
        (False, ["mobilemoney"], True, False),
        (True, ["sandbox"], True, False),
        (False, [], False, False),
    ],
)
def test_the_startup_warning_is_given_exactly_when_the_demo_setting_lets_the_sandbox_run(
    settings, caplog, debug, providers, demo, warned
):
    settings.DEBUG, settings.TTMS_PAYMENT_PROVIDERS = debug, providers
    settings.TTMS_SANDBOX_IN_PRODUCTION = demo

    with caplog.at_level(logging.WARNING, logger="ttms.startup"):
        warn_sandbox_in_production()

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == (
        [("WARNING", WARNING)] if warned else []
    )


@pytest.mark.parametrize("limits", ["INR:100-1", "INR:0-100", "inr:1-100", "INR 1-100"])
def test_topup_limits_not_code_min_max_refuse_to_start(limits):
    started = start_django(DJANGO_DEBUG="1", TTMS_TOPUP_LIMITS=limits)

    assert started.returncode == 1
    assert (
        f"django.core.exceptions.ImproperlyConfigured: TTMS_TOPUP_LIMITS: {limits!r} is not "
        "CODE:MIN-MAX in major units (e.g. INR:1-100000), with 0 < MIN <= MAX."
    ) in started.stderr


def test_topup_limits_are_read_in_major_units_per_currency():
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.TTMS_TOPUP_LIMITS)",
        ],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("TTMS_", "DJANGO_"))},
            "DJANGO_SETTINGS_MODULE": "ttms.settings",
            "DJANGO_DEBUG": "1",
            "TTMS_TOPUP_LIMITS": "RWF:500-2000000, KES:50.50-150000",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert started.stdout == "{'RWF': ('500', '2000000'), 'KES': ('50.50', '150000')}\n"


@pytest.mark.parametrize("currency", ["inr", "XXX", "RUPEES"])
def test_a_default_currency_not_iso_4217_refuses_to_start(currency):
    started = start_django(DJANGO_DEBUG="1", TTMS_CURRENCY=currency)

    assert started.returncode == 1
    assert (
        f"django.core.exceptions.ImproperlyConfigured: TTMS_CURRENCY={currency!r} is not an "
        "ISO 4217 currency code, e.g. INR, RWF, KES."
    ) in started.stderr


def test_a_default_currency_of_iso_4217_starts():
    assert start_django(DJANGO_DEBUG="1", TTMS_CURRENCY="RWF").returncode == 0
