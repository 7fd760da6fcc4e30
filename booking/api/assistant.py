"""The passenger assistant over the API: a trip asked in plain words, answered with the
structured query understood, the trips with their availability and fares and a link to each
class's seat map, or one question back."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from fleet.api.serializers import StationSerializer, local_iso
from ttms.api.schema import error_response
from ttms.localtime import today

from .. import rules
from ..assistant.answer import MAX_TEXT, AssistantInputError, assistant_answer


@extend_schema_serializer(component_name="AssistantQuery")
class QuerySerializer(serializers.Serializer):
    """`TripQuery.as_json()`: what the assistant understood."""

    origin = serializers.CharField(allow_null=True, help_text="Station code.")
    destination = serializers.CharField(allow_null=True, help_text="Station code.")
    date = serializers.DateField(allow_null=True, help_text="Travel date; null: today.")
    after = serializers.CharField(
        allow_null=True, help_text="Leaving at or after HH:MM, the origin's local time."
    )
    before = serializers.CharField(
        allow_null=True, help_text="Leaving before HH:MM, the origin's local time."
    )
    vars()["class"] = serializers.CharField(allow_null=True, help_text="Class code.")
    quota = serializers.CharField(allow_null=True, help_text="Quota code; null: General.")
    passengers = serializers.IntegerField(min_value=1, max_value=6)
    sort = serializers.ChoiceField(choices=["cheapest", "fastest"], allow_null=True)
    direct = serializers.BooleanField()


@extend_schema_serializer(component_name="AssistantChoice")
class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField(
        help_text="Send it back as `answers[field]` to re-ask with it applied."
    )
    label = serializers.CharField()


@extend_schema_serializer(component_name="AssistantQuestion")
class QuestionSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="origin, destination, date or passengers.")
    text = serializers.CharField()
    choices = ChoiceSerializer(many=True, help_text="Empty: a free answer.")


@extend_schema_serializer(component_name="AssistantClass")
class ClassOfferSerializer(serializers.Serializer):
    vars()["class"] = serializers.CharField(source="class_code")
    class_name = serializers.CharField(source="label")
    status = serializers.CharField(help_text="What a booking made now would get.")
    free = serializers.IntegerField(
        help_text="Seats free for the journey in the asked quota (General seats included)."
    )
    fits = serializers.BooleanField(help_text="Seats free for every passenger asked.")
    fare = serializers.IntegerField(
        allow_null=True, help_text="Per passenger, minor units of `currency`; null: not on sale."
    )
    currency = serializers.CharField()
    fare_text = serializers.CharField(help_text="The fare as shown, e.g. RWF 2,500.")
    url = serializers.CharField(
        help_text="The seat map page with stations, class, quota and passengers filled in."
    )


@extend_schema_serializer(component_name="AssistantTrip")
class TripAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="option.trip.pk")
    number = serializers.CharField(source="option.trip.route.number")
    name = serializers.CharField(source="option.trip.route.name")
    company = serializers.CharField(source="option.trip.route.company.name")
    departure = serializers.SerializerMethodField(help_text="Local time with offset.")
    arrival = serializers.SerializerMethodField(help_text="Local time with offset.")
    departure_text = serializers.CharField(help_text="As shown, the zone named.")
    arrival_text = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    classes = ClassOfferSerializer(many=True)

    def get_departure(self, row) -> str:
        return local_iso(row.option.departure_at, row.option.origin)

    def get_arrival(self, row) -> str:
        return local_iso(row.option.arrival_at, row.option.destination)


@extend_schema_serializer(component_name="AssistantAnswer")
class AnswerSerializer(serializers.Serializer):
    query = serializers.SerializerMethodField()
    message = serializers.CharField(help_text="One sentence summing up the answer.")
    question = QuestionSerializer(allow_null=True, help_text="Asked back when unsure.")
    unknown = serializers.ListField(
        child=serializers.CharField(), help_text="Words that were not understood."
    )
    trips = TripAnswerSerializer(many=True)
    other_departures = serializers.BooleanField(
        help_text="True: nothing leaves in the asked window; `trips` are that day's others."
    )
    notes = serializers.ListField(
        child=serializers.CharField(), help_text="Sentences shown after the trips."
    )
    origin = StationSerializer(allow_null=True)
    destination = StationSerializer(allow_null=True)
    results_url = serializers.CharField(
        help_text="The results page of the search; empty with a question."
    )

    @extend_schema_field(QuerySerializer)
    def get_query(self, answer) -> dict:
        return answer.query.as_json()


class AssistantSearchView(APIView):
    """A trip asked in plain words ("bus kigali to musanze tomorrow evening for 2", "kal
    Delhi se Howrah 3A"), answered with the structured query understood and the trips the
    results page would list for it (narrowed to the asked time of day, class and seats for
    every passenger; the day's other departures when none leaves then), each class with its
    availability, fare and seat-map link; or one question back (`question`), answered by
    sending the same text with `answers`. A configured language model only fills the query,
    which is validated; nothing it writes is shown. Signed in, the origin defaults to the
    station of the user's last booking."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "assistant"

    @extend_schema_serializer(component_name="AssistantSearch")
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=MAX_TEXT)
        date = serializers.DateField(
            required=False,
            help_text="The asker's today, which 'tomorrow' and weekdays count from; default: "
            "today in the site's display time zone.",
        )
        answers = serializers.DictField(
            child=serializers.CharField(max_length=64),
            required=False,
            help_text="Answers to a question: field -> a choice's value "
            '(e.g. {"origin": "RW-NYB"}).',
        )

        def validate_date(self, value):
            if not rules.SEARCH_FIRST_DATE <= value <= rules.SEARCH_LAST_DATE:
                raise serializers.ValidationError(gettext("Choose a date from 1900 to 2999."))
            return value

    @extend_schema(
        request=InputSerializer,
        responses={
            200: AnswerSerializer,
            400: error_response("Empty or too long text, or an unusable answer"),
            429: error_response("Too many questions; retry later"),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        try:
            answer = assistant_answer(
                text=params["text"],
                user=request.user,
                today=params.get("date") or today(settings.TTMS_DISPLAY_TIME_ZONE),
                language=translation.get_language(),
                answers=params.get("answers"),
            )
        except AssistantInputError as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from None
        return Response(AnswerSerializer(answer).data)
