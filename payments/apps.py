from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from ttms.startup import warn_sandbox_in_production

        # Here, not in wsgi/asgi: Celery workers and management commands start through it too.
        warn_sandbox_in_production()
