"""The site's URLs plus a test-only idempotent charge endpoint."""

from django.urls import path

from ttms.urls import handler404, handler500  # noqa: F401
from ttms.urls import urlpatterns as site_urlpatterns

from . import views

urlpatterns = [
    path("api/v1/test/charge/", views.ChargeView.as_view(), name="test-charge"),
    *site_urlpatterns,
]
