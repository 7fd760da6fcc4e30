from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "ttms.notifications"
    label = "notifications"
    verbose_name = "Notifications"
