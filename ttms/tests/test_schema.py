"""The OpenAPI schema at /api/schema/ tells the truth: real answers match what it documents
(status code, content type, body), and every operation documents the errors its make can
answer, in the one error shape."""

from datetime import timedelta

import pytest
import requests
import schemathesis
from django.core.management import call_command
from schemathesis.core.transport import Response as SchemathesisResponse

from booking.sales.services.create import booking_create
from booking.tests.factories import adult, funded_user, make_trip
from fleet.models import TripStatus
from fleet.tests.factories import staff_user
from payments.tests.factories import PaymentFactory
from ttms.accounts.models import Role
from ttms.accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema_document(django_db_blocker) -> dict:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def openapi(schema_document):
    return schemathesis.openapi.from_dict(schema_document)


def assert_documented(schema_document, openapi, template: str, response) -> None:
    """`response` (to `template`, e.g. /api/v1/bookings/{pnr}/) has a status code and a
    content type its operation documents, and a body its schema allows."""
    request = response.wsgi_request
    method = request.method.lower()
    operation = schema_document["paths"][template][method]
    status = str(response.status_code)
    assert status in operation["responses"], (method, template, status)
    media_type = response["Content-Type"].split(";")[0].strip()
    assert media_type in operation["responses"][status]["content"], (template, status, media_type)
    openapi[template][method.upper()].validate_response(
        SchemathesisResponse(
            status_code=response.status_code,
            headers={name.lower(): [value] for name, value in response.headers.items()},
            content=response.content,
            request=requests.Request(
                method.upper(), f"http://testserver{request.get_full_path()}"
            ).prepare(),
            elapsed=0.0,
            verify=True,
        )
    )


@pytest.fixture
def world(db):
    """A boarding trip with its driver, its company's admin, and one passenger's PNR."""
    trip = make_trip()
    trip.status = TripStatus.BOARDING
    trip.save(update_fields=["status"])
    driver = staff_user(trip.route.company, role=Role.DRIVER)
    trip.drivers.add(driver)
    holder = funded_user()
    pnr = booking_create(
        user=holder,
        trip_id=trip.pk,
        origin_code="ST1",
        destination_code="ST4",
        class_code="SL",
        quota="GENERAL",
        passengers=[adult()],
        now=trip.departure_at - timedelta(days=2),
    )
    return {
        "trip": trip,
        "driver": driver,
        "holder": holder,
        "pnr": pnr,
        "admin": staff_user(trip.route.company),
    }


def _as(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_my_bookings_answer_the_documented_page_envelope(
    api_client, world, schema_document, openapi
):
    response = _as(api_client, world["holder"]).get("/api/v1/bookings/")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [p["pnr"] for p in response.json()["results"]] == [world["pnr"].number]
    assert_documented(schema_document, openapi, "/api/v1/bookings/", response)


def test_driver_trips_answer_the_documented_page_envelope(
    api_client, world, schema_document, openapi
):
    response = _as(api_client, world["driver"]).get("/api/v1/driver/trips/")

    assert response.status_code == 200
    assert [t["id"] for t in response.json()["results"]] == [world["trip"].pk]
    assert_documented(schema_document, openapi, "/api/v1/driver/trips/", response)


@pytest.mark.parametrize(
    "path", ["/api/v1/operator/trips/", "/api/v1/operator/vehicles/", "/api/v1/operator/routes/"]
)
def test_operator_lists_answer_the_documented_page_envelope(
    api_client, world, path, schema_document, openapi
):
    response = _as(api_client, world["admin"]).get(path)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["next"] is None
    assert_documented(schema_document, openapi, path, response)


def test_a_trip_without_a_vehicle_answers_as_documented(
    api_client, world, schema_document, openapi
):
    trip = world["trip"]
    trip.vehicle = None
    trip.save(update_fields=["vehicle"])

    response = _as(api_client, world["admin"]).get(f"/api/v1/operator/trips/{trip.pk}/")

    assert response.status_code == 200
    assert response.json()["vehicle"] is None
    assert_documented(schema_document, openapi, "/api/v1/operator/trips/{id}/", response)


def test_the_answers_along_a_journey_match_the_schema(
    api_client, world, schema_document, openapi, settings
):
    settings.TTMS_PAYMENT_PROVIDERS = ["sandbox"]
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = "sandbox-test-secret"
    trip, pnr = world["trip"], world["pnr"].number
    passenger = world["pnr"].passengers.get().pk
    qr = _as(api_client, world["holder"]).get(f"/api/v1/bookings/{pnr}/tickets/").json()[0]
    stations = {"from": "ST1", "to": "ST4"}
    steps = [
        ("holder", "get", "/api/v1/auth/me/", None, 200),
        ("holder", "get", "/api/v1/stations/", {"q": "ST"}, 200),
        ("holder", "get", "/api/v1/trips/search/", {**stations, "date": "2030-01-07"}, 200),
        ("holder", "get", "/api/v1/trips/{id}/seats/", {**stations, "class": "SL"}, 200),
        ("holder", "get", "/api/v1/bookings/{pnr}/", None, 200),
        ("holder", "get", "/api/v1/bookings/{pnr}/refund-quote/", None, 200),
        ("holder", "get", "/api/v1/bookings/{pnr}/tickets/", None, 200),
        ("holder", "get", "/api/v1/bookings/{pnr}/tickets/{passenger}/qr.png", None, 200),
        ("holder", "get", "/api/v1/bookings/{pnr}/tickets/{passenger}/qr.svg", None, 200),
        ("holder", "get", "/api/v1/tickets/keys/", None, 200),
        ("holder", "get", "/api/v1/wallet/", None, 200),
        ("holder", "get", "/api/v1/wallet/transactions/", None, 200),
        ("holder", "post", "/api/v1/wallet/topups/", {"amount": 5000}, 201),
        ("driver", "get", "/api/v1/driver/trips/{id}/manifest/", None, 200),
        ("driver", "post", "/api/v1/driver/scan/", {"trip": trip.pk, "qr": qr["qr"]}, 200),
        (
            "driver",
            "post",
            "/api/v1/driver/trips/{id}/scans/",
            {
                "device": "phone-1",
                "scans": [
                    {"nonce": "n-1", "qr": qr["qr"], "scanned_at": "2030-01-07T07:40:00+05:30"}
                ],
            },
            200,
        ),
        ("driver", "post", "/api/v1/driver/trips/{id}/start/", None, 200),
        ("admin", "get", "/api/v1/operator/trips/{id}/", None, 200),
        ("admin", "get", "/api/v1/operator/vehicles/{vehicle}/", None, 200),
        ("admin", "get", "/api/v1/operator/routes/{route}/", None, 200),
        ("holder", "post", "/api/v1/bookings/{pnr}/cancel/", {}, 409),
    ]
    names = {
        "{id}": trip.pk,
        "{pnr}": pnr,
        "{passenger}": passenger,
        "{vehicle}": trip.vehicle_id,
        "{route}": trip.route_id,
    }
    answered = []
    for who, method, template, data, _expected in steps:
        path = template
        for name, value in names.items():
            path = path.replace(name, str(value))
        client = _as(api_client, world[who])
        kwargs = (
            {"format": "json", "headers": {"Idempotency-Key": template}} if method == "post" else {}
        )
        response = getattr(client, method)(path, data, **kwargs)
        answered.append((template, response.status_code))
        documented = template.replace("{vehicle}", "{id}").replace("{route}", "{id}")
        assert_documented(schema_document, openapi, documented, response)

    assert answered == [(template, expected) for _, _, template, _, expected in steps]


def test_a_page_past_the_end_is_a_documented_404(api_client, world, schema_document, openapi):
    response = _as(api_client, world["admin"]).get("/api/v1/operator/trips/", {"page": 9})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert_documented(schema_document, openapi, "/api/v1/operator/trips/", response)


def test_a_completed_top_up_has_a_documented_null_next_action(
    api_client, schema_document, openapi, settings
):
    settings.TTMS_PAYMENT_PROVIDERS = ["sandbox"]
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = "sandbox-test-secret"
    payment = PaymentFactory()
    client = _as(api_client, payment.user)

    response = client.post(
        f"/api/v1/payments/sandbox/{payment.pk}/complete/", {"outcome": "approve"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "succeeded"
    assert response.json()["next_action"] is None
    assert_documented(
        schema_document, openapi, "/api/v1/payments/sandbox/{payment_id}/complete/", response
    )


def test_a_body_too_large_is_a_documented_413(api_client, settings, schema_document, openapi):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = api_client.post("/api/v1/auth/register/", {"full_name": "x" * 200}, format="json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert_documented(schema_document, openapi, "/api/v1/auth/register/", response)


def test_a_body_of_another_media_type_is_a_documented_415(api_client, schema_document, openapi):
    response = api_client.post("/api/v1/auth/register/", "<user/>", content_type="application/xml")

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert_documented(schema_document, openapi, "/api/v1/auth/register/", response)


def test_signing_in_is_a_documented_401(api_client, schema_document, openapi):
    response = api_client.get("/api/v1/bookings/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert_documented(schema_document, openapi, "/api/v1/bookings/", response)


def test_a_passenger_on_the_operator_api_is_a_documented_403(api_client, schema_document, openapi):
    response = _as(api_client, UserFactory()).get("/api/v1/operator/trips/")

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": "Only operator staff can use this.",
        "fields": {},
    }
    assert_documented(schema_document, openapi, "/api/v1/operator/trips/", response)


def test_a_missing_qr_image_is_a_documented_json_404(api_client, schema_document, openapi):
    response = _as(api_client, UserFactory()).get("/api/v1/bookings/1234567890/tickets/1/qr.png")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert_documented(
        schema_document, openapi, "/api/v1/bookings/{pnr}/tickets/{passenger}/qr.png", response
    )


def test_an_invalid_list_item_is_a_documented_400(api_client, world, schema_document, openapi):
    pnr = world["pnr"].number

    response = _as(api_client, world["holder"]).get(
        f"/api/v1/bookings/{pnr}/refund-quote/", {"passengers": "1,x"}
    )

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "passengers": {"1": ["A valid integer is required."]}
    }
    assert_documented(schema_document, openapi, "/api/v1/bookings/{pnr}/refund-quote/", response)


def test_a_refreshed_token_that_is_not_one_is_a_documented_401(
    api_client, schema_document, openapi
):
    response = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": "not-a-token"}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"
    assert_documented(schema_document, openapi, "/api/v1/auth/token/refresh/", response)


def _operations(schema_document):
    for path, item in schema_document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


def test_every_error_answer_is_the_one_error_shape_in_json(schema_document):
    for path, method, operation in _operations(schema_document):
        for status, answer in operation["responses"].items():
            if status >= "400":
                assert answer["content"] == {"application/json": {"schema": {"$ref": ERROR_REF}}}, (
                    path,
                    method,
                    status,
                )
                assert answer["description"], (path, method, status)


def test_every_operation_documents_the_errors_of_its_make(schema_document):
    for path, method, operation in _operations(schema_document):
        codes = set(operation["responses"])
        parameters = operation.get("parameters", [])
        public = {} in operation.get("security", [{}])
        where = (method, path)
        if not public:
            assert "401" in codes, where
        if any(p["in"] == "path" for p in parameters):
            assert "404" in codes, where
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, where
        if any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters):
            assert {"400", "409", "422"} <= codes, where
        if any(p["in"] == "query" and p["name"] == "page" for p in parameters):
            assert "404" in codes, where


def test_the_documented_errors_of_some_operations(schema_document):
    def codes(path, method):
        return sorted(schema_document["paths"][path][method]["responses"])

    assert codes("/api/v1/bookings/", "post") == [
        "201",
        "400",
        "401",
        "403",
        "409",
        "413",
        "415",
        "422",
        "429",
        "503",
    ]
    assert codes("/api/v1/bookings/", "get") == ["200", "401", "404"]
    assert codes("/api/v1/operator/trips/{id}/", "patch") == [
        "200",
        "400",
        "401",
        "403",
        "404",
        "409",
        "413",
        "415",
    ]
    assert codes("/api/v1/operator/vehicles/", "get") == ["200", "401", "403", "404"]
    assert codes("/api/v1/stations/", "get") == ["200", "400", "401"]
    assert codes("/api/v1/payments/webhooks/{provider}/", "post") == [
        "200",
        "400",
        "401",
        "404",
        "413",
        "415",
    ]
    assert codes("/api/v1/auth/register/", "post") == ["201", "400", "413", "415", "429"]
    assert codes("/api/v1/tickets/keys/", "get") == ["200", "401"]


def test_the_schema_is_valid_and_warning_free(tmp_path):
    call_command(
        "spectacular", validate=True, fail_on_warn=True, file=str(tmp_path / "schema.yaml")
    )

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.0.3")
