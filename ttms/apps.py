from django.apps import AppConfig


class TtmsConfig(AppConfig):
    name = "ttms"
    verbose_name = "TTMS"
