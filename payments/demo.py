"""Demo data: the demo passenger's wallet, funded through a completed sandbox top-up."""

from ttms import money
from ttms.accounts.models import User

from .exceptions import ProviderUnavailable
from .ledger.selectors import wallet_for_user
from .models import Payment
from .topups.providers.sandbox import SandboxProvider
from .topups.services import wallet_topup_start
from .topups.webhooks import sandbox_payment_complete

DEMO_PASSENGER = "passenger@example.com"
DEMO_TOPUP = 500_000  # ₹5,000.00 in paise


def demo_load() -> list[str]:
    """Fund the demo passenger's wallet once (a second run finds the top-up)."""
    user = User.objects.filter(email=DEMO_PASSENGER).first()
    if user is None:
        return [f"wallet: {DEMO_PASSENGER} does not exist, nothing funded"]
    if Payment.objects.filter(
        user=user, provider=SandboxProvider.name, status=Payment.Status.SUCCEEDED
    ).exists():
        wallet = wallet_for_user(user=user)
        balance = wallet.balance if wallet else 0
        return [f"wallet of {DEMO_PASSENGER}: exists ({money.format_money(balance)})"]
    try:
        payment = wallet_topup_start(user=user, amount=DEMO_TOPUP, provider=SandboxProvider.name)
        sandbox_payment_complete(payment=payment, approve=True)
    except ProviderUnavailable:
        return [
            "wallet: the sandbox provider is not enabled (TTMS_PAYMENT_PROVIDERS), nothing funded"
        ]
    return [
        f"wallet of {DEMO_PASSENGER}: funded with {money.format_money(DEMO_TOPUP)} "
        f"through a sandbox top-up"
    ]
