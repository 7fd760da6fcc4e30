from django.apps import AppConfig
from django.urls import register_converter


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Booking"

    def ready(self) -> None:
        from .converters import PnrConverter

        # Once, here: both the pages' and the API's addresses use it.
        register_converter(PnrConverter, "pnr")
