"""OpenAPI pieces shared by every app's views, and the AutoSchema that documents the errors
every operation can answer.

Views document their own success answer and the errors only they know (a rule's 409, a
trip's 404). `AutoSchema` adds, from what the view is made of, the errors that any view of
that make can answer, in the one error shape: 401 where a credential is read, 403 where a
permission can refuse or a session needs its CSRF token, 404 where the path names
something or a page is asked for, 400 where a body or a filter is read (and 413/415 where
a body is too large or of another media type), 429 where a throttle counts, and
400/409/422 where an Idempotency-Key is taken. The answers are those
of `ttms.api.errors.exception_handler`, always JSON, even where the view renders images.
"""

from collections import defaultdict

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(help_text="Stable, for programs."),
                "message": serializers.CharField(help_text="A sentence for people."),
                "fields": serializers.DictField(
                    help_text=(
                        "Field name -> what is wrong with it: a list of messages, or for a "
                        "nested field or a list item, the same shape again."
                    )
                ),
                "retry_after": serializers.IntegerField(
                    required=False, help_text="429: seconds to wait before retrying."
                ),
            },
        )
    },
)

ERROR_MEDIA_TYPE = "application/json"

# Query parameters of the page envelope (ttms.api.pagination): a page past the end, or
# not a number, is a 404; `page_size` is capped, never refused.
PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        OpenApiTypes.INT,
        required=False,
        description="A page number within the paginated result set.",
    ),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        required=False,
        description="Number of results to return per page (at most 100).",
    ),
]


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


def paginated(serializer_class: type[serializers.BaseSerializer]) -> serializers.Serializer:
    """The page envelope of `ttms.api.pagination.PageNumberPagination` around a list of
    `serializer_class`, named as drf-spectacular names its own (Paginated<Name>List), for
    views that paginate by hand: spectacular only sees a view's `pagination_class`."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return inline_serializer(
        name=f"Paginated{name}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's AutoSchema, plus the errors documented as the module says."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code, reasons in self._error_reasons(operation).items():
            if code in responses:
                # The view's own words stand; a cause of another kind is added to them.
                known = responses[code].get("description", "")
                extra = [
                    text for text, topic in reasons if topic and topic.lower() not in known.lower()
                ]
                responses[code]["description"] = _either([known, *extra])
            else:
                responses[code] = self._get_response_for_code(
                    error_response(_either([text for text, _ in reasons])),
                    code,
                    media_types=[ERROR_MEDIA_TYPE],
                )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def get_filter_backends(self):
        # django-filter filters only a view that names its filterset; asking any other list
        # view for its model would run its get_queryset, which needs a signed-in user.
        backends = super().get_filter_backends()
        if getattr(self.view, "filterset_class", None) or getattr(
            self.view, "filterset_fields", None
        ):
            return backends
        return [b for b in backends if not issubclass(b, DjangoFilterBackend)]

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        # Errors leave through the exception handler as JSON whatever the view renders
        # (the QR images' renderers switch to JSON for them).
        if not media_types and str(status_code)[:1] in ("4", "5"):
            media_types = [ERROR_MEDIA_TYPE]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _error_reasons(self, operation: dict) -> dict[str, list[tuple[str, str | None]]]:
        """Status code -> (reason, topic) of the errors this operation can answer. A reason
        with a topic is added to a code the view documents unless its words name the
        topic already; one without (a bad body, an unknown id) is what the view's own
        words say better."""
        view, method = self.view, self.method
        reasons: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
        parameters = operation.get("parameters", [])
        query = {p["name"] for p in parameters if p["in"] == "query"}
        writes = method not in ("GET", "HEAD", "OPTIONS")

        authenticators = view.get_authenticators()
        checks = view.get_permissions()
        needs_user = any(not isinstance(p, permissions.AllowAny) for p in checks)
        if authenticators:
            reasons["401"].append(
                ("Not signed in, or the bearer token is invalid or expired", None)
                if needs_user
                else (
                    "The bearer token is invalid or expired (send none: this operation is public)",
                    "token",
                )
            )
        elif needs_user:
            reasons["403"].append(("Not signed in", None))
        if any(
            not isinstance(p, (permissions.AllowAny, permissions.IsAuthenticated)) for p in checks
        ):
            reasons["403"].append(("Your role does not allow this", "role"))
        if writes and any(isinstance(a, SessionAuthentication) for a in authenticators):
            reasons["403"].append(("Signed in by session without a valid CSRF token", "CSRF"))

        if any(p["in"] == "path" for p in parameters):
            reasons["404"].append(("Nothing at this address, or nothing of yours", None))
        if "page" in query:
            reasons["404"].append(("No such page", "page"))

        if "requestBody" in operation:
            reasons["400"].append(("The body is not valid", None))
            reasons["413"].append(("The body is larger than the server accepts", None))
            reasons["415"].append(("The body is not of a media type this operation reads", None))
        if query - {"page", "page_size"}:
            reasons["400"].append(("A query parameter is not valid", None))

        if self._throttled():
            reasons["429"].append(("Too many requests: retry after `retry_after` seconds", None))

        handler = getattr(view, method.lower(), None)
        if getattr(handler, "idempotency_scope", None):
            topic = "Idempotency-Key"
            reasons["400"].append(("No Idempotency-Key, or one too long", topic))
            reasons["409"].append(("A request with this Idempotency-Key is still running", topic))
            reasons["422"].append(("This Idempotency-Key was used for a different request", topic))
        return reasons

    def _throttled(self) -> bool:
        # get_throttles may look at the request's method: the schema's mock request has it.
        return bool(self.view.get_throttles())


def _either(reasons: list[str]) -> str:
    """ "A; or b; or c": the causes of one status code, in one description."""
    reasons = [r for r in reasons if r]
    return "; or ".join([reasons[0], *(r[:1].lower() + r[1:] for r in reasons[1:])])


class JWTScheme(SimpleJWTScheme):
    """Simple JWT's security scheme, for its subclass that activates the user's language."""

    target_class = "ttms.api.authentication.JWTAuthentication"
