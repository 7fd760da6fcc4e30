from django.urls import path

from .. import views as pages
from . import views

urlpatterns = [
    path("wallet/", views.WalletView.as_view(), name="payments-wallet"),
    path(
        "wallet/transactions/",
        views.WalletTransactionListView.as_view(),
        name="payments-wallet-transactions",
    ),
    path("wallet/topups/", views.WalletTopUpView.as_view(), name="payments-wallet-topups"),
    path(
        "wallet/topups/<uuid:payment_id>/",
        views.WalletTopUpDetailView.as_view(),
        name="payments-wallet-topup",
    ),
    path(
        "payments/webhooks/<slug:provider>/", views.WebhookView.as_view(), name="payments-webhook"
    ),
    path(
        "payments/sandbox/<uuid:payment_id>/complete/",
        views.SandboxCompleteView.as_view(),
        name="payments-sandbox-complete",
    ),
    # The sandbox provider's hosted checkout page (HTML): it stands in for an outside
    # provider's site, so it lives with the sandbox's API rather than among TTMS's pages.
    path(
        "payments/sandbox/<uuid:payment_id>/",
        pages.sandbox_checkout,
        name="payments-sandbox-checkout",
    ),
]
