import json

import pytest
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, ValidationError
from django.test import RequestFactory, override_settings
from rest_framework.exceptions import NotFound

from ttms import urls
from ttms.accounts.models import User
from ttms.api.errors import exception_handler
from ttms.exceptions import DomainError

pytestmark = pytest.mark.django_db


class SeatTaken(DomainError):
    code = "seat_taken"
    default_message = "That seat has just been sold."


def test_unknown_api_address_gives_json_404_in_error_shape(api_client):
    response = api_client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "Nothing is at this address.",
            "fields": {},
        }
    }


def test_unknown_page_gives_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()


def test_wrong_method_gives_405_in_error_shape(api_client):
    response = api_client.get("/api/v1/auth/token/")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_malformed_json_gives_400_in_error_shape(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_domain_error_keeps_its_code_status_and_message():
    response = exception_handler(SeatTaken(fields={"seat": ["S1-23"]}), {})

    assert response.status_code == 409
    assert response.data == {
        "error": {
            "code": "seat_taken",
            "message": "That seat has just been sold.",
            "fields": {"seat": ["S1-23"]},
        }
    }


def test_django_validation_error_becomes_400_with_fields():
    response = exception_handler(ValidationError({"age": ["Must be at least 1."]}), {})

    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "invalid",
            "message": "Some fields are not valid.",
            "fields": {"age": ["Must be at least 1."]},
        }
    }


def test_non_field_validation_error_becomes_the_message():
    response = exception_handler(ValidationError("Pick another date."), {})

    assert response.status_code == 400
    assert response.data["error"]["message"] == "Pick another date."
    assert response.data["error"]["fields"] == {}


def test_not_found_keeps_drf_code():
    response = exception_handler(NotFound("No such PNR."), {})

    assert response.status_code == 404
    assert response.data == {
        "error": {"code": "not_found", "message": "No such PNR.", "fields": {}}
    }


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/auth/token/" in schema.content
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn.jsdelivr" not in html and "unpkg" not in html


def test_admin_login_page_is_served(client):
    assert client.get("/admin/login/").status_code == 200


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_api_body_over_the_upload_limit_gets_413_in_error_shape(api_client):
    body = {"email": "big@example.com", "password": "a-long-travel-pass", "full_name": "x" * 2000}

    response = api_client.post("/api/v1/auth/register/", data=body, format="json")

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "too_large",
            "message": "The request body is larger than this server accepts (1000 bytes).",
            "fields": {},
        }
    }
    assert not User.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_api_form_over_the_upload_limit_gets_413_in_error_shape(api_client):
    body = {"email": "big@example.com", "password": "a-long-travel-pass", "full_name": "x" * 2000}

    response = api_client.post("/api/v1/auth/register/", data=body, format="multipart")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert not User.objects.exists()


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_page_form_over_the_upload_limit_gets_the_sites_400_page(client):
    response = client.post(
        "/accounts/signup/", {"email": "big@example.com", "full_name": "x" * 2000}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "<h1>Bad request</h1>" in html
    assert 'href="/"' in html
    assert not User.objects.exists()


def test_a_bad_request_outside_a_view_on_an_api_address_is_json():
    request = RequestFactory().post("/api/v1/auth/register/")
    too_big = urls.handler400(request, RequestDataTooBig("too big"))
    suspicious = urls.handler400(request, SuspiciousOperation("odd"))

    assert too_big.status_code == 413
    assert json.loads(too_big.content)["error"]["code"] == "too_large"
    assert suspicious.status_code == 400
    assert json.loads(suspicious.content) == {
        "error": {
            "code": "bad_request",
            "message": "The request could not be understood.",
            "fields": {},
        }
    }
