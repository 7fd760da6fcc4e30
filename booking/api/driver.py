"""Driver API: the trips a driver is assigned to, their status (boarding, start,
complete), ticket scans online, and the manifest and scan upload for scanning offline.

Every trip here is one the signed-in user is assigned to drive; any other answers 404."""

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from fleet.api.serializers import StationSerializer, local_iso
from fleet.models import Station, Trip, TripStatus
from fleet.selectors import station_get_by_code
from fleet.services import trip_advance
from ttms.api.schema import error_response

from ..boarding.selectors import driver_trip_get, driver_trips
from ..boarding.services.issue import trip_manifest
from ..boarding.services.scans import OfflineScan, scans_upload, ticket_scan
from ..models import ScanResult

MAX_UPLOAD = 500


def _trip(request, pk: int, *, detail: bool = False) -> Trip:
    try:
        return driver_trip_get(request.user, pk, detail=detail)
    except Trip.DoesNotExist:
        raise NotFound(gettext("You are not assigned to a trip with this id.")) from None


def _ends(trip: Trip) -> tuple[Station, Station]:
    stops = sorted(trip.route.stops.all(), key=lambda stop: stop.sequence)
    return stops[0].station, stops[-1].station


@extend_schema_serializer(component_name="DriverTrip")
class DriverTripSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.CharField(source="route.number")
    name = serializers.CharField(source="route.name")
    company = serializers.CharField(source="route.company.name")
    service_date = serializers.DateField()
    status = serializers.CharField()
    vehicle = serializers.CharField(source="vehicle.code", allow_null=True, default=None)
    vars()["from"] = serializers.SerializerMethodField()
    vars()["to"] = serializers.SerializerMethodField()
    departure = serializers.SerializerMethodField(help_text="From the first stop, local time.")
    arrival = serializers.SerializerMethodField(help_text="At the last stop, local time.")
    tickets = serializers.IntegerField(required=False, help_text="Confirmed and RAC passengers.")
    boarded = serializers.IntegerField(required=False)

    @extend_schema_field(StationSerializer)
    def get_from(self, trip) -> dict:
        return StationSerializer(_ends(trip)[0]).data

    @extend_schema_field(StationSerializer)
    def get_to(self, trip) -> dict:
        return StationSerializer(_ends(trip)[1]).data

    def get_departure(self, trip) -> str:
        return local_iso(trip.departure_at, _ends(trip)[0])

    def get_arrival(self, trip) -> str:
        return local_iso(trip.arrival_at, _ends(trip)[1])


class DriverTripListView(GenericAPIView):
    """The trips the signed-in driver is assigned to that are today's or ahead (under way,
    boarding, or arriving no earlier than 12 hours ago and leaving within 7 days), soonest
    first, with how many tickets each has and how many have boarded."""

    serializer_class = DriverTripSerializer

    def get_queryset(self):
        return driver_trips(self.request.user)

    @extend_schema(operation_id="driver_trips_list", responses=DriverTripSerializer(many=True))
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DriverTripSerializer(page, many=True).data)


class _TripStatusView(APIView):
    to_status: str = ""
    via: tuple[str, ...] = ()

    @extend_schema(
        request=None,
        responses={
            200: DriverTripSerializer,
            404: error_response("Not your trip"),
            409: error_response("Not allowed from the trip's status"),
        },
    )
    def post(self, request, pk: int):
        trip_advance(
            trip=_trip(request, pk), to_status=self.to_status, via=self.via, by=request.user
        )
        return Response(DriverTripSerializer(_trip(request, pk, detail=True)).data)


class DriverTripBoardingView(_TripStatusView):
    """Open boarding: a `scheduled` trip becomes `boarding`. Asked again, or later, it
    changes nothing."""

    to_status = TripStatus.BOARDING


class DriverTripStartView(_TripStatusView):
    """Start the trip: it becomes `departed` (through `boarding` when still `scheduled`).
    Passengers at later stops keep boarding with their tickets."""

    to_status = TripStatus.DEPARTED
    via = (TripStatus.BOARDING,)


class DriverTripCompleteView(_TripStatusView):
    """Complete the trip: a `departed` trip becomes `arrived`."""

    to_status = TripStatus.ARRIVED


# --- Scans ----------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ScannedTicket")
class ScannedTicketSerializer(serializers.Serializer):
    pnr = serializers.CharField(source="pnr.number")
    passenger = serializers.IntegerField(source="pk")
    index = serializers.IntegerField()
    name = serializers.CharField()
    age = serializers.IntegerField()
    gender = serializers.CharField()
    status = serializers.CharField()
    vars()["class"] = serializers.CharField(source="pnr.class_code")
    coach = serializers.CharField(source="seat.coach.code", allow_null=True, default=None)
    seat = serializers.CharField(source="seat.number", allow_null=True, default=None)
    vars()["from"] = serializers.CharField(source="pnr.origin.code")
    vars()["to"] = serializers.CharField(source="pnr.destination.code")


@extend_schema_serializer(component_name="BoardingRecord")
class BoardingSerializer(serializers.Serializer):
    at = serializers.SerializerMethodField(help_text="Local time where it was scanned.")
    by = serializers.SerializerMethodField(help_text="The driver who scanned it.")
    station = StationSerializer(allow_null=True)
    device = serializers.CharField(source="scan.device")

    def get_at(self, boarding) -> str:
        return local_iso(boarding.boarded_at, boarding.station or boarding.passenger.pnr.origin)

    def get_by(self, boarding) -> str:
        return boarding.boarded_by.full_name or boarding.boarded_by.email


@extend_schema_serializer(component_name="ScanAnswer")
class ScanOutcomeSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=ScanResult.choices)
    message = serializers.CharField(help_text="What to tell the driver.")
    scan = serializers.IntegerField(source="scan.pk")
    nonce = serializers.CharField(source="scan.nonce")
    scanned_at = serializers.DateTimeField(source="scan.scanned_at")
    ticket = ScannedTicketSerializer(source="passenger", allow_null=True)
    boarding = BoardingSerializer(
        allow_null=True,
        help_text="Who boarded the passenger, when and where (valid and already_boarded).",
    )
    duplicate = serializers.BooleanField(
        help_text="This nonce was uploaded before: the first answer, nothing changed."
    )
    conflict = serializers.SerializerMethodField(
        help_text="Another scan also let this ticket in; the company is told."
    )

    def get_conflict(self, outcome) -> bool:
        return outcome.conflict is not None


class StationCodeField(serializers.CharField):
    """A station code in, the Station out (a 400 naming the code when there is none)."""

    def run_validation(self, data=serializers.empty):
        code = super().run_validation(data)
        if code is None or code == "":
            return None
        try:
            return station_get_by_code(code)
        except Station.DoesNotExist:
            raise serializers.ValidationError(
                gettext("No station has the code {code!r}.").format(code=code)
            ) from None


class ScanView(APIView):
    """Scan a ticket on a trip you drive. The answer (200) says `valid` (the passenger is
    now boarded, atomically: of simultaneous scans of one ticket exactly one is valid),
    `already_boarded` (when, where, by whom), `cancelled`, `wrong_trip`, `not_yet_valid`,
    `expired`, `invalid_signature` or `malformed`, with a sentence for the driver."""

    @extend_schema_serializer(component_name="ScanRequest")
    class InputSerializer(serializers.Serializer):
        trip = serializers.IntegerField(min_value=1, help_text="The trip being boarded.")
        qr = serializers.CharField(
            max_length=8192,
            allow_blank=True,
            trim_whitespace=False,
            help_text="The QR's text, as read.",
        )
        station = StationCodeField(
            max_length=64,
            required=False,
            allow_null=True,
            default=None,
            help_text="Station code where scanned.",
        )
        device = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: ScanOutcomeSerializer,
            400: error_response("Bad request"),
            404: error_response("Not your trip"),
            503: error_response("Busy: scan again"),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        trip = _trip(request, values["trip"])
        outcome = ticket_scan(
            trip=trip,
            driver=request.user,
            qr=values["qr"],
            station=values["station"],
            device=values["device"],
        )
        return Response(ScanOutcomeSerializer(outcome).data)


# --- Offline --------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ManifestTicket")
class ManifestTicketSerializer(serializers.Serializer):
    pnr = serializers.CharField(source="pnr.number")
    passenger = serializers.IntegerField(source="ticket.passenger.pk")
    index = serializers.IntegerField(source="ticket.passenger.index")
    name = serializers.CharField(source="ticket.passenger.name")
    age = serializers.IntegerField(source="ticket.passenger.age")
    gender = serializers.CharField(source="ticket.passenger.gender")
    status = serializers.CharField(source="ticket.passenger.status")
    vars()["class"] = serializers.CharField(source="pnr.class_code")
    coach = serializers.CharField(source="ticket.body.coach")
    seat = serializers.CharField(source="ticket.body.seat")
    vars()["from"] = serializers.CharField(source="pnr.origin.code")
    vars()["to"] = serializers.CharField(source="pnr.destination.code")
    qr = serializers.CharField(source="ticket.token", help_text="The ticket as issued now.")
    boarded_at = serializers.DateTimeField(
        source="boarding.boarded_at", allow_null=True, default=None
    )


@extend_schema_serializer(component_name="Manifest")
class ManifestSerializer(serializers.Serializer):
    trip = DriverTripSerializer()
    generated_at = serializers.DateTimeField()
    public_keys = serializers.ListField(
        child=serializers.DictField(),
        help_text=("The Ed25519 keys that verify tickets: kid, algorithm, public_key (Base64url)."),
    )
    revocations = serializers.CharField(
        help_text=(
            "The revocation list, signed: TR1.<kid>.<body>.<ed25519> (docs/tickets.md); the "
            "body lists the passenger ids of cancelled tickets (r), the trip (t), and when (at)."
        )
    )
    tickets = ManifestTicketSerializer(source="entries", many=True)


class ManifestView(APIView):
    """Everything a scanner needs to check this trip's tickets offline: the tickets
    (confirmed and RAC passengers, each with its QR text and whether they boarded), the
    public keys, and the signed revocation list of cancelled tickets."""

    @extend_schema(responses={200: ManifestSerializer, 404: error_response("Not your trip")})
    def get(self, request, pk: int):
        trip = _trip(request, pk, detail=True)
        return Response(ManifestSerializer(trip_manifest(trip)).data)


@extend_schema_serializer(component_name="OfflineScan")
class OfflineScanSerializer(serializers.Serializer):
    nonce = serializers.CharField(max_length=64, help_text="Unique per scan (a UUID).")
    qr = serializers.CharField(max_length=8192, allow_blank=True, trim_whitespace=False)
    scanned_at = serializers.DateTimeField(help_text="When scanned (the device's clock).")
    station = StationCodeField(max_length=64, required=False, allow_null=True, default=None)
    result = serializers.ChoiceField(
        choices=ScanResult.choices,
        required=False,
        default="",
        allow_blank=True,
        help_text="What the device answered offline.",
    )


class ScanUploadView(APIView):
    """Upload scans a device made offline on this trip, in batches (at most 500). Each scan
    carries the device's own id for it (`nonce`): uploading a scan again returns its first
    answer and changes nothing. When devices let one ticket in twice, the earliest scan
    boards the passenger and the other is answered `already_boarded` with `conflict`,
    and reported to the company."""

    @extend_schema_serializer(component_name="ScanUpload")
    class InputSerializer(serializers.Serializer):
        device = serializers.CharField(max_length=64, help_text="The scanning device's id.")
        scans = OfflineScanSerializer(many=True, allow_empty=False, max_length=MAX_UPLOAD)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: ScanOutcomeSerializer(many=True),
            400: error_response("Bad request"),
            404: error_response("Not your trip"),
            503: error_response("Busy: upload the same batch again"),
        },
    )
    def post(self, request, pk: int):
        trip = _trip(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        outcomes = scans_upload(
            trip=trip,
            driver=request.user,
            device=values["device"],
            scans=[
                OfflineScan(
                    nonce=s["nonce"],
                    qr=s["qr"],
                    scanned_at=s["scanned_at"],
                    station=s["station"],
                    device_result=s["result"],
                )
                for s in values["scans"]
            ],
        )
        return Response(ScanOutcomeSerializer(outcomes, many=True).data)
