from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ttms.accounts"
    label = "accounts"
    verbose_name = "Accounts"
