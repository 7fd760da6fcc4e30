"""PNRs: book a journey, list the user's PNRs, read one. Views validate, call one service
or selector, serialize."""

from django.utils.translation import gettext
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from payments.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from ttms.api.schema import error_response

from .. import rules
from ..models import (
    BOOKABLE_QUOTA_CHOICES,
    Pnr,
    Quota,
)
from ..sales.selectors.pnrs import new_pnr_positions, pnr_get_for_user, pnrs_for_user
from ..sales.services.create import booking_create
from .serializers import PassengerInputSerializer, PnrOutputSerializer, passengers_in


class BookingListCreateView(generics.GenericAPIView):
    """GET: the signed-in user's PNRs, newest first. POST: book a journey for 1 to 6
    passengers (Tatkal: 4), paid from the wallet; each passenger is confirmed, put on RAC
    or waitlisted, in order. A passenger may ask for a seat (`coach` and `seat`, from the
    seat map): it is given if still free for the booking, else they are seated as usual."""

    serializer_class = PnrOutputSerializer
    throttle_scope = "booking"

    def get_throttles(self):
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def get_queryset(self):
        return pnrs_for_user(self.request.user)

    @extend_schema_serializer(component_name="BookingRequest")
    class InputSerializer(serializers.Serializer):
        trip = serializers.IntegerField(min_value=1)
        vars()["from"] = serializers.CharField(
            max_length=64, source="origin", help_text="Boarding station code."
        )
        vars()["to"] = serializers.CharField(
            max_length=64, source="destination", help_text="Alighting station code."
        )
        vars()["class"] = serializers.CharField(
            max_length=12, source="class_code", help_text="Class code, e.g. SL."
        )
        quota = serializers.ChoiceField(choices=BOOKABLE_QUOTA_CHOICES, default=Quota.GENERAL)
        passengers = PassengerInputSerializer(
            many=True, allow_empty=False, max_length=rules.MAX_PASSENGERS
        )
        only_if_all_confirmed = serializers.BooleanField(
            default=False, help_text="Refuse unless every passenger is confirmed."
        )
        only_in_one_coach = serializers.BooleanField(
            default=False, help_text="Refuse unless every passenger is confirmed in one coach."
        )
        currency = serializers.RegexField(
            r"^[A-Z]{3}$",
            required=False,
            help_text=(
                "The currency the fare was shown in (the search's `currency`); refused with "
                "409 currency_mismatch when the operator sells in another. Optional."
            ),
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=InputSerializer,
        responses={
            201: PnrOutputSerializer,
            400: error_response("Invalid request"),
            409: error_response("Refused by a rule, or not enough money"),
            503: error_response("Busy: retry with the same key"),
        },
    )
    @idempotent(scope="booking.create")
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pnr = booking_create(
            user=request.user,
            trip_id=values["trip"],
            origin_code=values["origin"],
            destination_code=values["destination"],
            class_code=values["class_code"],
            quota=values["quota"],
            passengers=passengers_in(values["passengers"]),
            only_if_all_confirmed=values["only_if_all_confirmed"],
            only_in_one_coach=values["only_in_one_coach"],
            idempotency_record=self.idempotency_record,
            currency=values.get("currency"),
        )
        # Answered from what the booking wrote: the trip class's lock is held until the
        # idempotency record commits with this answer, so nothing is read back.
        new_pnr_positions(pnr)
        return Response(PnrOutputSerializer(pnr).data, status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="bookings_list", responses=PnrOutputSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PnrOutputSerializer(page, many=True).data)


class BookingDetailView(APIView):
    """One of the user's PNRs, with each passenger's status, coach, berth and RAC/WL
    position."""

    @extend_schema(responses={200: PnrOutputSerializer, 404: error_response("No such PNR")})
    def get(self, request, pnr: str):
        try:
            found = pnr_get_for_user(request.user, pnr)
        except Pnr.DoesNotExist:
            raise NotFound(gettext("You have no PNR with this number.")) from None
        return Response(PnrOutputSerializer(found).data)
