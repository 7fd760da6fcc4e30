"""Trip search with availability: the fleet's timetable search, and per class the seats free
by quota, RAC and WL counts and fares for exactly the legs asked."""

from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from fleet.api.serializers import StationSerializer, local_iso
from fleet.models import Station
from fleet.selectors import station_get_by_code, trip_search, trip_search_refusal
from ttms.api.schema import error_response

from .. import rules
from ..sales.selectors.availability import trips_availability, trips_refusals


@extend_schema_serializer(component_name="ClassAvailability")
class ClassAvailabilitySerializer(serializers.Serializer):
    # "class" is a Python keyword: the field is declared through the class namespace.
    vars()["class"] = serializers.CharField(source="class_code")
    class_name = serializers.CharField(
        help_text="The travel class's name, e.g. Sleeper, Standard, VIP (the operator's own "
        "class of that code, else the shared one)."
    )
    status = serializers.CharField(
        help_text="AVAILABLE-n, RAC n or WL n: what a general booking made now would get; "
        "SOLD OUT when the operator keeps no waiting list and no seat is left."
    )
    free = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Quota -> seats free on every leg of the journey; only quotas the operator "
        "sells.",
    )
    rac_free = serializers.IntegerField(
        required=False,
        help_text="RAC half berths free on every leg; only when the operator sells RAC.",
    )
    rac = serializers.IntegerField(
        required=False,
        help_text="Passengers on RAC in the class; only when the operator sells RAC.",
    )
    waitlist = serializers.IntegerField(
        required=False,
        help_text="Passengers waiting in the class; only when the operator keeps a waiting list.",
    )
    fares = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Quota -> fare per passenger, minor units of the trip's `currency`; only "
        "quotas the operator sells.",
    )

    def to_representation(self, item):
        data = super().to_representation(item)
        if not item.sells_rac:
            del data["rac_free"], data["rac"]
        if not item.keeps_waitlist:
            del data["waitlist"]
        return data


@extend_schema_serializer(component_name="OperatorRules")
class OperatorRulesSerializer(serializers.Serializer):
    quotas = serializers.ListField(
        child=serializers.CharField(), help_text="The quotas the operator sells (GENERAL first)."
    )
    rac = serializers.BooleanField(
        help_text="Whether a booking that finds no seat may get RAC (a shared berth)."
    )
    waitlist = serializers.BooleanField(
        help_text="Whether a booking that finds no seat joins a waiting list; without one it "
        "is refused as sold out."
    )
    max_passengers = serializers.IntegerField(
        help_text="Most passengers per booking (a Tatkal booking: at most 4)."
    )


@extend_schema_serializer(component_name="TripOption")
class TripOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="trip.pk")
    number = serializers.CharField(source="trip.route.number")
    name = serializers.CharField(source="trip.route.name")
    company = serializers.SerializerMethodField()
    kind = serializers.CharField(source="trip.route.company.kind")
    currency = serializers.CharField(
        source="trip.route.company.currency",
        help_text="ISO 4217 code of the operator's currency: every fare of the trip is in it.",
    )
    rules = serializers.SerializerMethodField(help_text="What the operator sells, and how.")
    service_date = serializers.DateField(
        source="trip.service_date", help_text="The day the trip left its first stop."
    )
    status = serializers.CharField(source="trip.status")
    departure = serializers.SerializerMethodField(
        help_text="Leaves `from`, local time with offset."
    )
    arrival = serializers.SerializerMethodField(help_text="Reaches `to`, local time with offset.")
    duration_minutes = serializers.SerializerMethodField()
    distance_km = serializers.DecimalField(max_digits=7, decimal_places=1)
    classes = serializers.ListField(child=serializers.CharField())
    vehicle = serializers.CharField(source="trip.vehicle.code", allow_null=True, default=None)
    bookable = serializers.SerializerMethodField(
        help_text="Whether the trip can be booked now from `from`. A trip that has left "
        "`from`, or departed, arrived or has no vehicle, cannot; it is listed "
        "with `not_bookable_reason` and no availability."
    )
    not_bookable_reason = serializers.SerializerMethodField(
        help_text="Why the trip cannot be booked now; null when it can."
    )
    availability = serializers.SerializerMethodField()

    def get_bookable(self, option) -> bool:
        return option.trip.pk not in self.context["refusals"]

    def get_not_bookable_reason(self, option) -> str | None:
        return self.context["refusals"].get(option.trip.pk)

    @extend_schema_field(
        inline_serializer(
            "TripCompany", {"slug": serializers.CharField(), "name": serializers.CharField()}
        )
    )
    def get_company(self, option) -> dict:
        company = option.trip.route.company
        return {"slug": company.slug, "name": company.name}

    @extend_schema_field(OperatorRulesSerializer)
    def get_rules(self, option) -> dict:
        operator = option.trip.route.company.rules
        return OperatorRulesSerializer(
            {
                "quotas": list(operator.quotas),
                "rac": operator.rac,
                "waitlist": operator.waitlist,
                "max_passengers": operator.max_passengers,
            }
        ).data

    def get_departure(self, option) -> str:
        return local_iso(option.departure_at, option.origin)

    def get_arrival(self, option) -> str:
        return local_iso(option.arrival_at, option.destination)

    def get_duration_minutes(self, option) -> int:
        return int(option.duration.total_seconds() // 60)

    @extend_schema_field(ClassAvailabilitySerializer(many=True))
    def get_availability(self, option) -> list[dict]:
        classes = self.context["availability"].get(option.trip.pk, [])
        return ClassAvailabilitySerializer(classes, many=True).data


class TripSearchView(APIView):
    """Trips from one station to another leaving `from` on `date` (the local date at
    `from`); the stations may be any stops of a route, in that order. Each trip has its
    operator's currency and rules, and per class: its name, seats free per quota sold for
    exactly those legs, RAC and WL counts where the operator has them, and fares.
    Times are local to each station. A trip that cannot be booked now (it has left `from`,
    or departed) is listed with `bookable` false, why, and no availability."""

    permission_classes = [permissions.AllowAny]

    class InputSerializer(serializers.Serializer):
        # "from" is a Python keyword: the fields are declared through the class namespace.
        vars()["from"] = serializers.CharField(max_length=64, source="origin")
        vars()["to"] = serializers.CharField(max_length=64, source="destination")
        date = serializers.DateField()

        def validate_date(self, value):
            if not rules.SEARCH_FIRST_DATE <= value <= rules.SEARCH_LAST_DATE:
                raise serializers.ValidationError(
                    gettext("Choose a date from {first} to {last}.").format(
                        first=rules.SEARCH_FIRST_DATE.isoformat(),
                        last=rules.SEARCH_LAST_DATE.isoformat(),
                    )
                )
            return value

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, required=True, description="Station code."),
            OpenApiParameter("to", str, required=True, description="Station code."),
            OpenApiParameter(
                "date",
                OpenApiTypes.DATE,
                required=True,
                description="Boarding date at `from`, in its time zone: 1900-01-01 to 2999-12-31.",
            ),
        ],
        responses={
            200: inline_serializer(
                "TripSearch",
                {
                    "date": serializers.DateField(),
                    "from": StationSerializer(),
                    "to": StationSerializer(),
                    "count": serializers.IntegerField(),
                    "results": TripOptionSerializer(many=True),
                },
            ),
            400: error_response("Unknown station or bad date"),
        },
    )
    def get(self, request):
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        errors, stations = {}, {}
        for name, field in (("from", "origin"), ("to", "destination")):
            try:
                stations[field] = station_get_by_code(data[field])
            except Station.DoesNotExist:
                errors[name] = [
                    gettext("No station has the code {code!r}.").format(
                        code=data[field].strip().upper()
                    )
                ]
        if errors:
            raise serializers.ValidationError(errors)
        if refusal := trip_search_refusal(
            origin=stations["origin"], destination=stations["destination"]
        ):
            raise serializers.ValidationError({"to": [refusal]})
        options = trip_search(
            origin=stations["origin"], destination=stations["destination"], travel_date=data["date"]
        )
        refusals = trips_refusals(options, now=timezone.now())
        trips = TripOptionSerializer(
            options,
            many=True,
            context={
                "refusals": refusals,
                "availability": trips_availability(
                    [o for o in options if o.trip.pk not in refusals]
                ),
            },
        ).data
        return Response(
            {
                "date": data["date"].isoformat(),
                "from": StationSerializer(stations["origin"]).data,
                "to": StationSerializer(stations["destination"]).data,
                "count": len(trips),
                "results": trips,
            }
        )
