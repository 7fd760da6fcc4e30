from django.urls import path

from . import views

urlpatterns = [
    path("", views.NotificationListView.as_view(), name="notifications-list"),
    path("read-all/", views.NotificationReadAllView.as_view(), name="notifications-read-all"),
    path("<int:message_id>/read/", views.NotificationReadView.as_view(), name="notifications-read"),
    path(
        "preferences/",
        views.NotificationPreferencesView.as_view(),
        name="notifications-preferences",
    ),
]
