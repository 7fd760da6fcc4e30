"""A trip's seat map: each seat of a class free or taken for the legs asked."""

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from fleet.api.serializers import StationSerializer
from fleet.models import Trip
from ttms.api.schema import error_response

from ..exceptions import TripNotBookable
from ..sales.selectors.journeys import journey_get, trip_get_for_sale, trip_refusal
from ..sales.selectors.seat_maps import seat_map


class SeatMapView(APIView):
    """The seats of one class of a trip, each marked free or taken for the legs from `from`
    to `to`, with the quota it is earmarked for. RAC berths are free while a half is."""

    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        vars()["from"] = serializers.CharField(max_length=64, source="origin")
        vars()["to"] = serializers.CharField(max_length=64, source="destination")
        vars()["class"] = serializers.CharField(max_length=12, source="class_code")

    @extend_schema_serializer(component_name="SeatMapSeat")
    class SeatSerializer(serializers.Serializer):
        number = serializers.CharField()
        coach = serializers.CharField()
        berth_type = serializers.CharField()
        quota = serializers.CharField()
        row = serializers.IntegerField()
        column = serializers.IntegerField()
        is_rac = serializers.BooleanField()
        free = serializers.BooleanField()

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="Boarding station code."),
            OpenApiParameter("to", str, required=True, description="Alighting station code."),
            OpenApiParameter("class", str, required=True, description="Class code, e.g. SL."),
        ],
        responses={
            200: inline_serializer(
                "SeatMap",
                {
                    "trip": serializers.IntegerField(),
                    "class": serializers.CharField(),
                    "from": StationSerializer(),
                    "to": StationSerializer(),
                    "seats": SeatSerializer(many=True),
                },
            ),
            400: error_response("Bad stops or class"),
            404: error_response("No trip"),
            409: error_response(
                "Not bookable now: left the boarding stop, departed, arrived or without a vehicle"
            ),
        },
    )
    def get(self, request, pk: int):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            trip = trip_get_for_sale(pk)
        except Trip.DoesNotExist:
            raise NotFound(gettext("No such trip.")) from None
        journey = journey_get(
            trip=trip, origin_code=data["origin"], destination_code=data["destination"]
        )
        if refusal := trip_refusal(
            trip=trip,
            boarding=journey.origin.station,
            departure_at=journey.departure_at,
            now=timezone.now(),
        ):
            raise TripNotBookable(refusal)
        class_code = data["class_code"].strip().upper()
        seats = seat_map(trip=trip, class_code=class_code, mask=journey.mask)
        if not seats:
            raise serializers.ValidationError(
                {
                    "class": [
                        gettext("Trip {number} has no {class_code} class.").format(
                            number=trip.route.number, class_code=class_code
                        )
                    ]
                }
            )
        return Response(
            {
                "trip": trip.pk,
                "class": class_code,
                "from": StationSerializer(journey.origin.station).data,
                "to": StationSerializer(journey.destination.station).data,
                "seats": self.SeatSerializer(seats, many=True).data,
            }
        )
