import pytest

from payments.demo import demo_load
from payments.ledger.selectors import wallet_for_user
from payments.models import Payment
from payments.tasks import payments_poll_pending_task
from ttms.accounts.demo import demo_load as accounts_demo_load
from ttms.accounts.models import User
from ttms.celery import BEAT_SCHEDULE
from ttms.demo import LOADERS

from .factories import CompanyFactory

pytestmark = pytest.mark.django_db


def test_demo_funds_an_inr_and_an_rwf_wallet_once_through_the_sandbox():
    accounts_demo_load(password="a-demo-password-1")
    CompanyFactory(currency="INR")
    CompanyFactory(currency="RWF")

    first, second = demo_load(), demo_load()

    passenger = User.objects.get(email="passenger@example.com")
    assert first == [
        "INR wallet of passenger@example.com: funded with ₹5,000.00 through a sandbox top-up",
        "RWF wallet of passenger@example.com: funded with RWF\u00a050,000 through a sandbox top-up",
    ]
    assert second == [
        "INR wallet of passenger@example.com: exists (₹5,000.00)",
        "RWF wallet of passenger@example.com: exists (RWF\u00a050,000)",
    ]
    assert wallet_for_user(user=passenger, currency="INR").balance == 500_000
    assert wallet_for_user(user=passenger, currency="RWF").balance == 50_000
    assert [p.webhook_events.get().outcome for p in Payment.objects.all()] == ["applied"] * 2


def test_demo_funds_no_wallet_in_a_currency_no_operator_sells():
    accounts_demo_load(password="a-demo-password-1")
    CompanyFactory(currency="INR")

    lines = demo_load()

    passenger = User.objects.get(email="passenger@example.com")
    assert lines == [
        "INR wallet of passenger@example.com: funded with ₹5,000.00 through a sandbox top-up",
        "RWF wallet: no active operator sells in RWF, nothing funded",
    ]
    assert wallet_for_user(user=passenger, currency="RWF") is None
    assert list(Payment.objects.values_list("currency", flat=True)) == ["INR"]


def test_demo_without_the_demo_passenger_does_nothing():
    assert demo_load() == ["wallet: passenger@example.com does not exist, nothing funded"]
    assert not Payment.objects.exists()


def test_demo_loader_and_beat_entries_are_registered():
    assert LOADERS[-2:] == ["payments.demo.demo_load", "ttms.demo_history.demo_load"]
    assert (
        BEAT_SCHEDULE["payments-expire-idempotency-records"]["task"]
        == "payments.tasks.idempotency_expire_task"
    )


def test_poll_task_settles_pending_mobile_money_payments(fake_mobilemoney, passenger):
    from payments.topups.collection import payment_request_send
    from payments.topups.services import wallet_topup_start

    payment = wallet_topup_start(
        user=passenger, amount=5_000, provider="mobilemoney", payer="+919876543210"
    )
    payment_request_send(payment_id=payment.pk)
    fake_mobilemoney.approve(payment.provider_reference)

    payments_poll_pending_task()

    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert wallet_for_user(user=passenger).balance == 5_000


def test_abandoned_pending_payments_fail_after_a_day(passenger):
    import time_machine
    from django.utils import timezone

    from payments.topups.services import payments_pending_expire, wallet_topup_start

    with time_machine.travel(timezone.now() - timezone.timedelta(hours=25), tick=False):
        old = wallet_topup_start(user=passenger, amount=5_000, provider="sandbox")
    recent = wallet_topup_start(user=passenger, amount=5_000, provider="sandbox")

    expired = payments_pending_expire()

    old.refresh_from_db()
    recent.refresh_from_db()
    assert expired == 1
    assert (old.status, old.failure_reason) == ("failed", "Not completed in time.")
    assert recent.status == "pending"
