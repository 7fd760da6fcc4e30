"""The mobile-money payer's phone is taken as people write it (ttms.accounts.phones) and
sent to the provider as an MSISDN: E.164 digits without the +."""

import pytest

from payments.exceptions import InvalidPayer
from payments.models import Payment
from payments.topups.services import wallet_topup_start

pytestmark = pytest.mark.django_db

INVALID = "Enter a valid phone number, e.g. +91 81234 56789 (a number in India may leave out +91)."


@pytest.mark.parametrize(
    ("typed", "msisdn"),
    [
        ("+91 98765 43210", "919876543210"),
        ("98765 43210", "919876543210"),
        ("098765-43210", "919876543210"),
        ("+250 788 123 456", "250788123456"),
    ],
)
def test_a_payer_phone_is_taken_as_people_write_it(passenger, typed, msisdn):
    payment = wallet_topup_start(user=passenger, amount=10_000, provider="mobilemoney", payer=typed)

    assert Payment.objects.get(pk=payment.pk).payer == msisdn


@pytest.mark.parametrize("typed", ["12", "98765", "+91 12345", "not a phone", ""])
def test_a_payer_that_is_no_phone_number_is_refused_and_nothing_is_written(passenger, typed):
    with pytest.raises(InvalidPayer) as exc:
        wallet_topup_start(user=passenger, amount=10_000, provider="mobilemoney", payer=typed)

    assert (exc.value.message, exc.value.fields) == (INVALID, {"payer": [INVALID]})
    assert not Payment.objects.exists()
