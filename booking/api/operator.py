"""The operator's trip changes that carry the trip's bookings along: its status (cancelling
cancels and refunds every booking) and its vehicle (passengers move to the new seats). Their
addresses are the operator API's (operator/trips/<id>/status/, .../vehicle/); they live here,
above fleet, because they call booking's services. Views validate, call one service,
serialize."""

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from fleet.api.operator import NOT_A_VEHICLE, OperatorView, company_vehicles, trip_or_404
from fleet.api.serializers import TripOutputSerializer
from fleet.models import TripStatus, Vehicle
from fleet.selectors import trips_for_user
from ttms.api.schema import error_response

from ..exceptions import Busy
from ..lifecycle.services.swap import vehicle_swap
from ..lifecycle.services.trips import trip_status_change


class OperatorTripStatusView(OperatorView):
    """Move a trip along scheduled → boarding → departed → arrived, or cancel it (with a
    reason) before it departs: cancelling also cancels every booking on it with a full
    refund and tells the passengers why (`trip_status_change`); asked again on a
    cancelled trip, it finishes cancelling any booking left active."""

    @extend_schema_serializer(component_name="TripStatusChange")
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=TripStatus.choices)
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        responses={
            200: TripOutputSerializer,
            404: error_response("No such trip"),
            409: error_response("Not allowed from the current status"),
            503: error_response("Busy: send the same request again"),
        },
    )
    def post(self, request, pk: int):
        trip = trip_or_404(request.user, pk)
        self.check_can_edit(trip.route.company_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        change = trip_status_change(
            trip=trip,
            to_status=data.validated_data["status"],
            by=request.user,
            reason=data.validated_data["reason"],
        )
        if change.cancel is not None and change.cancel.pending:
            raise Busy(
                gettext(
                    "Trip cancelled, but {count} booking(s) were busy and are not cancelled "
                    "yet; send the same request again to finish."
                ).format(count=len(change.cancel.pending))
            )
        return Response(TripOutputSerializer(trips_for_user(request.user).get(pk=pk)).data)


class OperatorTripVehicleView(OperatorView):
    """Swap a trip's vehicle for another of its company before it departs, with its
    passengers: seat numbers kept where the new vehicle has them, the others reseated and
    told (`vehicle_swap`). Refused (409, nothing changed): `vehicle_swap_refused` when
    the vehicle has fewer seats in a class than are sold on its busiest leg;
    `swap_class_missing` when it lacks a class with passengers, unless the operator allows
    upgrades and it has a better class with room, which then takes them at their fare."""

    @extend_schema_serializer(component_name="TripVehicleSwap")
    class InputSerializer(serializers.Serializer):
        vehicle = serializers.PrimaryKeyRelatedField(
            queryset=Vehicle.objects.none(), error_messages={"does_not_exist": NOT_A_VEHICLE}
        )
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

        def __init__(self, *args, company_id: int | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            if company_id is not None:  # the trip's company (None: the schema)
                self.fields["vehicle"].queryset = company_vehicles(company_id)

    @extend_schema_serializer(component_name="TripVehicleSwapResult")
    class OutputSerializer(serializers.Serializer):
        trip = TripOutputSerializer()
        seats = serializers.DictField(
            child=serializers.IntegerField(), help_text="Seats per class on the new vehicle."
        )
        kept = serializers.IntegerField(help_text="Passengers who kept their seat.")
        reseated = serializers.ListField(
            child=serializers.DictField(),
            help_text=(
                "Passengers moved: PNR, passenger index, class, from and to (coach, seat); "
                "`upgraded_from`: the class they held when moved up to a better one."
            ),
        )
        upgrades = serializers.DictField(
            child=serializers.CharField(),
            help_text="Class the new vehicle lacks -> the better class its passengers got.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: error_response("Invalid fields"),
            404: error_response("No such trip"),
            409: error_response(
                "Departed, the vehicle is too small (vehicle_swap_refused), or it lacks a "
                "class sold (swap_class_missing)"
            ),
        },
    )
    def post(self, request, pk: int):
        trip = trip_or_404(request.user, pk)
        self.check_can_edit(trip.route.company_id)
        data = self.InputSerializer(data=request.data, company_id=trip.route.company_id)
        data.is_valid(raise_exception=True)
        result = vehicle_swap(trip=trip, by=request.user, **data.validated_data)
        return Response(
            self.OutputSerializer(
                {
                    "trip": trips_for_user(request.user).get(pk=pk),
                    "seats": result.seats,
                    "kept": result.kept,
                    "reseated": [
                        {
                            "pnr": r.pnr,
                            "passenger": r.index,
                            "class": r.class_code,
                            "from": {"coach": r.before.coach, "seat": r.before.seat},
                            "to": {"coach": r.after.coach, "seat": r.after.seat},
                            **({"upgraded_from": r.upgraded_from} if r.upgraded_from else {}),
                        }
                        for r in result.reseated
                    ],
                    "upgrades": result.upgrades,
                }
            ).data
        )
