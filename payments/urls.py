"""Pages of the payments app (included at the site root as namespace "payments")."""

from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/topup/", views.wallet_topup, name="wallet-topup"),
    path("wallet/topups/<uuid:payment_id>/dismiss/", views.topup_dismiss, name="topup-dismiss"),
]
