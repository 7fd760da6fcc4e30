"""The offline sync of station agents' POS devices: `POST /api/v1/pos/sync/` uploads a
signed, hash-chained batch of the sales a device made offline (docs/pos.md, "Offline
sync"). The view validates the envelope, calls `pos_sync`, serializes the answer."""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from fleet.models import CompanyMembership
from ttms import money
from ttms.accounts.models import Role
from ttms.api.errors import error_body
from ttms.api.schema import error_response

from ..boarding.services.issue import tickets_issue
from ..models import SyncRecord
from ..pos.services.sync import MAX_RECORDS, pos_sync
from .serializers import PassengerOutputSerializer


class IsStationAgent(permissions.BasePermission):
    message = _("Only station agents use the point of sale.")

    def has_permission(self, request, view):
        user = request.user
        return bool(
            user.is_authenticated
            and user.role == Role.AGENT
            and CompanyMembership.objects.filter(user=user, role=Role.AGENT).exists()
        )


@extend_schema_serializer(component_name="PosSyncSale")
class SyncSaleSerializer(serializers.ModelSerializer):
    """One record's answer: booked (PNR, seats, signed tickets), waitlisted (PNR, paid),
    or refused with the cash to give back and why."""

    result = serializers.CharField(
        help_text="booked, waitlisted (the PNR holds the cash) or refused (give it back)."
    )
    pnr = serializers.SerializerMethodField()
    passengers = serializers.SerializerMethodField()
    tickets = serializers.SerializerMethodField(
        help_text="Each seated passenger's signed ticket: `token` is the QR's text."
    )
    cash_to_return_text = serializers.SerializerMethodField()
    replayed = serializers.SerializerMethodField(
        help_text="True when the server held this record already (answered as before)."
    )

    class Meta:
        model = SyncRecord
        fields = [
            "seq",
            "client_uuid",
            "result",
            "pnr",
            "passengers",
            "tickets",
            "cash_to_return",
            "cash_to_return_text",
            "reason",
            "replayed",
        ]
        read_only_fields = fields

    def get_pnr(self, record) -> str | None:
        return record.pnr.number if record.pnr_id else None

    @extend_schema_field(PassengerOutputSerializer(many=True))
    def get_passengers(self, record) -> list[dict]:
        if not record.pnr_id:
            return []
        return PassengerOutputSerializer(self._passengers(record), many=True).data

    @staticmethod
    def _passengers(record):
        return list(record.pnr.passengers.select_related("seat__coach").order_by("index"))

    @extend_schema_field(
        inline_serializer(
            "PosSyncTicket",
            {
                "passenger": serializers.IntegerField(),
                "token": serializers.CharField(),
                "kid": serializers.CharField(),
            },
            many=True,
        )
    )
    def get_tickets(self, record) -> list[dict]:
        if not record.pnr_id:
            return []
        return [
            {"passenger": t.passenger.pk, "token": t.token, "kid": t.kid}
            for t in tickets_issue(record.pnr, self._passengers(record))
        ]

    def get_cash_to_return_text(self, record) -> str:
        sale = record.record.get("sale") or {}
        currency = sale.get("currency") if isinstance(sale.get("currency"), str) else ""
        return money.format_money(record.cash_to_return, currency)

    def get_replayed(self, record) -> bool:
        return record.seq not in self.context["new"]


class PosSyncView(APIView):
    """Upload a batch of the device's offline records (the device's agent only). Either the
    whole batch is refused (409, `error.reason` and `error.first_bad_seq` name the first
    bad record; an audit case is opened; nothing is booked), or each record is answered in
    order. A batch sent again books nothing twice: the records the server holds are
    answered as they were."""

    permission_classes = [permissions.IsAuthenticated, IsStationAgent]
    throttle_scope = "booking"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema_serializer(component_name="PosSyncRequest")
    class InputSerializer(serializers.Serializer):
        device_id = serializers.CharField(max_length=64)
        records = serializers.ListField(
            child=serializers.JSONField(),
            allow_empty=False,
            max_length=MAX_RECORDS,
            help_text="The device's records in seq order, as docs/pos.md specifies them.",
        )
        signature = serializers.CharField(
            max_length=200, help_text="Base64 of the Ed25519 signature of the batch."
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            200: inline_serializer(
                "PosSyncAnswer",
                {
                    "device_id": serializers.CharField(),
                    "last_seq": serializers.IntegerField(),
                    "sales": SyncSaleSerializer(many=True),
                },
            ),
            400: error_response("Invalid request"),
            403: error_response("Not a station agent, or not this agent's device"),
            409: error_response("The batch is refused whole: reason and first bad record"),
            503: error_response("Busy: send the batch again"),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        answer = pos_sync(
            device_id=values["device_id"],
            records=values["records"],
            signature=values["signature"],
            agent=request.user,
        )
        if not answer.ok:
            return Response(
                error_body(
                    "batch_refused",
                    gettext("The batch is refused and nothing in it was booked: {why}").format(
                        why=answer.message
                    ),
                    reason=answer.reason,
                    first_bad_seq=answer.first_bad_seq,
                    case=answer.case.pk if answer.case else None,
                ),
                status=status.HTTP_409_CONFLICT,
            )
        sales = SyncSaleSerializer(answer.records, many=True, context={"new": answer.new}).data
        return Response(
            {
                "device_id": answer.device.device_id,
                "last_seq": answer.device.last_seq,
                "sales": sales,
            }
        )
