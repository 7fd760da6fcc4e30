"""Under the Content-Security-Policy the pages, the admin and the API docs work and break
none of its rules (a violation would be an injected-looking script or style that the
browser refused, i.e. a feature that silently stopped working)."""

import pytest

from fleet.tests.factories import TripFactory
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import PASSWORD, UserFactory

from .support import expect

pytestmark = pytest.mark.browser

# Run before any of the page's own scripts. window.print is counted instead of opening
# the print dialog, so that a Print button is seen to work.
_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
window.__printed = 0;
window.print = () => { window.__printed += 1; };
"""


@pytest.fixture
def watched_page(new_context):
    context = new_context("desktop")
    context.add_init_script(_RECORD_VIOLATIONS)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return page


def _violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations") + [
        text for text in page.console_errors if "Content Security Policy" in text
    ]


@pytest.mark.parametrize(
    "path", ["/", "/accounts/login/", "/accounts/signup/", "/pnr-status/", "/no-such-page/"]
)
def test_the_public_pages_break_no_rule_of_the_policy(watched_page, path):
    response = watched_page.goto(path)
    watched_page.wait_for_load_state("networkidle")

    assert "script-src 'self';" in response.headers["content-security-policy"] + ";"
    assert _violations(watched_page) == []


def test_the_api_docs_work_under_the_policy(watched_page):
    watched_page.goto("/api/docs/")
    keys = watched_page.locator(".opblock", has_text="/api/v1/tickets/keys/").first
    keys.locator(".opblock-summary").click()
    keys.get_by_role("button", name="Try it out").click()
    keys.get_by_role("button", name="Execute").click()

    expect(keys.locator(".live-responses-table tr.response .response-col_status")).to_have_text(
        "200"
    )
    assert _violations(watched_page) == []


def test_the_admin_works_under_the_policy(watched_page):
    UserFactory(
        email="root@example.com", role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True
    )
    watched_page.goto("/admin/login/")
    watched_page.get_by_label("Email").fill("root@example.com")
    watched_page.get_by_label("Password").fill(PASSWORD)
    watched_page.get_by_role("button", name="Log in").click()
    expect(watched_page.get_by_role("heading", name="Platform dashboard")).to_be_visible()

    for path in ["/admin/fleet/route/", "/admin/fleet/route/add/", "/admin/fleet/trip/"]:
        watched_page.goto(path)
        watched_page.wait_for_load_state("networkidle")

    assert _violations(watched_page) == []


def test_a_print_button_works_under_the_policy(watched_page):
    UserFactory(
        email="root@example.com", role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True
    )
    trip = TripFactory()
    watched_page.goto("/admin/login/")
    watched_page.get_by_label("Email").fill("root@example.com")
    watched_page.get_by_label("Password").fill(PASSWORD)
    watched_page.get_by_role("button", name="Log in").click()
    expect(watched_page.get_by_role("heading", name="Platform dashboard")).to_be_visible()

    watched_page.goto(f"/admin/booking/boardingscan/trip/{trip.pk}/")
    watched_page.get_by_role("button", name="Print").click()

    assert watched_page.evaluate("window.__printed") == 1
    assert _violations(watched_page) == []
