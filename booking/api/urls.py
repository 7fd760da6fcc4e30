from django.urls import path

from . import views

urlpatterns = [
    # Trip search lives here: it is the fleet's search plus the booking app's availability.
    path("trips/search/", views.TripSearchWithAvailabilityView.as_view(), name="trip-search"),
    path("trips/<int:pk>/seats/", views.SeatMapView.as_view(), name="trip-seats"),
    path("bookings/", views.BookingListCreateView.as_view(), name="booking-list"),
    path("bookings/<str:pnr>/", views.BookingDetailView.as_view(), name="booking-detail"),
]
