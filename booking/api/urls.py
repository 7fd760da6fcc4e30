from django.urls import path

from . import views

urlpatterns = [
    # Trip search lives here: the fleet's timetable search plus this app's availability.
    path("trips/search/", views.TripSearchView.as_view(), name="trip-search"),
    path("trips/<int:pk>/seats/", views.SeatMapView.as_view(), name="trip-seats"),
    path("bookings/", views.BookingListCreateView.as_view(), name="booking-list"),
    path("bookings/<str:pnr>/", views.BookingDetailView.as_view(), name="booking-detail"),
    path("bookings/<str:pnr>/refund-quote/", views.RefundQuoteView.as_view(),
         name="booking-refund-quote"),
    path("bookings/<str:pnr>/cancel/", views.CancelView.as_view(), name="booking-cancel"),
]
