from django.apps import AppConfig
from django.urls import register_converter


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Booking"

    def ready(self) -> None:
        from fleet.sales import sales_register

        from .converters import PnrConverter
        from .sales.selectors.journeys import trip_seats_on_sale, trip_seats_sold

        # Once, here: both the pages' and the API's addresses use it.
        register_converter(PnrConverter, "pnr")
        # Fleet refuses to cancel a trip or change its vehicle on its own once seats are
        # on sale or sold; it learns which from here, explicitly, as it imports no booking.
        sales_register(on_sale=trip_seats_on_sale, sold=trip_seats_sold)
