from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from ttms.startup import warn_sandbox_in_production

        # Here, not in wsgi/asgi: Celery workers and management commands start through it too.
        warn_sandbox_in_production()
