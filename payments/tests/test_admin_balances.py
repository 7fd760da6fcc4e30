"""Ledger accounts in the admin: one balance, as money in the account's currency (never a
raw "Balance: 0" beside the sum of an insert-only account's entries); ledger times in the
company's zone, or in UTC named so for the platform's own accounts; days counted there."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from fleet.models import CompanyMembership
from payments.ledger.sales import booking_charge
from payments.models import Account, Transaction
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from .factories import CompanyFactory, PassengerFactory, fund_wallet

pytestmark = pytest.mark.django_db

# 04:00 UTC on 4 Dec 2026: 06:00 in Kigali, 09:30 in India.
MOMENT = datetime(2026, 12, 4, 4, 0, tzinfo=UTC)


@pytest.fixture
def sale():
    """₹1,000.00 topped up, a ₹301.15 ticket of Konkan Rail (5 % commission) paid from it."""
    company = CompanyFactory(name="Konkan Rail", slug="konkan", time_zone="Asia/Kolkata")
    passenger = PassengerFactory(email="ravi@example.com")
    with time_machine.travel(MOMENT, tick=False):
        fund_wallet(passenger, 100_000)
        booking_charge(
            wallet_owner=passenger,
            company=company,
            amount=30_115,
            reference_type="pnr",
            reference_id="A1",
        )
    return {"company": company, "passenger": passenger}


@pytest.fixture
def platform_client(client):
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True))
    return client


def _change_page(client, account):
    response = client.get(reverse("admin:payments_account_change", args=[account.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_an_insert_only_account_shows_one_balance_as_money(platform_client, sale):
    revenue = Account.objects.get(kind="revenue", company=sale["company"])

    html = _change_page(platform_client, revenue)

    assert "₹286.10" in html
    assert "Sum of entries" not in html
    assert "(sum of entries)" not in html
    assert '<div class="readonly">0</div>' not in html


def test_a_wallet_shows_its_kept_balance_as_money(platform_client, sale):
    wallet = Account.objects.get(kind="wallet", user=sale["passenger"])

    html = _change_page(platform_client, wallet)

    assert "₹698.85" in html
    assert "69885" not in html


def test_accounts_list_shows_balances_as_money(platform_client, sale):
    response = platform_client.get(reverse("admin:payments_account_changelist"))

    balances = {
        account.kind: response.context["cl"].model_admin.balance_display(account)
        for account in response.context["cl"].result_list
    }
    assert balances == {
        "wallet": "₹698.85",
        "revenue": "₹286.10",
        "commission": "₹15.05",
        "provider_clearing": "-₹1,000.00",
    }


def test_ledger_times_are_in_the_companys_zone_or_utc_named(platform_client, sale):
    revenue = Account.objects.get(kind="revenue", company=sale["company"])
    topup = Transaction.objects.get(kind="topup")
    sale_txn = Transaction.objects.get(reference_id="A1")
    Account.objects.filter(pk=revenue.pk).update(created_at=MOMENT)

    revenue_page = _change_page(platform_client, revenue)
    sale_page = platform_client.get(
        reverse("admin:payments_transaction_change", args=[sale_txn.pk])
    ).content.decode()
    topup_page = platform_client.get(
        reverse("admin:payments_transaction_change", args=[topup.pk])
    ).content.decode()

    assert "04 Dec 2026 09:30 IST" in revenue_page
    assert "04 Dec 2026 09:30 IST" in sale_page
    assert "04 Dec 2026 04:00 UTC" in topup_page


def test_company_staff_filter_transactions_by_their_local_day(client, sale):
    staff = UserFactory(role=Role.COMPANY_ADMIN, is_staff=True)
    CompanyMembership.objects.create(user=staff, company=sale["company"], role=Role.COMPANY_ADMIN)
    client.force_login(staff)
    url = reverse("admin:payments_transaction_changelist")

    # 20:00 UTC on 4 Dec is 01:30 on the 5th in India: the sale was yesterday there.
    with time_machine.travel(datetime(2026, 12, 4, 20, 0, tzinfo=UTC), tick=False):
        today = client.get(url, {"day": "today"})
        past = client.get(url, {"day": "past7"})

    assert list(today.context["cl"].result_list) == []
    assert [t.reference_id for t in past.context["cl"].result_list] == ["A1"]


def test_an_unknown_day_choice_on_the_ledger_is_refused_not_a_500(platform_client, sale):
    url = reverse("admin:payments_entry_changelist")

    response = platform_client.get(url, {"day": "someday"})

    assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")
