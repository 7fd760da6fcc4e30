"""A test-only money-moving endpoint: booking_charge behind @idempotent, as the booking app
will use it."""

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from fleet.models import Company

from ..idempotency import idempotent
from ..ledger.sales import booking_charge


class ChargeView(APIView):
    class InputSerializer(serializers.Serializer):
        company = serializers.IntegerField()
        amount = serializers.IntegerField()
        reference = serializers.CharField()

    @idempotent(scope="test.charge")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        txn = booking_charge(
            wallet_owner=request.user,
            company=Company.objects.get(pk=data.validated_data["company"]),
            amount=data.validated_data["amount"],
            reference_type="test",
            reference_id=data.validated_data["reference"],
            idempotency_record=self.idempotency_record,
        )
        return Response(
            {"transaction": txn.pk, "amount": data.validated_data["amount"]},
            status=status.HTTP_201_CREATED,
        )
