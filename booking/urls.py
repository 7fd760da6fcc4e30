"""Passenger pages of the booking app (included at the site root as namespace "booking")."""

from django.urls import path

from .views import assistant, book, cancellation, pnr_status, pnrs, pos, search, ticket_print, trip

app_name = "booking"

urlpatterns = [
    path("stations/suggest/", search.station_suggest, name="station-suggest"),
    path("trips/", search.trip_search, name="search"),
    path("assistant/", assistant.assistant, name="assistant"),
    path("trips/<int:pk>/", trip.trip, name="trip"),
    path("trips/<int:pk>/book/", book.book, name="book"),
    path("bookings/", pnrs.my_trips, name="my-trips"),
    path("bookings/<pnr:pnr>/", pnrs.pnr_detail, name="pnr"),
    path("bookings/<pnr:pnr>/passengers/", pnrs.pnr_passengers, name="pnr-passengers"),
    path("bookings/<pnr:pnr>/cancel/", cancellation.cancel, name="cancel"),
    path("bookings/<pnr:pnr>/ticket/", ticket_print.ticket, name="ticket"),
    path("pnr-status/", pnr_status.pnr_status_lookup, name="pnr-status"),
    path("pos/", pos.pos_home, name="pos"),
    path("pos/trips/<int:pk>/", pos.pos_trip, name="pos-trip"),
    path("pos/change/", pos.pos_change, name="pos-change"),
    path("pos/sales/<pnr:pnr>/", pos.pos_sale, name="pos-sale"),
    path("pos/sales/<pnr:pnr>/cancel/", pos.pos_sale_cancel, name="pos-sale-cancel"),
]
