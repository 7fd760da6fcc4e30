"""Helpers for the browser tests: device sizes, screenshots, cheap accessibility checks.

Imported by tests only. This module (and the test modules that import `expect` from it)
still loads where Playwright is not installed: the fixtures then skip the tests.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from django.db import connection

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips every test that could use it
    expect = None

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking"]
# Every wait (navigation, locator, expect) gives up after this: a broken page fails in
# seconds instead of hanging until pytest-timeout.
DEFAULT_TIMEOUT_MS = 10_000

# The passengers' language and time zone, as the server (Accept-Language) and scripts see them.
_PASSENGER = {"locale": "en-IN", "timezone_id": "Asia/Kolkata"}
DEVICES: dict[str, dict] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        **_PASSENGER,
    },
    "desktop": {"viewport": {"width": 1366, "height": 900}, **_PASSENGER},
}
# A page whose viewport is at most this wide is a phone in screenshot names.
PHONE_MAX_WIDTH = 600


def chromium_path() -> str:
    return os.environ.get("TTMS_CHROMIUM") or DEFAULT_CHROMIUM


def browser_unavailable_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if expect is None:
        return "playwright is not installed: pip install -e '.[dev]'"
    path = chromium_path()
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        if "TTMS_CHROMIUM" in os.environ:
            return f"TTMS_CHROMIUM={path} is not an executable file"
        return "Debian chromium is not installed: apt-get install chromium"
    return None


def screenshot_dir() -> Path:
    """TTMS_SCREENSHOT_DIR if set, else .ci/screenshots/<database vendor>/ in the project, so
    that the SQLite and the PostgreSQL runs of .ci/run keep both sets."""
    if configured := os.environ.get("TTMS_SCREENSHOT_DIR"):
        return Path(configured)
    return ROOT / ".ci" / "screenshots" / connection.vendor


def device_of(page: Page) -> str:
    viewport = page.viewport_size
    return "phone" if viewport and viewport["width"] <= PHONE_MAX_WIDTH else "desktop"


def shot(page: Page, name: str) -> Path:
    """Save a full-page PNG of `page` as <name>-<phone|desktop>.png; returns its path."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")
    path = folder / f"{safe}-{device_of(page)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_BASICS_JS = """
() => {
  const skipped = new Set(["hidden", "submit", "button", "reset", "image"]);
  const describe = (el) => el.outerHTML.replace(/\\s+/g, " ").slice(0, 160);
  const textOf = (node) => {
    const copy = node.cloneNode(true);
    copy.querySelectorAll("input, select, textarea").forEach((c) => c.remove());
    return copy.textContent.trim();
  };
  const labelled = (el) => {
    if ((el.getAttribute("aria-label") || "").trim()) return true;
    const ids = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    if (ids.some((id) => { const t = document.getElementById(id); return t && textOf(t); }))
      return true;
    return Array.from(el.labels || []).some((label) => textOf(label));
  };
  const unlabelled = Array.from(document.querySelectorAll("input, select, textarea"))
    .filter((el) => !(el.tagName === "INPUT" && skipped.has(el.type)))
    .filter((el) => el.checkVisibility({visibilityProperty: true}))
    .filter((el) => !labelled(el))
    .map(describe);
  const width = window.innerWidth;
  const overflowing = Array.from(document.body.querySelectorAll("*"))
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .filter((el) => el.checkVisibility({visibilityProperty: true}))
    .slice(0, 5)
    .map(describe);
  return {
    title: document.title.trim(),
    h1s: Array.from(document.querySelectorAll("h1")).map((h) => h.textContent.trim()),
    unlabelled,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    overflowing,
  };
}
"""


def assert_page_basics(page: Page) -> None:
    """The accessibility basics, checked cheaply: a non-empty <title>, exactly one <h1>,
    a label for every visible form field (label[for], a wrapping label, aria-label or
    aria-labelledby), and no horizontal scrolling at the page's width."""
    found = page.evaluate(_BASICS_JS)
    where = f"{page.url} at {device_of(page)} width"
    assert found["title"], f"{where}: the <title> is empty"
    assert len(found["h1s"]) == 1, f"{where}: expected exactly one <h1>, found {found['h1s']}"
    assert not found["unlabelled"], f"{where}: fields without a label: {found['unlabelled']}"
    assert found["scrollWidth"] <= found["innerWidth"] + 1, (
        f"{where}: scrolls sideways ({found['scrollWidth']}px of content in a "
        f"{found['innerWidth']}px window); wider than the window: {found['overflowing']}"
    )


def sign_in(page: Page, *, email: str, password: str) -> None:
    """Sign in through the sign-in form, as a person would, and wait until it took."""
    page.goto("/accounts/login/")
    form = page.locator("main form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
