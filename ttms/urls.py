from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from booking.views.home import home
from ttms import views
from ttms.accounts.views import language_set
from ttms.health import healthz

api_v1 = [
    path("auth/", include("ttms.accounts.api.urls")),
    path("", include("fleet.api.urls")),
    path("", include("booking.api.urls")),
    path("", include("payments.api.urls")),
    path("", include("tracking.api.urls")),
    path("notifications/", include("ttms.notifications.api.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("ttms.accounts.urls")),
    path("notifications/", include("ttms.notifications.urls")),
    # Django's set_language, which also saves a signed-in user's choice.
    path("i18n/setlang/", language_set, name="set_language"),
    path("", include("fleet.urls")),
    path("", include("payments.urls")),
    path("", include("booking.urls")),
    path("", include("tracking.urls")),
    path("gtfs-rt/", include("tracking.gtfs_rt.urls")),
    # The dashboards: /admin/ itself is one (before the admin site's own index).
    path("admin/", include("ttms.backoffice.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Its script from a URL of its own, not inline: the pages' CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", views.favicon),
]

admin.site.site_header = _("TTMS administration")
admin.site.site_title = "TTMS"

handler400 = views.bad_request
handler404 = views.page_not_found
handler500 = views.server_error
