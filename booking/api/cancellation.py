"""Cancelling passengers of a PNR: the refund quote, and the cancellation itself."""

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from payments.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from ttms.api.schema import error_response

from .. import rules
from ..lifecycle.selectors import refund_quote
from ..lifecycle.services.cancellation import booking_cancel
from ..models import (
    Cancellation,
    Pnr,
)
from ..sales.selectors.pnrs import pnr_get_for_user
from .serializers import PnrOutputSerializer


@extend_schema_serializer(component_name="RefundLine")
class RefundLineSerializer(serializers.Serializer):
    passenger = serializers.IntegerField(source="passenger.pk", help_text="Passenger id.")
    index = serializers.IntegerField(source="passenger.index")
    name = serializers.CharField(source="passenger.name")
    status = serializers.CharField(
        source="passenger.status", help_text="The status the quote is for."
    )
    fare = serializers.IntegerField(source="quote.fare", help_text="Minor units.")
    charge = serializers.IntegerField(source="quote.charge", help_text="Minor units kept.")
    refund = serializers.IntegerField(source="quote.refund", help_text="Minor units paid back.")
    rule = serializers.CharField(source="quote.rule", help_text="The rule that applied.")


@extend_schema_serializer(component_name="RefundQuote")
class RefundQuoteSerializer(serializers.Serializer):
    pnr = serializers.CharField(source="pnr.number")
    policy = serializers.CharField()
    charted = serializers.BooleanField(
        help_text="The chart is prepared: only the whole PNR can be cancelled."
    )
    minutes_before_departure = serializers.IntegerField(
        help_text="From now to the departure from the boarding stop."
    )
    fare = serializers.IntegerField()
    charge = serializers.IntegerField()
    refund = serializers.IntegerField()
    currency = serializers.CharField(source="pnr.currency")
    passengers = RefundLineSerializer(source="lines", many=True)


@extend_schema_serializer(component_name="Cancellation")
class CancellationSerializer(serializers.ModelSerializer):
    pnr = serializers.CharField(source="pnr.number")
    currency = serializers.CharField(source="pnr.currency")
    passengers = serializers.ListField(
        source="lines",
        child=inline_serializer(
            "CancellationLine",
            {
                "passenger": serializers.IntegerField(),
                "index": serializers.IntegerField(),
                "name": serializers.CharField(),
                "status": serializers.CharField(),
                "fare": serializers.IntegerField(),
                "charge": serializers.IntegerField(),
                "refund": serializers.IntegerField(),
                "rule": serializers.CharField(),
            },
        ),
    )
    booking = serializers.SerializerMethodField()

    class Meta:
        model = Cancellation
        fields = [
            "id",
            "pnr",
            "cause",
            "created_at",
            "policy",
            "minutes_before_departure",
            "charted",
            "fare",
            "charge",
            "refund",
            "currency",
            "passengers",
            "booking",
        ]
        read_only_fields = fields

    @extend_schema_field(PnrOutputSerializer)
    def get_booking(self, cancellation: Cancellation) -> dict:
        return PnrOutputSerializer(self.context["pnr"]).data


def _own_pnr(request, number: str) -> Pnr:
    try:
        return pnr_get_for_user(request.user, number)
    except Pnr.DoesNotExist:
        raise NotFound(gettext("You have no PNR with this number.")) from None


class PassengerIdsSerializer(serializers.Serializer):
    passengers = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_empty=False,
        max_length=rules.MAX_PASSENGERS,
        help_text="Passenger ids to cancel; leave out to cancel every active passenger.",
    )


class RefundQuoteView(APIView):
    """What cancelling now would refund, per passenger: fare, charge, refund and the rule
    that applied. `?passengers=1,2` quotes some passengers (ids); without it, all active
    ones."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "passengers",
                OpenApiTypes.STR,
                required=False,
                description="Comma-separated passenger ids.",
            )
        ],
        responses={
            200: RefundQuoteSerializer,
            400: error_response("Not passengers of this PNR"),
            404: error_response("No such PNR"),
            409: error_response("Cannot be cancelled now"),
        },
    )
    def get(self, request, pnr: str):
        found = _own_pnr(request, pnr)
        ids = None
        if raw := request.query_params.get("passengers"):
            data = PassengerIdsSerializer(data={"passengers": raw.split(",")})
            data.is_valid(raise_exception=True)
            ids = data.validated_data["passengers"]
        plan = refund_quote(pnr=found, passenger_ids=ids)
        return Response(RefundQuoteSerializer(plan).data)


class CancelView(APIView):
    """Cancel some passengers of a PNR (`passengers`: ids) or all of it, refunded to the
    wallet by the company's policy (see refund-quote first). Partial cancellation only
    before the chart is prepared. A retry with the same Idempotency-Key replays the
    answer; the refund is paid once."""

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=PassengerIdsSerializer,
        responses={
            200: CancellationSerializer,
            400: error_response("Invalid request"),
            404: error_response("No such PNR"),
            409: error_response("Already cancelled, or not allowed now"),
            503: error_response("Busy: retry with the same key"),
        },
    )
    @idempotent(scope="booking.cancel")
    def post(self, request, pnr: str):
        found = _own_pnr(request, pnr)
        data = PassengerIdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cancellation = booking_cancel(
            pnr=found,
            by=request.user,
            passenger_ids=data.validated_data.get("passengers"),
            idempotency_record=self.idempotency_record,
        )
        fresh = pnr_get_for_user(request.user, pnr)
        return Response(CancellationSerializer(cancellation, context={"pnr": fresh}).data)
