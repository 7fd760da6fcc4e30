"""The notifications API for the mobile app: the user's in-app list, marking read, and the
preferences. Thin views over the selectors and services."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from ttms.api.schema import error_response

from ..display import shown
from ..events import CHANNELS, EVENTS
from ..inbox import inbox_read_all, message_read
from ..models import OutboxMessage
from ..preferences import preferences_save
from ..selectors import inbox_for_user, message_get_for_user, preference_table


@extend_schema_serializer(component_name="Notification")
class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    topic = serializers.ChoiceField(
        choices=sorted(EVENTS), help_text='What happened, e.g. "passenger.promoted".'
    )
    title = serializers.CharField(help_text="One line, in the user's language.")
    text = serializers.CharField(help_text='The message; "" when the title says it all.')
    pnr = serializers.CharField(
        allow_null=True, help_text="The PNR it is about, if any: open the booking with it."
    )
    payload = serializers.DictField(help_text="The event's facts (keys per topic).")
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True, help_text="Null while unread.")
    unread = serializers.BooleanField()

    def to_representation(self, instance):
        item = shown(instance) if isinstance(instance, OutboxMessage) else instance
        return super().to_representation(
            {
                "id": item.id,
                "topic": item.topic,
                "title": item.title,
                "text": item.text,
                "pnr": item.pnr or None,
                "payload": item.payload,
                "created_at": item.created_at,
                "read_at": item.read_at,
                "unread": item.unread,
            }
        )


class NotificationListView(generics.ListAPIView):
    """The signed-in user's in-app notifications, newest first, paginated; `unread=1` for
    the unread ones only."""

    serializer_class = NotificationSerializer

    class FilterSerializer(serializers.Serializer):
        unread = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "unread",
                OpenApiTypes.BOOL,
                required=False,
                description="1 (or true): only the unread ones.",
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation, no user
            return OutboxMessage.objects.none()
        params = self.FilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return inbox_for_user(user=self.request.user, unread_only=params.validated_data["unread"])


class NotificationReadView(APIView):
    """Mark one of the user's notifications read (again: no change); answers it."""

    @extend_schema(
        request=None,
        responses={200: NotificationSerializer, 404: error_response("No such notification")},
    )
    def post(self, request, message_id):
        message = message_read(
            message=message_get_for_user(message_id=message_id, user=request.user)
        )
        return Response(NotificationSerializer(message).data)


class NotificationReadAllView(APIView):
    """Mark every unread notification of the user read."""

    @extend_schema_serializer(component_name="NotificationsReadAll")
    class OutputSerializer(serializers.Serializer):
        marked = serializers.IntegerField(help_text="How many were unread.")

    @extend_schema(request=None, responses={200: OutputSerializer})
    def post(self, request):
        return Response(self.OutputSerializer({"marked": inbox_read_all(user=request.user)}).data)


@extend_schema_serializer(component_name="NotificationChannelPreference")
class CellSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=CHANNELS)
    enabled = serializers.BooleanField()
    locked = serializers.BooleanField(
        help_text="True: cannot be turned off (a mandatory event's email and in-app)."
    )


@extend_schema_serializer(component_name="NotificationEventPreference")
class RowSerializer(serializers.Serializer):
    topic = serializers.CharField(source="event.topic")
    label = serializers.CharField(source="event.label", help_text="In the user's language.")
    audience = serializers.ChoiceField(source="event.audience", choices=["passenger", "operator"])
    optional = serializers.BooleanField(
        source="event.optional", help_text="False: goes by email and in-app whatever is chosen."
    )
    channels = CellSerializer(source="cells", many=True)


class NotificationPreferencesView(APIView):
    """Which events reach the user on which channel. PUT sets the cells it names (the
    others keep their setting); turning off a locked cell is a 400 (mandatory_event), an
    event the user is not told of or an unknown channel a 400 (unknown_event), and nothing
    is saved then."""

    @extend_schema_serializer(component_name="NotificationPreferences")
    class OutputSerializer(serializers.Serializer):
        preferences = RowSerializer(many=True)

    @extend_schema_serializer(component_name="NotificationPreferencesInput")
    class InputSerializer(serializers.Serializer):
        class ItemSerializer(serializers.Serializer):
            topic = serializers.CharField(max_length=40)
            channel = serializers.ChoiceField(choices=CHANNELS)
            enabled = serializers.BooleanField()

        preferences = ItemSerializer(many=True, max_length=len(EVENTS) * len(CHANNELS))

    def _answer(self, user) -> Response:
        return Response(self.OutputSerializer({"preferences": preference_table(user=user)}).data)

    @extend_schema(responses={200: OutputSerializer})
    def get(self, request):
        return self._answer(request.user)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: error_response(
                "Invalid body; an event you are not told of (unknown_event); or a mandatory "
                "event's email or in-app turned off (mandatory_event)"
            ),
        },
    )
    def put(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        choices = {
            (item["topic"], item["channel"]): item["enabled"]
            for item in data.validated_data["preferences"]
        }
        preferences_save(user=request.user, choices=choices)
        return self._answer(request.user)
