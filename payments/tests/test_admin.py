from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fleet.models import CompanyMembership
from payments.ledger.clearing import payout_record
from payments.ledger.refunds import booking_refund
from payments.ledger.sales import booking_charge, cash_sale
from payments.models import Account, Transaction
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from .factories import CompanyFactory, PassengerFactory, fund_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(company, agent):
    """Konkan Rail (5 %): two wallet sales, a partial refund, a cash sale, a payout; and a
    sale of another company, and one of Konkan's 40 days ago."""
    passenger = PassengerFactory()
    other = CompanyFactory(name="Deccan Bus", slug="deccan")
    fund_wallet(passenger, 100_000)
    booking_charge(
        wallet_owner=passenger,
        company=company,
        amount=10_000,
        reference_type="pnr",
        reference_id="A1",
    )
    booking_charge(
        wallet_owner=passenger,
        company=company,
        amount=5_001,
        reference_type="pnr",
        reference_id="A2",
    )
    booking_refund(reference_type="pnr", reference_id="A1", amount=5_000)
    cash_sale(agent=agent, company=company, amount=2_000, reference_type="pnr", reference_id="A3")
    payout_record(company=company, amount=1_000, reference_id="NEFT-1")
    booking_charge(
        wallet_owner=passenger, company=other, amount=3_000, reference_type="pnr", reference_id="B1"
    )
    old = booking_charge(
        wallet_owner=passenger,
        company=company,
        amount=7_000,
        reference_type="pnr",
        reference_id="A0",
    )
    Transaction.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    return {"company": company, "other": other, "passenger": passenger}


def staff_of(company, role=Role.COMPANY_ADMIN):
    user = UserFactory(role=role, is_staff=True)
    CompanyMembership.objects.create(user=user, company=company, role=role)
    return user


def platform_admin():
    return UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True)


def today_in_kolkata() -> str:
    return timezone.now().astimezone(ZoneInfo("Asia/Kolkata")).date().isoformat()


def test_platform_admin_sees_every_account(client, ledger):
    client.force_login(platform_admin())

    response = client.get("/admin/payments/account/")

    assert response.status_code == 200
    assert {a.kind for a in response.context["cl"].result_list} == {
        "wallet",
        "drawer",
        "revenue",
        "commission",
        "provider_clearing",
        "payout_clearing",
    }


def test_company_staff_see_only_their_revenue_account_and_its_entries(client, ledger):
    client.force_login(staff_of(ledger["company"]))

    accounts = client.get("/admin/payments/account/").context["cl"].result_list
    entries = client.get("/admin/payments/entry/").context["cl"].result_list
    wallet = Account.objects.get(kind="wallet")

    assert [(a.kind, a.company) for a in accounts] == [("revenue", ledger["company"])]
    assert {e.account.company for e in entries} == {ledger["company"]}
    assert len(entries) == 6
    assert client.get(f"/admin/payments/account/{wallet.pk}/change/").status_code == 302
    assert client.get("/admin/payments/payment/").status_code == 403


def test_nobody_edits_the_ledger_in_the_admin(client, ledger):
    client.force_login(platform_admin())
    revenue = Account.objects.get(kind="revenue", company=ledger["company"])

    assert client.get("/admin/payments/account/add/").status_code == 403
    assert (
        client.post(f"/admin/payments/account/{revenue.pk}/change/", {"balance": 1}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/payments/account/{revenue.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Account.objects.get(pk=revenue.pk).balance == 0


def test_passengers_and_drivers_have_no_ledger_admin(client, ledger):
    client.force_login(staff_of(ledger["company"], role=Role.DRIVER))
    driver_view = client.get("/admin/payments/transaction/")
    client.force_login(ledger["passenger"])
    passenger_view = client.get("/admin/payments/transaction/")

    assert driver_view.context["cl"].result_list[0].kind in Transaction.Kind.values
    assert passenger_view.status_code == 302  # not staff: to the admin login


def test_settlement_report_page_shows_sales_refunds_commission_net(client, ledger):
    client.force_login(platform_admin())
    day = today_in_kolkata()

    response = client.get(
        "/admin/payments/account/settlement/",
        {"company": ledger["company"].pk, "start": day, "end": day},
    )

    (report,) = response.context["reports"]
    assert (
        report.sales,
        report.sales_count,
        report.refunds,
        report.refunds_count,
        report.commission,
        report.net,
        report.payouts,
    ) == (17_001, 3, 5_000, 1, 600, 11_401, 1_000)
    assert report.sales - report.refunds - report.commission == report.net
    assert "₹114.01" in response.content.decode()


def test_settlement_report_csv(client, ledger):
    client.force_login(platform_admin())
    day = today_in_kolkata()

    response = client.get(
        "/admin/payments/account/settlement/", {"start": day, "end": day, "format": "csv"}
    )

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.decode().splitlines() == [
        "company,start,end,currency,sales,sales_count,refunds,refunds_count,commission,net,payouts",
        f"Deccan Bus,{day},{day},INR,30.00,1,0.00,0,1.50,28.50,0.00",
        f"Konkan Rail,{day},{day},INR,170.01,3,50.00,1,6.00,114.01,10.00",
    ]


def test_company_staff_get_the_settlement_of_their_company_only(client, ledger):
    client.force_login(staff_of(ledger["company"]))
    day = today_in_kolkata()

    mine = client.get("/admin/payments/account/settlement/", {"start": day, "end": day})
    theirs = client.get(
        "/admin/payments/account/settlement/",
        {"company": ledger["other"].pk, "start": day, "end": day},
    )

    assert [r.company for r in mine.context["reports"]] == [ledger["company"]]
    assert theirs.context["reports"] == []
    assert "company" in theirs.context["form"].errors


@pytest.mark.parametrize(
    ("start", "end", "fields"),
    [
        ("9999-12-31", "9999-12-31", ["start", "end"]),
        ("2026-01-01", "9999-12-31", ["end"]),
        ("0001-01-01", "0001-01-01", ["start", "end"]),
        ("1999-12-31", "2026-01-01", ["start"]),
        ("2026-01-01", "3000-01-01", ["end"]),
    ],
)
def test_settlement_report_of_days_out_of_range_is_a_400_page_not_a_500(
    client, ledger, start, end, fields
):
    client.force_login(platform_admin())

    page = client.get("/admin/payments/account/settlement/", {"start": start, "end": end})
    csv = client.get(
        "/admin/payments/account/settlement/", {"start": start, "end": end, "format": "csv"}
    )

    assert (page.status_code, csv.status_code) == (400, 400)
    assert page["Content-Type"] == csv["Content-Type"] == "text/html; charset=utf-8"
    assert page.context["form"].errors == {
        field: ["Choose a day between 1 January 2000 and 31 December 2999."] for field in fields
    }
    assert page.context["reports"] == []
    assert "Choose a day between 1 January 2000 and 31 December 2999." in page.content.decode()
