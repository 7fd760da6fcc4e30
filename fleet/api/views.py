"""Fleet API: station lookup (public), and operator staff's trips, vehicles and routes
(company-scoped). Trip search, which adds seat availability, and the trip changes that carry
bookings along (status, vehicle swap) are in booking.api. Views validate, call one selector
or service, serialize."""

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import permissions, serializers
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from ttms.accounts.models import User
from ttms.api.pagination import PageNumberPagination
from ttms.api.schema import PAGE_PARAMETERS, error_response, paginated

from ..models import TripStatus, Vehicle
from ..selectors import (
    routes_for_user,
    station_lookup,
    trips_for_user,
    vehicles_for_user,
)
from ..services import trip_update
from .operator import (
    NOT_A_DRIVER,
    NOT_A_VEHICLE,
    OperatorView,
    company_drivers,
    company_vehicles,
    trip_or_404,
)
from .serializers import StationSerializer, TripOutputSerializer

# --- Public: stations and search --------------------------------------------------------------


class StationLookupView(APIView):
    """Stations by code, name or alias: exact code, then prefixes, then words, then (when
    nothing starts with the text) look-alike names for typos."""

    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        q = serializers.CharField(max_length=100)
        limit = serializers.IntegerField(min_value=1, max_value=50, default=10)

    @extend_schema_serializer(component_name="StationMatch")
    class OutputSerializer(StationSerializer):
        match = serializers.CharField(
            help_text="code, code_prefix, name_prefix, alias, word or fuzzy"
        )

        class Meta(StationSerializer.Meta):
            fields = [*StationSerializer.Meta.fields, "match"]
            read_only_fields = fields

    @extend_schema(
        parameters=[InputSerializer],
        responses={
            200: inline_serializer("StationLookup", {"results": OutputSerializer(many=True)}),
            400: error_response("Invalid query"),
        },
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        matches = station_lookup(
            query=params.validated_data["q"], limit=params.validated_data["limit"]
        )
        return Response(
            {"results": [{**StationSerializer(m.station).data, "match": m.match} for m in matches]}
        )


# --- Operator staff -------------------------------------------------------------------------------


class OperatorTripListView(OperatorView):
    """The trips of the companies the user works for (platform admins: every trip)."""

    class FilterSerializer(serializers.Serializer):
        date = serializers.DateField(required=False, help_text="Service date.")
        status = serializers.ChoiceField(choices=TripStatus.choices, required=False)
        route = serializers.CharField(required=False, help_text="Route code.")

    @extend_schema(
        operation_id="v1_operator_trips_list",
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(TripOutputSerializer)},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        trips = trips_for_user(request.user).order_by("departure_at", "pk")
        f = filters.validated_data
        if "date" in f:
            trips = trips.filter(service_date=f["date"])
        if "status" in f:
            trips = trips.filter(status=f["status"])
        if "route" in f:
            trips = trips.filter(route__code=f["route"])
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(trips, request, view=self)
        return paginator.get_paginated_response(TripOutputSerializer(page, many=True).data)


class OperatorTripDetailView(OperatorView):
    """One trip; PATCH changes its vehicle or drivers until it departs."""

    @extend_schema_serializer(component_name="TripUpdate")
    class InputSerializer(serializers.Serializer):
        vehicle = serializers.PrimaryKeyRelatedField(
            queryset=Vehicle.objects.none(),
            allow_null=True,
            required=False,
            error_messages={"does_not_exist": NOT_A_VEHICLE},
        )
        drivers = serializers.PrimaryKeyRelatedField(
            queryset=User.objects.none(),
            many=True,
            required=False,
            error_messages={"does_not_exist": NOT_A_DRIVER},
        )
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True)

        def __init__(self, *args, company_id: int | None = None, **kwargs):
            super().__init__(*args, **kwargs)
            if company_id is not None:  # the trip's company (None: the schema)
                self.fields["vehicle"].queryset = company_vehicles(company_id)
                self.fields["drivers"].child_relation.queryset = company_drivers(company_id)

    @extend_schema(responses={200: TripOutputSerializer, 404: error_response("No such trip")})
    def get(self, request, pk: int):
        return Response(TripOutputSerializer(trip_or_404(request.user, pk)).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: TripOutputSerializer,
            400: error_response("Invalid fields"),
            404: error_response("No such trip"),
            409: error_response("The trip has departed"),
        },
    )
    def patch(self, request, pk: int):
        trip = trip_or_404(request.user, pk)
        self.check_can_edit(trip.route.company_id)
        data = self.InputSerializer(data=request.data, company_id=trip.route.company_id)
        data.is_valid(raise_exception=True)
        trip = trip_update(trip=trip, by=request.user, **data.validated_data)
        return Response(TripOutputSerializer(trips_for_user(request.user).get(pk=pk)).data)


class VehicleOutputSerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.slug")
    coaches = serializers.SerializerMethodField()

    class Meta:
        model = Vehicle
        fields = ["id", "company", "code", "name", "kind", "is_active", "coaches"]
        read_only_fields = fields

    def get_coaches(self, vehicle) -> list[dict]:
        return [
            {"code": c.code, "class": c.travel_class.code, "position": c.position}
            for c in vehicle.coaches.all()
        ]


class OperatorVehicleListView(OperatorView):
    @extend_schema(
        operation_id="v1_operator_vehicles_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(VehicleOutputSerializer)},
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            vehicles_for_user(request.user).order_by("pk"), request, view=self
        )
        return paginator.get_paginated_response(VehicleOutputSerializer(page, many=True).data)


class OperatorVehicleDetailView(OperatorView):
    @extend_schema(responses={200: VehicleOutputSerializer, 404: error_response("No such vehicle")})
    def get(self, request, pk: int):
        vehicle = get_object_or_404(vehicles_for_user(request.user), pk=pk)
        return Response(VehicleOutputSerializer(vehicle).data)


class RouteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    company = serializers.CharField(source="company.slug")
    code = serializers.CharField()
    number = serializers.CharField()
    name = serializers.CharField()
    departure_times = serializers.CharField()
    running_days = serializers.CharField(source="running_day_labels")
    valid_from = serializers.DateField(allow_null=True, help_text="Null: from the start.")
    valid_to = serializers.DateField(allow_null=True, help_text="Null: with no end.")
    is_active = serializers.BooleanField()
    stops = serializers.SerializerMethodField()

    def get_stops(self, route) -> list[dict]:
        return [
            {
                "sequence": s.sequence,
                "station": s.station.code,
                "distance_km": str(s.distance_km),
                "arrival_offset": s.arrival_offset,
                "departure_offset": s.departure_offset,
            }
            for s in route.stops.all()
        ]


class OperatorRouteListView(OperatorView):
    @extend_schema(
        operation_id="v1_operator_routes_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(RouteOutputSerializer)},
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            routes_for_user(request.user).order_by("pk"), request, view=self
        )
        return paginator.get_paginated_response(RouteOutputSerializer(page, many=True).data)


class OperatorRouteDetailView(OperatorView):
    @extend_schema(responses={200: RouteOutputSerializer, 404: error_response("No such route")})
    def get(self, request, pk: int):
        route = get_object_or_404(routes_for_user(request.user), pk=pk)
        return Response(RouteOutputSerializer(route).data)
