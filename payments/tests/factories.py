import uuid

import factory

from fleet.models import Company
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

from ..models import Payment
from ..topups.providers.base import SUCCEEDED, ProviderEvent
from ..topups.webhooks import provider_event_apply


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Operator {n}")
    slug = factory.Sequence(lambda n: f"operator-{n}")
    kind = Company.Kind.BUS
    commission_bp = 500


class PassengerFactory(UserFactory):
    role = Role.PASSENGER


class AgentFactory(UserFactory):
    role = Role.AGENT


class PaymentFactory(factory.django.DjangoModelFactory):
    """A pending sandbox top-up."""

    class Meta:
        model = Payment

    user = factory.SubFactory(PassengerFactory)
    provider = "sandbox"
    amount = 10_000
    currency = "INR"


def fund_wallet(user, amount: int, currency: str = "INR") -> Payment:
    """Credit `user`'s wallet in `currency` through a succeeded sandbox payment (the real
    service path, minus the signature, which webhook tests cover)."""
    payment = PaymentFactory(user=user, amount=amount, currency=currency)
    provider_event_apply(
        provider="sandbox",
        event=ProviderEvent(
            event_id=f"evt_{uuid.uuid4().hex}",
            event_type="payment.succeeded",
            status=SUCCEEDED,
            payment_id=str(payment.pk),
            amount=amount,
            currency=payment.currency,
        ),
    )
    payment.refresh_from_db()
    return payment
