"""Demo data: the demo passenger's wallets (rupees and Rwandan francs), each funded through
a completed sandbox top-up."""

from ttms import money
from ttms.accounts.models import User

from .exceptions import CurrencyNotSold, ProviderUnavailable
from .ledger.selectors import wallet_for_user
from .models import Payment
from .topups.providers.sandbox import SandboxProvider
from .topups.services import wallet_topup_start
from .topups.webhooks import sandbox_payment_complete

DEMO_PASSENGER = "passenger@example.com"
# ₹5,000.00 in paise, and RWF 50,000 (francs have no minor unit): one wallet per currency
# the demo's operators sell.
DEMO_TOPUPS = (("INR", 500_000), ("RWF", 50_000))


def _wallet_fund(user: User, currency: str, amount: int) -> str:
    if Payment.objects.filter(
        user=user,
        provider=SandboxProvider.name,
        currency=currency,
        status=Payment.Status.SUCCEEDED,
    ).exists():
        wallet = wallet_for_user(user=user, currency=currency)
        balance = wallet.balance if wallet else 0
        return (
            f"{currency} wallet of {DEMO_PASSENGER}: exists "
            f"({money.format_money(balance, currency)})"
        )
    try:
        payment = wallet_topup_start(
            user=user, amount=amount, currency=currency, provider=SandboxProvider.name
        )
    except CurrencyNotSold:
        return f"{currency} wallet: no active operator sells in {currency}, nothing funded"
    sandbox_payment_complete(payment=payment, approve=True)
    return (
        f"{currency} wallet of {DEMO_PASSENGER}: funded with "
        f"{money.format_money(amount, currency)} through a sandbox top-up"
    )


def demo_load() -> list[str]:
    """Fund each of the demo passenger's wallets once (a second run finds the top-ups)."""
    user = User.objects.filter(email=DEMO_PASSENGER).first()
    if user is None:
        return [f"wallet: {DEMO_PASSENGER} does not exist, nothing funded"]
    try:
        return [_wallet_fund(user, currency, amount) for currency, amount in DEMO_TOPUPS]
    except ProviderUnavailable:
        return [
            "wallet: the sandbox provider is not enabled (TTMS_PAYMENT_PROVIDERS), nothing funded"
        ]
