from django.contrib import admin
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ttms import views
from ttms.api import errors
from ttms.health import healthz

api_v1 = [
    path("auth/", include("ttms.accounts.api.urls")),
    path("", include("fleet.api.urls")),
    path("", include("booking.api.urls")),
    path("", include("payments.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("ttms.accounts.urls")),
    path("", include("payments.urls")),
    path("", include("booking.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
]

admin.site.site_header = "TTMS administration"
admin.site.site_title = "TTMS"


def handler400(request, exception):
    if request.path.startswith("/api/"):
        return errors.json_bad_request(request, exception)
    return defaults.bad_request(request, exception)


def handler404(request, exception):
    if request.path.startswith("/api/"):
        return errors.json_not_found(request, exception)
    return defaults.page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return errors.json_server_error(request)
    return defaults.server_error(request)

