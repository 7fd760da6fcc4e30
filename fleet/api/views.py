"""Fleet API: station lookup and trip search (public), and operator staff's trips, vehicles
and routes (company-scoped). Views validate, call one selector or service, serialize."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from ttms.accounts.models import User
from ttms.api.pagination import PageNumberPagination
from ttms.api.schema import error_response

from ..models import Schedule, ScheduleStatus, Station, Vehicle
from ..selectors import (
    company_ids_for_user,
    editable_company_ids,
    routes_for_user,
    schedule_get_for_user,
    schedules_for_user,
    station_get_by_code,
    station_lookup,
    trip_search,
    vehicles_for_user,
)
from ..services import schedule_transition, schedule_update


def _local_iso(moment, station: Station) -> str:
    return timezone.localtime(moment, station.tzinfo).isoformat()


class StationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Station
        fields = ["code", "name", "city", "region", "latitude", "longitude", "time_zone"]
        read_only_fields = fields


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
            help_text="code, code_prefix, name_prefix, alias, word or fuzzy")

        class Meta(StationSerializer.Meta):
            fields = [*StationSerializer.Meta.fields, "match"]
            read_only_fields = fields

    @extend_schema(parameters=[InputSerializer],
                   responses={200: inline_serializer("StationLookup", {
                       "results": OutputSerializer(many=True)}),
                              400: error_response("Invalid query")})
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        matches = station_lookup(query=params.validated_data["q"],
                                 limit=params.validated_data["limit"])
        return Response({"results": [{**StationSerializer(m.station).data, "match": m.match}
                                     for m in matches]})


class TripSearchView(APIView):
    """Trips from one station to another leaving `from` on `date` (local date of `from`):
    the stations may be any stops of a route, in that order. Times are local to each
    station. Availability and fares come with the booking app."""

    permission_classes = [permissions.AllowAny]

    # Query parameter -> field ("from" is a Python keyword).
    PARAMETERS = {"from": "origin", "to": "destination", "date": "date"}

    class InputSerializer(serializers.Serializer):
        origin = serializers.CharField(max_length=64)
        destination = serializers.CharField(max_length=64)
        date = serializers.DateField()

    @extend_schema_serializer(component_name="TripOption")
    class TripSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        number = serializers.CharField()
        name = serializers.CharField()
        company = serializers.DictField(child=serializers.CharField())
        kind = serializers.CharField()
        service_date = serializers.DateField(help_text="The day the trip left its first stop.")
        status = serializers.CharField()
        departure = serializers.CharField(help_text="Leaves `from`, local time with offset.")
        arrival = serializers.CharField(help_text="Reaches `to`, local time with offset.")
        duration_minutes = serializers.IntegerField()
        distance_km = serializers.DecimalField(max_digits=7, decimal_places=1)
        classes = serializers.ListField(child=serializers.CharField())
        vehicle = serializers.CharField(allow_null=True)

    SEARCH_PARAMETERS = [
        OpenApiParameter("from", str, required=True, description="Station code."),
        OpenApiParameter("to", str, required=True, description="Station code."),
        OpenApiParameter("date", OpenApiTypes.DATE, required=True,
                         description="Boarding date at `from`, in its time zone."),
    ]

    @extend_schema(
        parameters=SEARCH_PARAMETERS,
        responses={200: inline_serializer("TripSearch", {
            "date": serializers.DateField(), "from": StationSerializer(),
            "to": StationSerializer(), "count": serializers.IntegerField(),
            "results": TripSerializer(many=True)}),
                   400: error_response("Unknown station or bad date")},
    )
    def get(self, request):
        raw = request.query_params
        params = self.InputSerializer(data={field: raw[name]
                                            for name, field in self.PARAMETERS.items()
                                            if name in raw})
        if not params.is_valid():
            public = {field: name for name, field in self.PARAMETERS.items()}
            raise ApiValidationError({public.get(k, k): v for k, v in params.errors.items()})
        data = params.validated_data
        errors, stations = {}, {}
        for name, field in (("from", "origin"), ("to", "destination")):
            try:
                stations[field] = station_get_by_code(data[field])
            except Station.DoesNotExist:
                errors[name] = [f"No station has the code {data[field].strip().upper()!r}."]
        if errors:
            raise ApiValidationError(errors)
        if stations["origin"].pk == stations["destination"].pk:
            raise ApiValidationError({"to": ["Choose a destination other than the origin."]})
        options = trip_search(origin=stations["origin"], destination=stations["destination"],
                              travel_date=data["date"])
        # One serializer for the list: DRF copies a serializer's fields per instance.
        trips = self.TripSerializer(self.trip_rows(options), many=True).data
        return Response({
            "date": data["date"].isoformat(),
            "from": StationSerializer(stations["origin"]).data,
            "to": StationSerializer(stations["destination"]).data,
            "count": len(trips),
            "results": trips,
        })

    def trip_rows(self, options) -> list[dict]:
        """The fields of each trip, for TripSerializer (subclasses add to them)."""
        return [{
            "id": o.schedule.pk,
            "number": o.schedule.route.number,
            "name": o.schedule.route.name,
            "company": {"slug": o.schedule.route.company.slug,
                        "name": o.schedule.route.company.name},
            "kind": o.schedule.route.company.kind,
            "service_date": o.schedule.service_date,
            "status": o.schedule.status,
            "departure": _local_iso(o.departure_at, o.origin),
            "arrival": _local_iso(o.arrival_at, o.destination),
            "duration_minutes": int(o.duration.total_seconds() // 60),
            "distance_km": o.distance_km,
            "classes": o.classes,
            "vehicle": o.schedule.vehicle.code if o.schedule.vehicle else None,
        } for o in options]


# --- Operator staff -------------------------------------------------------------------------------


class IsCompanyStaff(permissions.BasePermission):
    message = "Only operator staff can use this."

    def has_permission(self, request, view):
        ids = company_ids_for_user(request.user)
        return ids is None or bool(ids)


class OperatorView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsCompanyStaff]

    def check_can_edit(self, company_id: int) -> None:
        ids = editable_company_ids(self.request.user)
        if ids is not None and company_id not in ids:
            raise PermissionDenied("Your role in this company does not allow changing trips.")


class TripOutputSerializer(serializers.ModelSerializer):
    number = serializers.CharField(source="route.number")
    name = serializers.CharField(source="route.name")
    route = serializers.CharField(source="route.code")
    company = serializers.CharField(source="route.company.slug")
    vehicle = serializers.PrimaryKeyRelatedField(read_only=True)
    drivers = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    is_locked = serializers.BooleanField(read_only=True)

    class Meta:
        model = Schedule
        fields = ["id", "number", "name", "route", "company", "service_date", "departure_at",
                  "arrival_at", "status", "status_changed_at", "is_locked", "vehicle",
                  "drivers"]
        read_only_fields = fields


class OperatorTripListView(OperatorView):
    """The trips of the companies the user works for (platform admins: every trip)."""

    class FilterSerializer(serializers.Serializer):
        date = serializers.DateField(required=False, help_text="Service date.")
        status = serializers.ChoiceField(choices=ScheduleStatus.choices, required=False)
        route = serializers.CharField(required=False, help_text="Route code.")

    @extend_schema(parameters=[FilterSerializer],
                   responses={200: TripOutputSerializer(many=True)})
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        trips = schedules_for_user(request.user).order_by("departure_at", "pk")
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


def _trip_or_404(user, pk: int) -> Schedule:
    try:
        return schedule_get_for_user(user, pk)
    except Schedule.DoesNotExist as exc:
        raise NotFound("No trip with this id.") from exc


class OperatorTripDetailView(OperatorView):
    """One trip; PATCH changes its vehicle or drivers until it departs."""

    @extend_schema_serializer(component_name="TripUpdate")
    class InputSerializer(serializers.Serializer):
        vehicle = serializers.PrimaryKeyRelatedField(queryset=Vehicle.objects.all(),
                                                     allow_null=True, required=False)
        drivers = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True,
                                                     required=False)
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(responses={200: TripOutputSerializer, 404: error_response("No such trip")})
    def get(self, request, pk: int):
        return Response(TripOutputSerializer(_trip_or_404(request.user, pk)).data)

    @extend_schema(request=InputSerializer,
                   responses={200: TripOutputSerializer, 400: error_response("Invalid fields"),
                              404: error_response("No such trip"),
                              409: error_response("The trip has departed")})
    def patch(self, request, pk: int):
        trip = _trip_or_404(request.user, pk)
        self.check_can_edit(trip.route.company_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trip = schedule_update(schedule=trip, by=request.user, **data.validated_data)
        return Response(TripOutputSerializer(schedules_for_user(request.user).get(pk=pk)).data)


class OperatorTripStatusView(OperatorView):
    """Move a trip along scheduled → boarding → departed → arrived, or cancel it (with a
    reason) before it departs."""

    @extend_schema_serializer(component_name="TripStatusChange")
    class InputSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=ScheduleStatus.choices)
        reason = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                       default="")

    @extend_schema(request=InputSerializer,
                   responses={200: TripOutputSerializer, 404: error_response("No such trip"),
                              409: error_response("Not allowed from the current status")})
    def post(self, request, pk: int):
        trip = _trip_or_404(request.user, pk)
        self.check_can_edit(trip.route.company_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        schedule_transition(schedule=trip, to_status=data.validated_data["status"],
                            by=request.user, reason=data.validated_data["reason"])
        return Response(TripOutputSerializer(schedules_for_user(request.user).get(pk=pk)).data)


class VehicleOutputSerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.slug")
    coaches = serializers.SerializerMethodField()

    class Meta:
        model = Vehicle
        fields = ["id", "company", "code", "name", "kind", "is_active", "coaches"]
        read_only_fields = fields

    def get_coaches(self, vehicle) -> list[dict]:
        return [{"code": c.code, "class": c.travel_class.code, "position": c.position}
                for c in vehicle.coaches.all()]


class OperatorVehicleListView(OperatorView):
    @extend_schema(responses={200: VehicleOutputSerializer(many=True)})
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(vehicles_for_user(request.user).order_by("pk"),
                                           request, view=self)
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
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    is_active = serializers.BooleanField()
    stops = serializers.SerializerMethodField()

    def get_stops(self, route) -> list[dict]:
        return [{"sequence": s.sequence, "station": s.station.code,
                 "distance_km": str(s.distance_km), "arrival_offset": s.arrival_offset,
                 "departure_offset": s.departure_offset} for s in route.stops.all()]


class OperatorRouteListView(OperatorView):
    @extend_schema(responses={200: RouteOutputSerializer(many=True)})
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(routes_for_user(request.user).order_by("pk"),
                                           request, view=self)
        return paginator.get_paginated_response(RouteOutputSerializer(page, many=True).data)


class OperatorRouteDetailView(OperatorView):
    @extend_schema(responses={200: RouteOutputSerializer, 404: error_response("No such route")})
    def get(self, request, pk: int):
        route = get_object_or_404(routes_for_user(request.user), pk=pk)
        return Response(RouteOutputSerializer(route).data)
