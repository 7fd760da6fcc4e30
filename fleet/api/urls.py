from django.urls import path

from . import views

urlpatterns = [
    path("stations/", views.StationLookupView.as_view(), name="station-lookup"),
    path("operator/trips/", views.OperatorTripListView.as_view(), name="operator-trip-list"),
    path(
        "operator/trips/<int:pk>/",
        views.OperatorTripDetailView.as_view(),
        name="operator-trip-detail",
    ),
    path(
        "operator/trips/<int:pk>/status/",
        views.OperatorTripStatusView.as_view(),
        name="operator-trip-status",
    ),
    path(
        "operator/trips/<int:pk>/vehicle/",
        views.OperatorTripVehicleView.as_view(),
        name="operator-trip-vehicle",
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
