"""The back office's addresses under /admin/ (the project URLconf puts them before the
admin site's own, so /admin/ itself is the dashboard)."""

from django.contrib import admin
from django.urls import path

from . import views

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard_index), name="admin-dashboard"),
    path("models/", admin.site.admin_view(views.models_index), name="admin-models"),
    path(
        "dashboard/operator/",
        admin.site.admin_view(views.operator_dashboard),
        name="admin-dashboard-operator",
    ),
    path(
        "dashboard/platform/",
        admin.site.admin_view(views.platform_dashboard),
        name="admin-dashboard-platform",
    ),
    path("analyst/", admin.site.admin_view(views.analyst), name="admin-analyst"),
    path("sql/", admin.site.admin_view(views.sql_page), name="admin-sql"),
]
