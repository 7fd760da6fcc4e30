"""Payment providers, by name. A provider is usable when its name is in
`settings.TTMS_PAYMENT_PROVIDERS` (its secrets are then required by the settings)."""

from django.conf import settings
from django.utils.translation import gettext as _

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
            _("The payment provider %(name)s is not available here.") % {"name": repr(name)},
            fields={
                "provider": [
                    _("Choose one of: %(names)s.") % {"names": ", ".join(enabled_provider_names())}
                ]
            },
        )
    return PROVIDERS[name]()
