"""A top-up's payer told when it settles: credited, declined or expired, once per outcome,
in the transaction that settles it; nobody told of a top-up they dismissed themselves or of
an event that changed nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from payments.exceptions import PaymentNotPending
from payments.models import Payment
from payments.topups.services import payment_dismiss, payments_pending_expire
from payments.topups.webhooks import sandbox_payment_complete
from ttms.notifications.models import OutboxMessage

from .factories import PaymentFactory

pytestmark = pytest.mark.django_db


def told() -> list[tuple]:
    return list(
        OutboxMessage.objects.order_by("pk").values_list(
            "topic", "user_id", "dedupe_key", "payload"
        )
    )


def test_a_credited_top_up_is_told_once(passenger):
    payment = PaymentFactory(user=passenger, provider="sandbox", amount=50_000, currency="INR")

    sandbox_payment_complete(payment=payment, approve=True)
    with pytest.raises(PaymentNotPending):
        sandbox_payment_complete(payment=payment, approve=True)

    assert told() == [
        (
            "topup.credited",
            passenger.pk,
            f"topup.credited:{payment.pk}",
            {"amount": 50_000, "currency": "INR", "reference": str(payment.pk)},
        )
    ]


def test_a_declined_top_up_is_told_with_the_reason(passenger):
    payment = PaymentFactory(user=passenger, provider="sandbox", amount=20_000, currency="INR")

    sandbox_payment_complete(payment=payment, approve=False)

    payment.refresh_from_db()
    assert told() == [
        (
            "topup.failed",
            passenger.pk,
            f"topup.failed:{payment.pk}",
            {
                "amount": 20_000,
                "currency": "INR",
                "reference": str(payment.pk),
                "reason": payment.failure_reason,
                "code": "declined",
            },
        )
    ]
    assert payment.failure_reason


def test_an_expired_top_up_is_told_and_a_dismissed_one_is_not(passenger):
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        old = PaymentFactory(user=passenger, provider="sandbox")
    dismissed = PaymentFactory(user=passenger, provider="sandbox")

    payment_dismiss(user=passenger, payment_id=dismissed.pk)
    assert payments_pending_expire() == 1
    assert payments_pending_expire() == 0

    assert [(t, k, p["code"]) for t, _, k, p in told()] == [
        ("topup.failed", f"topup.failed:{old.pk}", "expired")
    ]
    assert Payment.objects.get(pk=dismissed.pk).failure_code == "dismissed"
