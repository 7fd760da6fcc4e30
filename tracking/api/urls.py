from django.urls import path

from . import views

urlpatterns = [
    path(
        "driver/trips/<int:pk>/positions/",
        views.DriverTripPositionsView.as_view(),
        name="driver-trip-positions",
    ),
    path("trips/<int:pk>/position/", views.TripPositionView.as_view(), name="trip-position"),
]
