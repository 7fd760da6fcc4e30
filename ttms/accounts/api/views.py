from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from ttms.api.schema import error_response

from ..models import User
from ..services import user_create
from ..throttling import LoginAttempts


class UserOutputSerializer(serializers.ModelSerializer):
    language = serializers.CharField(
        read_only=True,
        help_text='The language the user chose for pages, emails and API messages ("en", '
        '"hi"); "" follows Accept-Language.',
    )

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "phone", "role", "language", "date_joined"]
        read_only_fields = fields


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterView(APIView):
    """Create a passenger account and return it with a token pair."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(write_only=True, trim_whitespace=False)
        full_name = serializers.CharField(max_length=150)
        phone = serializers.CharField(
            max_length=32,
            required=False,
            allow_blank=True,
            help_text='As people write it ("+91 98765 43210", or "98765 43210" in the '
            "TTMS_PHONE_REGION country); stored and answered in E.164.",
        )

    class OutputSerializer(serializers.Serializer):
        user = UserOutputSerializer()
        access = serializers.CharField()
        refresh = serializers.CharField()

    @extend_schema(
        request=InputSerializer,
        responses={
            201: OutputSerializer,
            400: error_response("Invalid fields"),
            429: error_response("Too many sign-ups from this address"),
        },
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_create(**data.validated_data)
        refresh = RefreshToken.for_user(user)
        body = {"user": user, "access": str(refresh.access_token), "refresh": str(refresh)}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenObtainView(TokenObtainPairView):
    """Exchange email and password for an access and a refresh token.

    Repeated failures from one address or for one account are answered with 429.
    """

    @extend_schema(
        responses={
            200: TokenPairSerializer,
            401: error_response("Wrong credentials"),
            429: error_response("Too many failed attempts"),
        }
    )
    def post(self, request, *args, **kwargs):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        attempts = LoginAttempts(request, email if isinstance(email, str) else None)
        wait = attempts.retry_after()
        if wait is not None:
            raise Throttled(wait=wait, detail=_("Too many failed sign-in attempts."))
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            attempts.record_failure()
            raise
        attempts.record_success()
        return response


@extend_schema_view(
    post=extend_schema(
        responses={
            200: TokenRefreshSerializer,
            401: error_response("The refresh token is invalid, expired or revoked"),
        }
    )
)
class TokenRefreshView(TokenRefreshView):
    """Exchange a refresh token for a new access token."""


class MeView(APIView):
    """The signed-in user."""

    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request):
        return Response(UserOutputSerializer(request.user).data)
