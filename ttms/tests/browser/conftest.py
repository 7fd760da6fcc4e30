"""Fixtures of the browser tests: Debian's Chromium driven by Playwright against live_server.

Every test here that asks for `browser` (directly, or through `new_context`, `page`,
`phone_page` or `desktop_page`) is skipped when Playwright or Chromium is missing.
"""

import os
import re
from collections.abc import Callable, Iterator

import pytest

from .support import (
    CHROMIUM_ARGS,
    DEFAULT_TIMEOUT_MS,
    DEVICES,
    browser_unavailable_reason,
    chromium_path,
    shot,
)

_reports = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    reports = request.node.stash.get(_reports, {})
    return any(report.failed for report in reports.values())


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """One headless Chromium for all the browser tests.

    Package-scoped rather than session-scoped: Playwright's sync API keeps its asyncio loop
    marked as running in this thread from start() to stop(), and the tests that run after
    this package (asyncio.run, async_to_sync, the ORM) must not see it.
    """
    if reason := browser_unavailable_reason():
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # While Playwright's loop is marked as running in this thread, Django's ORM believes it
    # is called from async code and raises SynchronousOnlyOperation, in the test bodies
    # (factories, assertions) and in the database flush of transactional_db. The calls are
    # synchronous in fact, and the loop never runs Django code, so the check is off for as
    # long as the loop exists, and restored afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
        chromium = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=CHROMIUM_ARGS,
            timeout=30_000,
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser, live_server, request) -> Iterator[Callable]:
    """new_context(device="desktop", **options) -> BrowserContext on the live server.

    `device` is "phone" (390×844, touch, mobile) or "desktop" (1366×900); `options` go to
    Browser.new_context and win over the device's, e.g. java_script_enabled=False for a
    browser without JavaScript. Relative URLs (page.goto("/wallet/")) go to live_server.
    Each context is a fresh browser profile: no cookies, signed out. When the test fails,
    every page still open is saved as FAILED-<test>-<phone|desktop>.png, then all close.
    """
    contexts = []

    def make(device: str = "desktop", **options):
        context = browser.new_context(base_url=live_server.url, **{**DEVICES[device], **options})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        context.set_default_navigation_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make

    failed = _failed(request)
    test_name = re.sub(r"^test_", "", request.node.name)
    for number, context in enumerate(contexts):
        try:
            if failed:
                for index, page in enumerate(context.pages):
                    suffix = f"-{number}.{index}" if (number, index) != (0, 0) else ""
                    try:
                        shot(page, f"FAILED-{test_name}{suffix}")
                    except Exception as exc:  # the page may be what broke
                        print(f"no failure screenshot of {page.url}: {exc}")
        finally:
            context.close()


@pytest.fixture(params=["phone", "desktop"])
def device(request) -> str:
    """The device of `page`: a test asking for `page` runs at phone, then at desktop width."""
    return request.param


@pytest.fixture
def page(new_context, device):
    """A new page, signed out, at the width of `device`."""
    return new_context(device).new_page()


@pytest.fixture
def phone_page(new_context):
    return new_context("phone").new_page()


@pytest.fixture
def desktop_page(new_context):
    return new_context("desktop").new_page()
