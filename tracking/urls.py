"""Pages of live tracking (included at the site root as namespace "tracking")."""

from django.urls import path

from . import views

app_name = "tracking"

urlpatterns = [
    path("trips/<int:pk>/status/", views.trip_status, name="trip-status"),
    path("bookings/<pnr:pnr>/live/", views.pnr_live, name="pnr-live"),
    path("driver/", views.driver_home, name="driver"),
    path(
        "driver/trips/<int:pk>/<slug:action>/",
        views.driver_trip_action,
        name="driver-trip-action",
    ),
]
