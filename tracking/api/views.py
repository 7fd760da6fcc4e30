"""Tracking's REST API: the driver's fallback for sending fixes (one, or a batch recorded
offline) and the latest position of a trip for those who may watch it (docs/tracking.md)."""

from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from ttms.api.schema import error_response

from ..access import NO_TRIP, PUBLISH, SIGN_IN, trip_access
from ..exceptions import FixRefused
from ..fixes import fix_parse
from ..progress import public_status
from ..services.publish import fix_broadcast, fix_publish, trip_info_get
from ..store import position_store

MAX_BATCH = 500
ACCEPTED, DUPLICATE, REFUSED = "accepted", "duplicate", "refused"


class FixSerializer(serializers.Serializer):
    """A GPS fix as a publisher sends it (only its shape: `tracking.fixes.fix_parse` checks
    it)."""

    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)
    recorded_at = serializers.DateTimeField(
        required=False, help_text="When the device took it (ISO 8601 with an offset); default now."
    )
    speed_kmh = serializers.FloatField(required=False, allow_null=True)
    heading = serializers.FloatField(required=False, allow_null=True)
    accuracy_m = serializers.FloatField(required=False, allow_null=True)


class PositionOutSerializer(serializers.Serializer):
    trip_id = serializers.IntegerField()
    lat = serializers.FloatField()
    lon = serializers.FloatField()
    recorded_at = serializers.DateTimeField()
    speed_kmh = serializers.FloatField(allow_null=True)
    heading = serializers.FloatField(allow_null=True)
    accuracy_m = serializers.FloatField(allow_null=True)
    source = serializers.CharField()
    vehicle_id = serializers.IntegerField(allow_null=True)


class FixResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The fix's place in the request.")
    recorded_at = serializers.CharField(allow_null=True)
    result = serializers.CharField(help_text="accepted, duplicate or refused.")
    code = serializers.CharField(
        allow_null=True,
        help_text="Why refused: invalid, out_of_range, in_future, impossible_speed, "
        "trip_not_running.",
    )
    message = serializers.CharField(allow_null=True)
    fields = serializers.DictField()


class FixBatchResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = FixResultSerializer(many=True)


class TripPositionSerializer(serializers.Serializer):
    position = PositionOutSerializer()
    age_seconds = serializers.FloatField(help_text="Since the device took the fix.")
    status = serializers.DictField(
        allow_null=True, help_text="The running status (progress, next stop, ETAs, delay)."
    )


def _result(index, recorded_at, result, code=None, message=None, fields=None) -> dict:
    return {
        "index": index,
        "recorded_at": recorded_at,
        "result": result,
        "code": code,
        "message": message,
        "fields": fields or {},
    }


class DriverTripPositionsView(APIView):
    """Send the trip's positions when the WebSocket cannot: one fix, or `{"fixes": [...]}`
    (at most 500) recorded while offline. Fixes are applied in device-time order; one not
    newer than the trip's last is a `duplicate` (a batch sent twice changes nothing), a fix
    that cannot be true is `refused` with its reason; accepted fixes reach the trip's
    watchers as if sent on the socket. Only the trip's assigned driver; any other trip
    answers 404."""

    throttle_scope = "positions"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        operation_id="driver_trip_positions_create",
        request=FixSerializer,
        responses={
            200: FixBatchResultSerializer,
            400: error_response("Not a fix or a batch of fixes"),
            404: error_response("Not your trip"),
            429: error_response("Too many requests"),
        },
        examples=[
            OpenApiExample(
                "One fix",
                value={"lat": 12.97, "lon": 77.59, "recorded_at": "2026-11-21T10:00:00Z"},
                request_only=True,
            ),
            OpenApiExample(
                "A batch recorded offline",
                value={
                    "fixes": [
                        {"lat": 12.97, "lon": 77.59, "recorded_at": "2026-11-21T10:00:00Z"},
                        {"lat": 12.98, "lon": 77.60, "recorded_at": "2026-11-21T10:00:30Z"},
                    ]
                },
                request_only=True,
            ),
        ],
    )
    def post(self, request, pk: int):
        if trip_access(request.user, pk).role != PUBLISH:
            raise NotFound(gettext("You are not assigned to a trip with this id."))
        data = request.data
        items = data.get("fixes") if isinstance(data, dict) and "fixes" in data else [data]
        if not isinstance(items, list) or not items:
            raise ValidationError(gettext('Send one fix, or {"fixes": [...]} with at least one.'))
        if len(items) > MAX_BATCH:
            raise ValidationError(
                gettext("At most %(limit)d fixes a request.") % {"limit": MAX_BATCH}
            )
        results, parsed = [], []
        for index, item in enumerate(items):
            try:
                parsed.append((index, fix_parse(trip_id=pk, data=item)))
            except ValidationError as exc:
                fields = exc.message_dict if hasattr(exc, "error_dict") else {}
                raw = item.get("recorded_at") if isinstance(item, dict) else None
                results.append(
                    _result(
                        index,
                        raw if isinstance(raw, str) else None,
                        REFUSED,
                        "invalid",
                        exc.messages[0],
                        fields,
                    )
                )
        info = trip_info_get(pk)
        published = []
        for index, fix in sorted(parsed, key=lambda pair: (pair[1].recorded_at, pair[0])):
            when = fix.as_message()["recorded_at"]
            try:
                published.append(fix_publish(trip=info, fix=fix))
            except FixRefused as exc:
                if exc.code == "stale":
                    results.append(_result(index, when, DUPLICATE))
                else:
                    results.append(_result(index, when, REFUSED, exc.code, exc.message, exc.fields))
            else:
                results.append(_result(index, when, ACCEPTED))
        for one in published:
            async_to_sync(fix_broadcast)(one)
        results.sort(key=lambda r: r["index"])
        counts = {
            kind: sum(r["result"] == kind for r in results)
            for kind in (ACCEPTED, DUPLICATE, REFUSED)
        }
        return Response(
            {
                "accepted": counts[ACCEPTED],
                "duplicates": counts[DUPLICATE],
                "refused": counts[REFUSED],
                "results": results,
            }
        )


class TripPositionView(APIView):
    """The trip's latest position, its age and the running status, for those who may
    watch it (its driver, passengers holding a confirmed or RAC ticket, its operator's
    staff, platform admins; anyone when the operator's positions are public). 404 when
    no position is known (none yet, or none for TTMS_POSITION_TTL_SECONDS)."""

    permission_classes = [AllowAny]
    throttle_scope = "positions"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        operation_id="trip_position_retrieve",
        responses={
            200: TripPositionSerializer,
            401: error_response("Sign in to follow this trip"),
            403: error_response("Not one of the trip's passengers or staff"),
            404: error_response("No such trip, or no position known"),
        },
    )
    def get(self, request, pk: int):
        access = trip_access(request.user, pk)
        if access.refusal == NO_TRIP:
            raise NotFound(gettext("There is no such trip."))
        if access.refusal == SIGN_IN:
            raise NotAuthenticated(gettext("Sign in to follow this trip."))
        if access.role is None:
            raise PermissionDenied(
                gettext("Only this trip's driver, passengers and staff follow it.")
            )
        store = position_store()
        fix = store.latest(pk)
        if fix is None:
            raise NotFound(gettext("No position of this trip is known yet."))
        return Response(
            {
                "position": fix.as_message(),
                "age_seconds": round((timezone.now() - fix.recorded_at).total_seconds(), 1),
                "status": public_status(store.status(pk)),
            }
        )
