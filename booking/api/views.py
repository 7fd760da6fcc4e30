"""Booking API: trip search with availability, seat maps, and PNRs (book, list, read).
Views validate, call one service or selector, serialize."""

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
from rest_framework import generics, permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from fleet.api.serializers import StationSerializer, local_iso
from fleet.models import Station, Trip
from fleet.selectors import station_get_by_code, trip_search, trip_search_refusal
from payments.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from ttms.api.schema import error_response

from .. import rules
from ..exceptions import TripNotBookable
from ..lifecycle.selectors import refund_quote
from ..lifecycle.services.cancellation import booking_cancel
from ..models import (
    BOOKABLE_QUOTA_CHOICES,
    BerthPreference,
    Cancellation,
    Gender,
    Passenger,
    Pnr,
    Quota,
)
from ..sales import selectors
from ..sales.services.create import PassengerIn, booking_create

# --- Search and seat map ------------------------------------------------------------------------


@extend_schema_serializer(component_name="ClassAvailability")
class ClassAvailabilitySerializer(serializers.Serializer):
    # "class" is a Python keyword: the field is declared through the class namespace.
    vars()["class"] = serializers.CharField(source="class_code")
    status = serializers.CharField(
        help_text="AVAILABLE-n, RAC n or WL n: what a general booking made now would get."
    )
    free = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Quota -> seats free on every leg of the journey.",
    )
    rac_free = serializers.IntegerField(help_text="RAC half berths free on every leg.")
    rac = serializers.IntegerField(help_text="Passengers on RAC in the class.")
    waitlist = serializers.IntegerField(help_text="Passengers waiting in the class.")
    fares = serializers.DictField(
        child=serializers.IntegerField(), help_text="Quota -> fare per passenger, minor units."
    )


@extend_schema_serializer(component_name="TripOption")
class TripOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="trip.pk")
    number = serializers.CharField(source="trip.route.number")
    name = serializers.CharField(source="trip.route.name")
    company = serializers.SerializerMethodField()
    kind = serializers.CharField(source="trip.route.company.kind")
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
    `from`); the stations may be any stops of a route, in that order. Each trip has, per
    class: seats free per quota for exactly those legs, RAC and WL counts, and fares.
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
                errors[name] = [f"No station has the code {data[field].strip().upper()!r}."]
        if errors:
            raise serializers.ValidationError(errors)
        if refusal := trip_search_refusal(
            origin=stations["origin"], destination=stations["destination"]
        ):
            raise serializers.ValidationError({"to": [refusal]})
        options = trip_search(
            origin=stations["origin"], destination=stations["destination"], travel_date=data["date"]
        )
        refusals = selectors.trips_refusals(options, now=timezone.now())
        trips = TripOptionSerializer(
            options,
            many=True,
            context={
                "refusals": refusals,
                "availability": selectors.trips_availability(
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
            trip = selectors.trip_get_for_sale(pk)
        except Trip.DoesNotExist:
            raise NotFound("No such trip.") from None
        journey = selectors.journey_get(
            trip=trip, origin_code=data["origin"], destination_code=data["destination"]
        )
        if refusal := selectors.trip_refusal(
            trip=trip,
            boarding=journey.origin.station,
            departure_at=journey.departure_at,
            now=timezone.now(),
        ):
            raise TripNotBookable(refusal)
        class_code = data["class_code"].strip().upper()
        seats = selectors.seat_map(trip=trip, class_code=class_code, mask=journey.mask)
        if not seats:
            raise serializers.ValidationError(
                {"class": [f"Trip {trip.route.number} has no {class_code} class."]}
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


# --- PNRs ---------------------------------------------------------------------------------------


def _placement(p: Passenger) -> rules.Placement | None:
    """A passenger just booked carries its placement; one read back has its seat."""
    if hasattr(p, "placement"):
        return p.placement
    if p.seat_id is None:
        return None
    return rules.Placement(p.seat.coach.code, p.seat.number, p.seat.berth_type)


@extend_schema_serializer(component_name="BookingPassenger")
class PassengerOutputSerializer(serializers.ModelSerializer):
    coach = serializers.SerializerMethodField()
    seat = serializers.SerializerMethodField()
    berth_type = serializers.SerializerMethodField()
    position = serializers.SerializerMethodField(
        help_text="RAC or WL number (1 = next in line); null when confirmed or cancelled."
    )

    class Meta:
        model = Passenger
        fields = [
            "id",
            "index",
            "name",
            "age",
            "gender",
            "berth_preference",
            "status",
            "booking_status",
            "quota",
            "coach",
            "seat",
            "berth_type",
            "half",
            "position",
            "fare",
            "refund",
        ]
        read_only_fields = fields

    def get_coach(self, p: Passenger) -> str | None:
        placed = _placement(p)
        return placed.coach if placed else None

    def get_seat(self, p: Passenger) -> str | None:
        placed = _placement(p)
        return placed.seat if placed else None

    def get_berth_type(self, p: Passenger) -> str | None:
        placed = _placement(p)
        return placed.berth_type if placed else None

    def get_position(self, p: Passenger) -> int | None:
        if p.status in ("RAC", "WL"):
            return getattr(p, "queue_position", None)
        return None


def _passengers(pnr: Pnr) -> list[Passenger]:
    """The passengers a booking just wrote, or those read with the PNR."""
    listed = getattr(pnr, "passenger_list", None)
    return listed if listed is not None else list(pnr.passengers.all())


TripSummarySerializer = inline_serializer(
    "PnrTrip",
    {
        "id": serializers.IntegerField(),
        "number": serializers.CharField(),
        "name": serializers.CharField(),
        "service_date": serializers.DateField(),
        "company": serializers.CharField(),
    },
)


@extend_schema_serializer(component_name="Pnr")
class PnrOutputSerializer(serializers.ModelSerializer):
    pnr = serializers.CharField(source="number")
    status = serializers.SerializerMethodField(
        help_text="CNF, RAC or WL when every active passenger has it; PARTIAL when mixed; "
        "CAN when every passenger is cancelled."
    )
    trip = serializers.SerializerMethodField()
    vars()["from"] = StationSerializer(source="origin")
    vars()["to"] = StationSerializer(source="destination")
    vars()["class"] = serializers.CharField(source="class_code")
    departure = serializers.SerializerMethodField(help_text="Local time at `from`.")
    arrival = serializers.SerializerMethodField(help_text="Local time at `to`.")
    passengers = serializers.SerializerMethodField()

    class Meta:
        model = Pnr
        fields = [
            "pnr",
            "status",
            "trip",
            "from",
            "to",
            "class",
            "quota",
            "departure",
            "arrival",
            "distance_km",
            "total_fare",
            "currency",
            "created_at",
            "passengers",
        ]
        read_only_fields = fields

    def get_status(self, pnr: Pnr) -> str:
        return selectors.pnr_status(_passengers(pnr))

    @extend_schema_field(TripSummarySerializer)
    def get_trip(self, pnr: Pnr) -> dict:
        route = pnr.trip.route
        return {
            "id": pnr.trip_id,
            "number": route.number,
            "name": route.name,
            "service_date": pnr.trip.service_date.isoformat(),
            "company": route.company.name,
        }

    @extend_schema_field(PassengerOutputSerializer(many=True))
    def get_passengers(self, pnr: Pnr) -> list[dict]:
        return PassengerOutputSerializer(_passengers(pnr), many=True).data

    def get_departure(self, pnr: Pnr) -> str:
        return local_iso(pnr.departure_at, pnr.origin)

    def get_arrival(self, pnr: Pnr) -> str:
        return local_iso(pnr.arrival_at, pnr.destination)


@extend_schema_serializer(component_name="BookingPassengerRequest")
class PassengerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    age = serializers.IntegerField(min_value=0, max_value=125)
    gender = serializers.ChoiceField(choices=Gender.choices)
    berth_preference = serializers.ChoiceField(
        choices=BerthPreference.choices, required=False, default="", allow_blank=True
    )
    passport = serializers.CharField(
        max_length=20,
        required=False,
        default="",
        allow_blank=True,
        help_text="Passport number (foreign tourists).",
    )
    nationality = serializers.CharField(
        max_length=3,
        required=False,
        default="",
        allow_blank=True,
        help_text="Country, by its ISO 3166-1 alpha-2 (GB) "
        "or alpha-3 (GBR) code, any case; kept "
        "as alpha-2 (foreign tourists).",
    )

    coach = serializers.CharField(
        max_length=8,
        required=False,
        default="",
        allow_blank=True,
        help_text="Coach of the seat asked for, as the seat map shows it (e.g. S1); with `seat`.",
    )
    seat = serializers.CharField(
        max_length=8,
        required=False,
        default="",
        allow_blank=True,
        help_text="Number of the seat asked for, as the seat map "
        "shows it (e.g. 12); with `coach`. Given if still "
        "free for this booking, else the passenger is "
        "seated as usual.",
    )

    def validate_nationality(self, value: str) -> str:
        try:
            return rules.country_code(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


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
        return selectors.pnrs_for_user(self.request.user)

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
            passengers=[
                PassengerIn(
                    name=p["name"],
                    age=p["age"],
                    gender=p["gender"],
                    berth_preference=p["berth_preference"],
                    passport_number=p["passport"],
                    nationality=p["nationality"],
                    coach=p["coach"],
                    seat=p["seat"],
                )
                for p in values["passengers"]
            ],
            only_if_all_confirmed=values["only_if_all_confirmed"],
            only_in_one_coach=values["only_in_one_coach"],
            idempotency_record=self.idempotency_record,
        )
        # Answered from what the booking wrote: the trip class's lock is held until the
        # idempotency record commits with this answer, so nothing is read back.
        selectors.new_pnr_positions(pnr)
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
            found = selectors.pnr_get_for_user(request.user, pnr)
        except Pnr.DoesNotExist:
            raise NotFound("You have no PNR with this number.") from None
        return Response(PnrOutputSerializer(found).data)


# --- Cancellation ---------------------------------------------------------------------------------


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
        return selectors.pnr_get_for_user(request.user, number)
    except Pnr.DoesNotExist:
        raise NotFound("You have no PNR with this number.") from None


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
        fresh = selectors.pnr_get_for_user(request.user, pnr)
        return Response(CancellationSerializer(cancellation, context={"pnr": fresh}).data)
