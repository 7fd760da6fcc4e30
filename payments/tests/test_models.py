"""What the database itself refuses, whatever the code above it does."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import Account, Entry, IdempotencyRecord, Transaction, WebhookEvent

from .factories import CompanyFactory, PassengerFactory

pytestmark = pytest.mark.django_db


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


def test_wallet_and_drawer_balances_are_never_negative(passenger, agent):
    wallet = Account.objects.create(kind="wallet", user=passenger)
    drawer = Account.objects.create(kind="drawer", user=agent)

    assert refused(lambda: Account.objects.filter(pk=wallet.pk).update(balance=-1))
    assert refused(lambda: Account.objects.filter(pk=drawer.pk).update(balance=-1))


def test_insert_only_accounts_keep_a_zero_balance_column(company):
    revenue = Account.objects.create(kind="revenue", company=company)

    assert refused(lambda: Account.objects.filter(pk=revenue.pk).update(balance=5))


def test_accounts_belong_to_the_owner_their_kind_needs(passenger, company):
    assert refused(lambda: Account.objects.create(kind="wallet", company=company))
    assert refused(lambda: Account.objects.create(kind="revenue", user=passenger))
    assert refused(lambda: Account.objects.create(kind="commission", user=passenger))


def test_one_wallet_per_user_and_one_platform_account_per_currency(passenger):
    Account.objects.create(kind="wallet", user=passenger)
    Account.objects.create(kind="commission")

    assert refused(lambda: Account.objects.create(kind="wallet", user=passenger))
    assert refused(lambda: Account.objects.create(kind="commission"))
    assert not refused(lambda: Account.objects.create(kind="commission", currency="USD"))


def test_entries_are_never_zero(passenger):
    wallet = Account.objects.create(kind="wallet", user=passenger)
    txn = Transaction.objects.create(kind="topup", reference_type="payment", reference_id="x")

    assert refused(lambda: Entry.objects.create(transaction=txn, account=wallet, amount=0))


def test_webhook_event_ids_are_unique_per_provider():
    WebhookEvent.objects.create(
        provider="sandbox", event_id="evt_1", event_type="t", payload={}, outcome="applied"
    )

    assert refused(
        lambda: WebhookEvent.objects.create(
            provider="sandbox", event_id="evt_1", event_type="t", payload={}, outcome="applied"
        )
    )
    assert not refused(
        lambda: WebhookEvent.objects.create(
            provider="mobilemoney", event_id="evt_1", event_type="t", payload={}, outcome="applied"
        )
    )


def test_idempotency_keys_are_unique_per_user_and_scope(passenger):
    expires = timezone.now() + timedelta(hours=24)

    def record(user, scope):
        return lambda: IdempotencyRecord.objects.create(
            user=user, scope=scope, key="k", fingerprint="f", expires_at=expires
        )

    record(passenger, "wallet.topup")()

    assert refused(record(passenger, "wallet.topup"))
    assert not refused(record(passenger, "bookings.create"))
    assert not refused(record(PassengerFactory(), "wallet.topup"))


def test_an_idempotency_record_moves_money_at_most_once(passenger):
    record = IdempotencyRecord.objects.create(
        user=passenger, scope="s", key="k", fingerprint="f", expires_at=timezone.now()
    )
    Transaction.objects.create(
        kind="booking_charge", reference_type="pnr", reference_id="1", idempotency_record=record
    )

    assert refused(
        lambda: Transaction.objects.create(
            kind="booking_charge", reference_type="pnr", reference_id="2", idempotency_record=record
        )
    )


def test_revenue_is_per_company(company):
    Account.objects.create(kind="revenue", company=company)

    assert not refused(lambda: Account.objects.create(kind="revenue", company=CompanyFactory()))
    assert refused(lambda: Account.objects.create(kind="revenue", company=company))
