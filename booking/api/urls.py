from django.urls import path

from . import (
    assistant,
    bookings,
    cancellation,
    driver,
    operator,
    pos_shifts,
    search,
    seat_map,
    ticket_qr,
)
from .pos import PosCatalogView, PosSaleCancelView, PosSaleView
from .pos_sync import PosSyncView

urlpatterns = [
    path("pos/shifts/open/", pos_shifts.ShiftOpenView.as_view(), name="pos-shift-open"),
    path("pos/shifts/close/", pos_shifts.ShiftCloseView.as_view(), name="pos-shift-close"),
    path("pos/shifts/current/", pos_shifts.ShiftCurrentView.as_view(), name="pos-shift-current"),
    path("pos/sales/", PosSaleView.as_view(), name="pos-sale-create"),
    path("pos/sales/<pnr:pnr>/cancel/", PosSaleCancelView.as_view(), name="pos-sale-cancel-api"),
    path("pos/catalog/", PosCatalogView.as_view(), name="pos-catalog"),
    path("pos/sync/", PosSyncView.as_view(), name="pos-sync"),
    # Trip search lives here: the fleet's timetable search plus this app's availability.
    path("trips/search/", search.TripSearchView.as_view(), name="trip-search"),
    path("assistant/search/", assistant.AssistantSearchView.as_view(), name="assistant-search"),
    path("trips/<int:pk>/seats/", seat_map.SeatMapView.as_view(), name="trip-seats"),
    path("bookings/", bookings.BookingListCreateView.as_view(), name="booking-list"),
    path("bookings/<pnr:pnr>/", bookings.BookingDetailView.as_view(), name="booking-detail"),
    path(
        "bookings/<pnr:pnr>/refund-quote/",
        cancellation.RefundQuoteView.as_view(),
        name="booking-refund-quote",
    ),
    path("bookings/<pnr:pnr>/cancel/", cancellation.CancelView.as_view(), name="booking-cancel"),
    path("bookings/<pnr:pnr>/tickets/", ticket_qr.TicketListView.as_view(), name="booking-tickets"),
    path(
        "bookings/<pnr:pnr>/tickets/<int:passenger>/qr.png",
        ticket_qr.TicketPngView.as_view(),
        name="ticket-qr-png",
    ),
    path(
        "bookings/<pnr:pnr>/tickets/<int:passenger>/qr.svg",
        ticket_qr.TicketSvgView.as_view(),
        name="ticket-qr-svg",
    ),
    path("tickets/keys/", ticket_qr.TicketKeysView.as_view(), name="ticket-keys"),
    path("driver/trips/", driver.DriverTripListView.as_view(), name="driver-trip-list"),
    path(
        "driver/trips/<int:pk>/boarding/",
        driver.DriverTripBoardingView.as_view(),
        name="driver-trip-boarding",
    ),
    path(
        "driver/trips/<int:pk>/start/",
        driver.DriverTripStartView.as_view(),
        name="driver-trip-start",
    ),
    path(
        "driver/trips/<int:pk>/complete/",
        driver.DriverTripCompleteView.as_view(),
        name="driver-trip-complete",
    ),
    path(
        "driver/trips/<int:pk>/manifest/",
        driver.ManifestView.as_view(),
        name="driver-trip-manifest",
    ),
    path("driver/trips/<int:pk>/scans/", driver.ScanUploadView.as_view(), name="driver-trip-scans"),
    path("driver/scan/", driver.ScanView.as_view(), name="driver-scan"),
    # The operator API's trip changes that carry bookings along (the rest is fleet.api's).
    path(
        "operator/trips/<int:pk>/status/",
        operator.OperatorTripStatusView.as_view(),
        name="operator-trip-status",
    ),
    path(
        "operator/trips/<int:pk>/vehicle/",
        operator.OperatorTripVehicleView.as_view(),
        name="operator-trip-vehicle",
    ),
]
