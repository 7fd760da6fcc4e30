"""The back office in a real browser, at desktop width: the platform's and an operator's
dashboards over a closed day of sales (charts drawn, figures as formatted money, no other
company's name in an operator's page), the onboarding flow from the public "operate with us"
form through the queue's "Approve and invite" to the invited admin's first sign-in, and a
settlement run made through its form, its statement and its PDF (page 1 rendered to PNG)."""

import re
import time
from datetime import timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from booking.models import FareRule
from booking.sales.services.create import booking_create
from booking.tests.factories import adult, make_trip
from fleet.models import Company, OperatorApplication
from fleet.tests.factories import CompanyFactory, staff_user
from payments.models import SettlementRun
from payments.tests.factories import fund_wallet
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import PASSWORD, UserFactory
from ttms.money import format_money

from .support import expect, screenshot_dir, shot

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a-long-new-password-42"


@pytest.fixture(autouse=True)
def _tasks_in_process(monkeypatch):
    """The invitation email is sent where the approval commits, even with REDIS_URL set:
    these tests read what is sent, not the broker."""
    from ttms.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def _rail(name, slug, currency, zone):
    company = CompanyFactory(
        kind=Company.Kind.RAIL,
        name=name,
        slug=slug,
        currency=currency,
        time_zone=zone,
        quota_distribution={"SL": {}},
    )
    FareRule.objects.create(company=company, class_code="SL", rate_per_km=1, minimum_fare=100_000)
    return company


def _book(trip, count, *, user, origin, destination, at):
    with time_machine.travel(at, tick=False):
        return booking_create(
            user=user,
            trip_id=trip.pk,
            origin_code=origin,
            destination_code=destination,
            class_code="SL",
            quota="GENERAL",
            passengers=[adult(f"Rider {i}") for i in range(count)],
            now=at,
        )


@pytest.fixture
def sold(transactional_db):
    """Alpha Rail (INR) sold two sleeper berths two days ago, Beta Rail (KES) one: each day
    is closed in its company's zone, and both trips leave in five days."""
    alpha = _rail("Alpha Rail", "alpha", "INR", "Asia/Kolkata")
    beta = _rail("Beta Rail", "beta", "KES", "Africa/Nairobi")
    departure = timezone.now() + timedelta(days=5)
    alpha_trip = make_trip(company=alpha, departure=departure, code_prefix="AA")
    beta_trip = make_trip(company=beta, departure=departure, stops=3, code_prefix="BB")
    buyer = UserFactory(email="buyer@example.com")
    fund_wallet(buyer, 10_000_000, "INR")
    fund_wallet(buyer, 10_000_000, "KES")
    sold_at = timezone.now() - timedelta(days=2)
    alpha_pnr = _book(alpha_trip, 2, user=buyer, origin="AA1", destination="AA4", at=sold_at)
    beta_pnr = _book(beta_trip, 1, user=buyer, origin="BB1", destination="BB3", at=sold_at)
    UserFactory(
        email="root@example.com", role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True
    )
    staff_user(alpha, Role.COMPANY_ADMIN, email="alpha-admin@example.com")
    mail.outbox.clear()  # the tickets sent to the buyer
    return SimpleNamespace(
        alpha=alpha, beta=beta, alpha_pnr=alpha_pnr, beta_pnr=beta_pnr, sold_at=sold_at
    )


def _admin_sign_in(page, email, password=PASSWORD):
    page.goto("/admin/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def _panel(page, heading):
    return page.locator("section.dashboard-panel").filter(
        has=page.get_by_role("heading", name=heading)
    )


def _charts_drawn(page):
    expect(page.locator("canvas").first).to_be_visible()
    assert page.evaluate("typeof Chart") == "function"
    sizes = page.evaluate(
        "Array.from(document.querySelectorAll('canvas')).map(c => [c.width, c.height])"
    )
    assert sizes and all(width > 0 and height > 0 for width, height in sizes), sizes


def test_a_platform_admin_lands_on_the_platform_dashboard_with_drawn_charts(new_context, sold):
    page = new_context("desktop").new_page()

    _admin_sign_in(page, "root@example.com")

    expect(page.get_by_role("heading", name="Platform dashboard")).to_be_visible()
    _charts_drawn(page)
    totals = _panel(page, "Totals per currency").locator("tbody tr")
    expect(totals).to_have_count(2)
    inr = totals.filter(has=page.get_by_role("cell", name="INR", exact=True))
    expect(inr.locator("td").nth(1)).to_have_text(format_money(sold.alpha_pnr.total_fare, "INR"))
    expect(inr.locator("td").nth(5)).to_have_text("2")
    kes = totals.filter(has=page.get_by_role("cell", name="KES", exact=True))
    expect(kes.locator("td").nth(1)).to_have_text(format_money(sold.beta_pnr.total_fare, "KES"))
    ranked = _panel(page, "Companies ranked by tickets sold").locator("tbody tr")
    expect(ranked.locator("td:first-child")).to_have_text(["Alpha Rail", "Beta Rail"])
    shot(page, "backoffice-platform-dashboard")


def test_a_company_admin_lands_on_the_operator_dashboard_without_the_other_company(
    new_context, sold
):
    page = new_context("desktop").new_page()

    _admin_sign_in(page, "alpha-admin@example.com")

    expect(page.get_by_role("heading", name="Operator dashboard")).to_be_visible()
    _charts_drawn(page)
    totals = _panel(page, "Totals per currency").locator("tbody tr")
    expect(totals).to_have_count(1)
    expect(totals.locator("td").nth(1)).to_have_text(format_money(sold.alpha_pnr.total_fare, "INR"))
    expect(page.locator("body")).to_contain_text("Alpha Rail")
    expect(page.locator("body")).not_to_contain_text("Beta Rail")
    assert "Beta Rail" not in page.content()
    shot(page, "backoffice-operator-dashboard")


def _invitation_path(timeout=10.0) -> str:
    deadline = time.monotonic() + timeout
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.1)
    (message,) = mail.outbox
    assert message.to == ["devi@delta.example"]
    assert "Delta Rail" in message.body
    return re.search(r"https?://[^/\s]+(/accounts/invite/\S+/)", message.body).group(1)


def test_an_operator_applies_is_approved_and_signs_in_to_its_dashboard(new_context, sold):
    visitor = new_context("desktop").new_page()
    visitor.goto("/operate-with-us/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Sell your trains or buses on TTMS"
    )
    form = visitor.locator("main form")
    form.locator("[name=company_name]").fill("Delta Rail")
    form.locator("input[name=kind][value=rail]").check()
    form.locator("[name=currency]").fill("inr")
    form.locator("[name=time_zone]").select_option("Asia/Kolkata")
    form.locator("[name=fleet_size]").fill("4")
    form.locator("[name=contact_name]").fill("Devi Rao")
    form.locator("[name=email]").fill("devi@delta.example")
    form.locator("[name=message]").fill("Four rakes.")
    shot(visitor, "backoffice-operate-with-us-form")
    form.get_by_role("button", name="Send the request").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Thank you: your request is in the queue"
    )
    shot(visitor, "backoffice-operate-with-us-thanks")
    assert OperatorApplication.objects.get().status == OperatorApplication.Status.PENDING

    admin = new_context("desktop").new_page()
    _admin_sign_in(admin, "root@example.com")
    admin.goto("/admin/fleet/operatorapplication/")
    row = admin.locator("#result_list tbody tr").filter(has_text="Delta Rail")
    expect(row).to_have_count(1)
    row.locator("input[name=_selected_action]").check()
    admin.locator("select[name=action]").select_option(label="Approve and invite")
    shot(admin, "backoffice-operator-application-queue")
    admin.get_by_role("button", name="Go").click()
    expect(admin.locator(".messagelist")).to_have_text(
        "1 application approved; its admin is invited by email."
    )
    shot(admin, "backoffice-operator-application-approved")
    application = OperatorApplication.objects.get()
    assert application.status == OperatorApplication.Status.APPROVED
    assert application.company.name == "Delta Rail"

    path = _invitation_path()
    invited = new_context("desktop").new_page()
    invited.goto(path)
    expect(invited.get_by_role("heading", level=1)).to_have_text("Choose your password")
    invited.locator("[name=new_password1]").fill(NEW_PASSWORD)
    invited.locator("[name=new_password2]").fill(NEW_PASSWORD)
    shot(invited, "backoffice-invitation-password")
    invited.get_by_role("button", name="Set password and sign in").click()

    expect(invited).to_have_url(re.compile(r"/admin/$"))
    expect(invited.get_by_role("heading", name="Operator dashboard")).to_be_visible()
    # A new operator has sold nothing yet, and sees no other company's figures.
    expect(_panel(invited, "Totals per currency").locator("tbody tr")).to_have_text(
        "Nothing sold in these days."
    )
    for other in ("Alpha Rail", "Beta Rail"):
        expect(invited.locator("body")).not_to_contain_text(other)
    shot(invited, "backoffice-invited-operator-dashboard")


def test_a_platform_admin_makes_a_settlement_run_and_downloads_its_pdf(new_context, sold):
    page = new_context("desktop").new_page()
    _admin_sign_in(page, "root@example.com")
    page.goto("/admin/payments/settlementrun/add/")
    expect(page.get_by_role("heading", name="New settlement run")).to_be_visible()
    with page.expect_navigation():
        page.get_by_label("Company").select_option(label="Alpha Rail")
    # The form comes back with the company's default period: its first sale to yesterday.
    zone = ZoneInfo(sold.alpha.time_zone)
    sold_on = timezone.localtime(sold.sold_at, zone).date()
    yesterday = timezone.localtime(timezone.now(), zone).date() - timedelta(days=1)
    expect(page.get_by_label("First day")).to_have_value(sold_on.isoformat())
    expect(page.get_by_label("Last day")).to_have_value(yesterday.isoformat())
    shot(page, "backoffice-settlement-run-form")
    page.get_by_role("button", name="Make the run and pay out").click()

    run = SettlementRun.objects.get()
    expect(page).to_have_url(re.compile(rf"/admin/payments/settlementrun/{run.pk}/"))
    net = format_money(run.net, "INR")
    assert run.net == run.sales - run.commission
    assert run.sales == sold.alpha_pnr.total_fare
    expect(page.locator("h2").first).to_have_text("Alpha Rail")
    net_row = page.locator("table.settlement-figures tr").filter(has_text="Net for the period")
    expect(net_row.locator("td").nth(2)).to_have_text(net)
    expect(page.locator(".settlement-facts")).to_contain_text(run.reference)
    shot(page, "backoffice-settlement-statement")

    response = page.request.get(f"/admin/payments/settlementrun/{run.pk}/statement.pdf")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    body = response.body()
    assert body.startswith(b"%PDF")

    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(body)
    first = document[0]
    text = first.get_textpage().get_text_range()
    for expected in ("Alpha Rail", run.reference, net):
        assert expected in text, f"{expected!r} not in the PDF's text: {text!r}"
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    first.render(scale=2).to_pil().save(folder / "backoffice-settlement-statement-pdf-desktop.png")
