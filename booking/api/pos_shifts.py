"""The POS app's shift at the counter: open it with a float, close it with the cash
counted, and see the one open now. Station agents only (anyone else: 403); each agent
sees and changes only their own shift. Amounts in minor units of the company's currency;
times in the station's time zone (named in `time_zone`)."""

from zoneinfo import ZoneInfo

from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from fleet.models import Station
from fleet.selectors import station_get_by_code
from payments.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from ttms import money
from ttms.api.schema import error_response

from ..models import Shift
from ..pos.services.shifts import (
    NOTE_MAX,
    InvalidShift,
    shift_close,
    shift_current,
    shift_expected,
    shift_membership,
    shift_open,
    shift_tolerance,
)


def _zone(shift: Shift) -> str:
    return shift.station.time_zone if shift.station else shift.company.time_zone


def _local(moment, shift: Shift) -> str | None:
    return moment.astimezone(ZoneInfo(_zone(shift))).isoformat() if moment else None


@extend_schema_serializer(component_name="PosShift")
class ShiftSerializer(serializers.ModelSerializer):
    company = serializers.CharField(source="company.name")
    station = serializers.CharField(source="station.code", allow_null=True, default=None)
    time_zone = serializers.SerializerMethodField(help_text="The station's (else company's).")
    opened_at = serializers.SerializerMethodField(help_text="Local time, offset included.")
    closed_at = serializers.SerializerMethodField(help_text="Local time; null while open.")
    float_amount = serializers.IntegerField(help_text="Minor units.")
    drawer_now = serializers.SerializerMethodField(
        help_text="While open: float + cash sales − cash refunds so far (minor units)."
    )
    tolerance = serializers.SerializerMethodField(
        help_text="A difference larger than this (minor units) is flagged."
    )

    class Meta:
        model = Shift
        fields = [
            "id",
            "company",
            "station",
            "time_zone",
            "currency",
            "opened_at",
            "closed_at",
            "float_amount",
            "drawer_now",
            "expected",
            "counted",
            "difference",
            "flagged",
            "tolerance",
        ]
        read_only_fields = fields

    def get_time_zone(self, shift: Shift) -> str:
        return _zone(shift)

    def get_opened_at(self, shift: Shift) -> str:
        return _local(shift.opened_at, shift)

    def get_closed_at(self, shift: Shift) -> str | None:
        return _local(shift.closed_at, shift)

    def get_drawer_now(self, shift: Shift) -> int | None:
        return None if shift.closed_at else shift_expected(shift)

    def get_tolerance(self, shift: Shift) -> int:
        return shift_tolerance(shift.currency)


def _agent(request):
    """The signed-in station agent; PosRefused (403) for anyone else."""
    shift_membership(request.user, None)
    return request.user


class _ShiftWriteView(APIView):
    throttle_scope = "booking"
    throttle_classes = [ScopedRateThrottle]


class ShiftOpenView(_ShiftWriteView):
    """Open the agent's shift with a float (cash from the company's cash office into the
    drawer) at a station (default: the agent's home station). One open shift per agent:
    a second is refused (409). A retry with the same Idempotency-Key replays the answer."""

    @extend_schema_serializer(component_name="PosShiftOpenRequest")
    class InputSerializer(serializers.Serializer):
        float_amount = serializers.IntegerField(
            min_value=0, max_value=money.MAX_AMOUNT, help_text="Minor units, zero or more."
        )
        station = serializers.CharField(
            max_length=64, required=False, help_text="Station code; default: home station."
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=InputSerializer,
        responses={
            201: ShiftSerializer,
            400: error_response("Invalid request"),
            403: error_response("Not a station agent"),
            409: error_response("A shift is already open"),
            503: error_response("Busy: retry with the same key"),
        },
    )
    @idempotent(scope="pos.shift_open")
    def post(self, request):
        agent = _agent(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        station = None
        if code := data.validated_data.get("station"):
            try:
                station = station_get_by_code(code)
            except Station.DoesNotExist:
                message = gettext("No station has this code.")
                raise InvalidShift(message, fields={"station": [message]}) from None
        shift = shift_open(
            agent=agent, float_amount=data.validated_data["float_amount"], station=station
        )
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


class ShiftCloseView(_ShiftWriteView):
    """Close the agent's open shift with the cash counted in the drawer: the answer gives
    what was expected (float + cash sales − cash refunds), the difference and whether it
    is flagged; the shift's cash is handed over to the company's cash office. A retry with
    the same Idempotency-Key replays the answer."""

    @extend_schema_serializer(component_name="PosShiftCloseRequest")
    class InputSerializer(serializers.Serializer):
        counted = serializers.IntegerField(
            min_value=0, max_value=money.MAX_AMOUNT, help_text="The cash counted, minor units."
        )
        note = serializers.CharField(
            max_length=NOTE_MAX, required=False, allow_blank=True, default=""
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        request=InputSerializer,
        responses={
            200: ShiftSerializer,
            400: error_response("Invalid request"),
            403: error_response("Not a station agent"),
            409: error_response("No shift open"),
            503: error_response("Busy: retry with the same key"),
        },
    )
    @idempotent(scope="pos.shift_close")
    def post(self, request):
        agent = _agent(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shift = shift_close(
            agent=agent, counted=data.validated_data["counted"], note=data.validated_data["note"]
        )
        return Response(ShiftSerializer(shift).data)


class ShiftCurrentView(APIView):
    """The agent's open shift, with what the drawer should hold now; 404 when none."""

    @extend_schema(
        responses={
            200: ShiftSerializer,
            403: error_response("Not a station agent"),
            404: error_response("No shift open"),
        }
    )
    def get(self, request):
        shift = shift_current(_agent(request))
        if shift is None:
            raise NotFound(gettext("You have no shift open."))
        return Response(ShiftSerializer(shift).data)
