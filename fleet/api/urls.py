from django.urls import path

from . import views

# A trip's status and vehicle changes carry its bookings along: booking.api serves them.
urlpatterns = [
    path("stations/", views.StationLookupView.as_view(), name="station-lookup"),
    path("operator/trips/", views.OperatorTripListView.as_view(), name="operator-trip-list"),
    path(
        "operator/trips/<int:pk>/",
        views.OperatorTripDetailView.as_view(),
        name="operator-trip-detail",
    ),
    path(
        "operator/vehicles/", views.OperatorVehicleListView.as_view(), name="operator-vehicle-list"
    ),
    path(
        "operator/vehicles/<int:pk>/",
        views.OperatorVehicleDetailView.as_view(),
        name="operator-vehicle-detail",
    ),
    path("operator/routes/", views.OperatorRouteListView.as_view(), name="operator-route-list"),
    path(
        "operator/routes/<int:pk>/",
        views.OperatorRouteDetailView.as_view(),
        name="operator-route-detail",
    ),
]
