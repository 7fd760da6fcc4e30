"""The pages that exist today, in a real browser at phone and desktop width."""

import pytest

from payments.tests.factories import fund_wallet
from ttms.accounts.tests.factories import PASSWORD, UserFactory

from .support import assert_page_basics, expect, shot, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "name", "heading"),
    [
        ("/", "home", "Intercity trains and buses, booked right."),
        ("/accounts/login/", "login", "Sign in"),
        ("/accounts/signup/", "signup", "Create an account"),
    ],
)
def test_public_page_meets_the_basics(page, path, name, heading):
    response = page.goto(path)

    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert_page_basics(page)
    shot(page, name)


def test_wallet_page_shows_the_balance_and_history_once_signed_in(page):
    user = UserFactory(email="asha@example.com", full_name="Asha Rao")
    fund_wallet(user, 250_000)

    sign_in(page, email="asha@example.com", password=PASSWORD)
    response = page.goto("/wallet/")

    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Wallet"
    assert page.get_by_test_id("wallet-balance").inner_text() == "₹2,500.00"
    assert page.get_by_role("table").get_by_role("row").count() == 2
    assert_page_basics(page)
    shot(page, "wallet")


def test_sign_in_form_works_from_the_keyboard(page):
    UserFactory(email="ravi@example.com")
    page.goto("/accounts/login/")
    # Tab from the top of the document, as on arrival, not from the field autofocus picked.
    page.evaluate("""() => {
        document.body.tabIndex = -1;
        document.body.focus();
        document.body.removeAttribute("tabindex");
    }""")

    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "(el => el.id || el.getAttribute('type') || el.textContent.trim())"
                "(document.activeElement)"
            )
        )
        if reached[-1] == "submit":
            break
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type("ravi@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("not-the-password")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert reached[0] == "Skip to content", reached
    assert reached[-3:] == ["id_username", "id_password", "submit"], reached
    error = page.locator("main form").get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_have_text(
        "Please enter a correct email address and password. "
        "Note that both fields may be case-sensitive."
    )
    expect(page.get_by_label("Email")).to_have_value("ravi@example.com")
    expect(page.get_by_label("Password")).to_have_value("")
    assert_page_basics(page)
    shot(page, "login-wrong-password")


def test_sign_in_and_wallet_work_without_javascript(new_context):
    UserFactory(email="meera@example.com")
    page = new_context("phone", java_script_enabled=False).new_page()

    sign_in(page, email="meera@example.com", password=PASSWORD)
    page.goto("/wallet/")

    assert page.get_by_test_id("wallet-balance").inner_text() == "₹0.00"
    assert_page_basics(page)
    shot(page, "wallet-no-js")
