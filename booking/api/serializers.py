"""A PNR as the API shows it (its passengers' statuses, seats and queue positions), and a
passenger as a booking asks for one."""

from drf_spectacular.utils import (
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers

from fleet.api.serializers import StationSerializer, local_iso

from .. import rules
from ..models import (
    BerthPreference,
    Gender,
    Passenger,
    Pnr,
)
from ..sales.selectors.pnrs import pnr_status
from ..sales.services.precheck import PassengerIn


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
        return pnr_status(_passengers(pnr))

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


def passengers_in(passengers: list[dict]) -> list[PassengerIn]:
    """The booking services' passengers from `PassengerInputSerializer`'s validated data."""
    return [
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
        for p in passengers
    ]
