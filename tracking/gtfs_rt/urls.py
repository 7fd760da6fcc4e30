from django.urls import path

from .views import TripUpdatesView, VehiclePositionsView

urlpatterns = [
    path("vehicle-positions.pb", VehiclePositionsView.as_view(), name="gtfs-rt-vehicle-positions"),
    path("trip-updates.pb", TripUpdatesView.as_view(), name="gtfs-rt-trip-updates"),
]
