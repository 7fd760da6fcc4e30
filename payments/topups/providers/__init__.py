"""Payment providers, by name. A provider is usable when its name is in
`settings.TTMS_PAYMENT_PROVIDERS` (its secrets are then required by the settings)."""

from django.conf import settings

from ...exceptions import ProviderUnavailable
from .base import PaymentProvider
from .mobilemoney import MobileMoneyProvider
from .sandbox import SandboxProvider

PROVIDERS: dict[str, type[PaymentProvider]] = {
    SandboxProvider.name: SandboxProvider,
    MobileMoneyProvider.name: MobileMoneyProvider,
}


def enabled_provider_names() -> list[str]:
    return [name for name in settings.TTMS_PAYMENT_PROVIDERS if name in PROVIDERS]


def get_provider(name: str) -> PaymentProvider:
    """The enabled provider called `name`; raises ProviderUnavailable otherwise."""
    if name not in enabled_provider_names():
        raise ProviderUnavailable(
            f"The payment provider {name!r} is not available here.",
            fields={"provider": [f"Choose one of: {', '.join(enabled_provider_names())}."]},
        )
    return PROVIDERS[name]()
