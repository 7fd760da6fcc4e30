"""The API's one error shape: {"error": {"code": ..., "message": ..., "fields": {...}}}."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ttms.exceptions import DomainError


def error_body(code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def _first_message(detail) -> str:
    if isinstance(detail, list | tuple):
        return _first_message(detail[0]) if detail else ""
    if isinstance(detail, dict):
        return _first_message(next(iter(detail.values()))) if detail else ""
    return str(detail)


def _validation_body(exc: exceptions.ValidationError) -> dict:
    detail = exc.detail
    if isinstance(detail, dict):
        fields = {k: v for k, v in detail.items() if k not in ("non_field_errors", "__all__")}
        general = detail.get("non_field_errors") or detail.get("__all__")
        message = _first_message(general) if general else gettext("Some fields are not valid.")
        return error_body("invalid", message, fields)
    return error_body("invalid", _first_message(detail) or gettext("The request is not valid."))


def _too_large_body() -> dict:
    return error_body(
        "too_large",
        gettext("The request body is larger than this server accepts (%(limit)d bytes).")
        % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
    )


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every handled error leaves in the one shape."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        # Logged where Django's own handling would have logged it.
        logging.getLogger("django.security.RequestDataTooBig").error(str(exc))
        return Response(_too_large_body(), status=413)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
        return response

    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    code = getattr(exc, "default_code", "error")
    if isinstance(detail, dict):
        # simplejwt's token errors: {"detail": ..., "code": ..., "messages": [...]}
        code = str(detail.get("code", code))
        message = _first_message(detail.get("detail", detail))
    else:
        code = getattr(detail, "code", None) or code
        message = _first_message(detail)
    extra = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after"] = int(exc.wait)
    response.data = error_body(str(code), message, **extra)
    return response


def json_bad_request(request, exception=None):
    """handler400 of API addresses: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, any
    other request Django refuses (SuspiciousOperation) a 400."""
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse(_too_large_body(), status=413)
    return JsonResponse(
        error_body("bad_request", gettext("The request could not be understood.")), status=400
    )


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", gettext("Nothing is at this address.")), status=404)


def json_server_error(request):
    return JsonResponse(
        error_body(
            "server_error", gettext("Something went wrong on our side; it has been logged.")
        ),
        status=500,
    )
