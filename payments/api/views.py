"""The wallet and payments API: thin views over services and selectors."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from ttms import money
from ttms.api.schema import error_response

from ..idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from ..ledger.selectors import wallet_entries_for_user, wallets_for_user
from ..models import Entry, Payment, Transaction
from ..topups.providers import PROVIDERS, enabled_provider_names
from ..topups.selectors import payment_get_for_user
from ..topups.services import wallet_topup_start
from ..topups.webhooks import sandbox_payment_complete, webhook_receive
from .filters import WalletEntryFilter

NextActionSerializer = inline_serializer(
    name="PaymentNextAction",
    fields={
        "type": serializers.ChoiceField(choices=["redirect", "approve_on_device"]),
        "url": serializers.URLField(required=False, help_text="Open it (type redirect)."),
        "message": serializers.CharField(required=False),
    },
    allow_null=True,
    help_text="Null once the payment is final, or when the provider asks nothing more.",
)


class PaymentOutputSerializer(serializers.ModelSerializer):
    next_action = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "status",
            "provider",
            "amount",
            "currency",
            "payer",
            "failure_reason",
            "created_at",
            "completed_at",
            "next_action",
        ]
        read_only_fields = fields

    @extend_schema_field(NextActionSerializer)
    def get_next_action(self, payment: Payment) -> dict | None:
        provider = PROVIDERS.get(payment.provider)
        if provider is None:
            return None
        return provider().next_action(payment, request=self.context.get("request"))


@extend_schema_serializer(component_name="WalletBalance")
class WalletBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="ISO 4217 code, e.g. INR or RWF.")
    balance = serializers.IntegerField(
        help_text="Minor units of the currency (paise for INR; RWF has none: whole francs)."
    )
    balance_display = serializers.CharField(help_text='For people, e.g. "RWF\u00a02,500".')


def _balance(currency: str, balance: int) -> dict:
    return {
        "currency": currency,
        "balance": balance,
        "balance_display": money.format_money(balance, currency),
    }


class WalletView(APIView):
    """The signed-in user's wallets, one per currency they have used (`wallets`, ordered by
    currency; the default currency's empty wallet before the first top-up). `currency`,
    `balance` and `balance_display` repeat the default currency's wallet, for older
    clients."""

    @extend_schema_serializer(component_name="Wallet")
    class OutputSerializer(WalletBalanceSerializer):
        wallets = WalletBalanceSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        wallets = [
            _balance(wallet.currency, wallet.balance)
            for wallet in wallets_for_user(user=request.user)
        ]
        default = money.default_currency()
        main = next(
            (wallet for wallet in wallets if wallet["currency"] == default), _balance(default, 0)
        )
        return Response(self.OutputSerializer({**main, "wallets": wallets or [main]}).data)


class WalletTransactionListView(generics.ListAPIView):
    """The wallets' history, newest first: one line per movement, signed from the wallet's
    side (positive: money in), each in its wallet's `currency`. Filter with `currency` (one
    wallet; an unknown code is a 400), `kind`, `direction`, `reference_type`,
    `reference_id`, `created_after`, `created_before`."""

    filterset_class = WalletEntryFilter

    @extend_schema_serializer(component_name="WalletTransaction")
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        transaction_id = serializers.IntegerField()
        kind = serializers.ChoiceField(source="transaction.kind", choices=Transaction.Kind.choices)
        amount = serializers.IntegerField(help_text="Minor units; positive is money in.")
        currency = serializers.CharField(source="account.currency")
        reference_type = serializers.CharField(source="transaction.reference_type")
        reference_id = serializers.CharField(source="transaction.reference_id")
        description = serializers.CharField(source="transaction.description")
        created_at = serializers.DateTimeField(source="transaction.created_at")

    serializer_class = OutputSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return Entry.objects.none()
        return wallet_entries_for_user(user=self.request.user)


class WalletTopUpView(APIView):
    """Start a wallet top-up through a payment provider.

    Answers the pending payment and its `next_action`: for the sandbox, a checkout page to
    open (`redirect`); for mobile money, a request to approve on the phone. The wallet is
    credited when the provider confirms; poll `wallet/topups/{id}/` for the outcome.
    """

    @extend_schema_serializer(component_name="WalletTopUpInput")
    class InputSerializer(serializers.Serializer):
        amount = serializers.IntegerField(
            min_value=1, help_text="Minor units of `currency` (paise for INR; whole RWF)."
        )
        currency = serializers.CharField(
            max_length=3,
            required=False,
            help_text="ISO 4217 code of a currency an operator sells (default: the "
            "deployment's, TTMS_CURRENCY); the wallet in it is credited.",
        )
        provider = serializers.CharField(max_length=32, default="sandbox")
        payer = serializers.CharField(
            max_length=32,
            required=False,
            allow_blank=True,
            default="",
            help_text="Mobile money: the phone number.",
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=InputSerializer,
        responses={
            201: PaymentOutputSerializer,
            400: error_response(
                "Invalid amount, currency (unknown_currency, currency_not_sold), provider or "
                "payer; or no Idempotency-Key"
            ),
            409: error_response("A request with this Idempotency-Key is still running"),
            422: error_response("The Idempotency-Key was used for a different request"),
        },
    )
    @idempotent(scope="wallet.topup")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = wallet_topup_start(
            user=request.user, idempotency_record=self.idempotency_record, **data.validated_data
        )
        return Response(
            PaymentOutputSerializer(payment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class WalletTopUpDetailView(APIView):
    """One of the user's top-ups, to follow it to succeeded or failed."""

    @extend_schema(responses={200: PaymentOutputSerializer, 404: error_response("No such top-up")})
    def get(self, request, payment_id):
        payment = payment_get_for_user(payment_id=payment_id, user=request.user)
        return Response(PaymentOutputSerializer(payment, context={"request": request}).data)


class WebhookView(APIView):
    """A payment provider's callback. Signed with HMAC-SHA256 (`t=…,v1=…` in the provider's
    signature header); each event id is applied once, a redelivery answers 200 with
    `"duplicate": true`. A bad signature is refused with 401 and logged."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema_serializer(component_name="WebhookReceipt")
    class OutputSerializer(serializers.Serializer):
        event_id = serializers.CharField()
        outcome = serializers.CharField()
        duplicate = serializers.BooleanField()

    @extend_schema(
        request={"application/json": {"type": "object"}},
        parameters=[
            OpenApiParameter("provider", str, OpenApiParameter.PATH, enum=sorted(PROVIDERS))
        ],
        responses={
            200: OutputSerializer,
            400: error_response("Not an event of this provider"),
            401: error_response("Missing, stale or wrong signature"),
            404: error_response("Unknown provider"),
        },
    )
    def post(self, request, provider):
        if provider not in enabled_provider_names():
            raise NotFound(_("No such payment provider."))
        # The signature covers the exact bytes received: never the re-serialised JSON.
        event, created = webhook_receive(
            provider=provider, body=request.body, headers=request.headers
        )
        return Response(
            self.OutputSerializer(
                {"event_id": event.event_id, "outcome": event.outcome, "duplicate": not created}
            ).data
        )


class SandboxCompleteView(APIView):
    """Sandbox only: complete a pending sandbox payment as the provider would, by sending
    its signed webhook. Naturally idempotent: a completed payment answers 409."""

    @extend_schema_serializer(component_name="SandboxCompleteInput")
    class InputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=["approve", "decline"], default="approve")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: PaymentOutputSerializer,
            404: error_response("No such payment of yours"),
            409: error_response("Already completed"),
        },
    )
    def post(self, request, payment_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payment_get_for_user(payment_id=payment_id, user=request.user)
        payment = sandbox_payment_complete(
            payment=payment, approve=data.validated_data["outcome"] == "approve"
        )
        return Response(PaymentOutputSerializer(payment, context={"request": request}).data)
