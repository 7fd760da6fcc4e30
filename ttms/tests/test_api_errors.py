import pytest
from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound

from ttms.api.errors import exception_handler
from ttms.exceptions import DomainError

pytestmark = pytest.mark.django_db


class SeatTaken(DomainError):
    code = "seat_taken"
    default_message = "That seat has just been sold."


def test_unknown_api_address_gives_json_404_in_error_shape(api_client):
    response = api_client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"error": {
        "code": "not_found", "message": "Nothing is at this address.", "fields": {},
    }}


def test_unknown_page_gives_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()


def test_wrong_method_gives_405_in_error_shape(api_client):
    response = api_client.get("/api/v1/auth/token/")

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_malformed_json_gives_400_in_error_shape(api_client):
    response = api_client.post("/api/v1/auth/token/", data="{not json",
                               content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_domain_error_keeps_its_code_status_and_message():
    response = exception_handler(SeatTaken(fields={"seat": ["S1-23"]}), {})

    assert response.status_code == 409
    assert response.data == {"error": {
        "code": "seat_taken", "message": "That seat has just been sold.",
        "fields": {"seat": ["S1-23"]},
    }}


def test_django_validation_error_becomes_400_with_fields():
    response = exception_handler(ValidationError({"age": ["Must be at least 1."]}), {})

    assert response.status_code == 400
    assert response.data == {"error": {
        "code": "invalid", "message": "Some fields are not valid.",
        "fields": {"age": ["Must be at least 1."]},
    }}


def test_non_field_validation_error_becomes_the_message():
    response = exception_handler(ValidationError("Pick another date."), {})

    assert response.status_code == 400
    assert response.data["error"]["message"] == "Pick another date."
    assert response.data["error"]["fields"] == {}


def test_not_found_keeps_drf_code():
    response = exception_handler(NotFound("No such PNR."), {})

    assert response.status_code == 404
    assert response.data == {"error": {"code": "not_found", "message": "No such PNR.",
                                       "fields": {}}}


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
