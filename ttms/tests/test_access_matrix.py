"""Who may do what: every API endpoint and every admin change list, asked by every role,
answers exactly the status code written in the tables below.

The roles, around one bus trip of one company (a PNR of one passenger on it):

    anon     nobody signed in
    holder   the passenger who holds the PNR
    pass2    another passenger
    driver   a driver of the company assigned to the trip
    driver2  a driver of the company not assigned to it
    agent    a station agent of the company
    staff    the company's admin
    staff2   another company's admin
    platf    a platform admin

The API is asked with each role's JWT (bearer), the admin and the HTML page with a signed-in
session. A read is asked by every role of one world; a write gets a world of its own per
role, so that no cell depends on another's writes.

An endpoint or admin model without a row fails the suite: the tables are compared with the
URL resolver and the admin site's registry.
"""

import itertools
import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from booking.models import BoardingScan, Passenger, Pnr
from booking.sales.services.create import booking_create
from booking.tests.factories import adult, funded_user, make_trip
from fleet.models import Company, Trip
from fleet.services import standard_layout, travel_class_standard, vehicle_create
from fleet.tests.factories import CompanyFactory, staff_user
from payments.models import Entry, Payment, WebhookEvent
from payments.tests.factories import PaymentFactory, fund_wallet
from payments.topups.providers.sandbox import SandboxProvider
from ttms.accounts.models import Role, User
from ttms.accounts.tests.factories import PASSWORD, UserFactory
from ttms.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

SANDBOX_SECRET = "access-matrix-sandbox-secret"

ROLES = ("anon", "holder", "pass2", "driver", "driver2", "agent", "staff", "staff2", "platf")

# Rows: method and path (parameters as {name}); columns: ROLES; cells: the status code.
API = """
                                                         anon holder  pass2 driver driver2  agent  staff staff2  platf
POST  /api/v1/auth/register/                              201    201    201    201    201    201    201    201    201
POST  /api/v1/auth/token/                                 200    200    200    200    200    200    200    200    200
POST  /api/v1/auth/token/refresh/                         200    200    200    200    200    200    200    200    200
GET   /api/v1/auth/me/                                    401    200    200    200    200    200    200    200    200
GET   /api/v1/stations/                                   200    200    200    200    200    200    200    200    200
GET   /api/v1/trips/search/                               200    200    200    200    200    200    200    200    200
GET   /api/v1/trips/{pk}/seats/                           200    200    200    200    200    200    200    200    200
GET   /api/v1/bookings/                                   401    200    200    200    200    200    200    200    200
POST  /api/v1/bookings/                                   401    201    201    201    201    201    201    201    201
GET   /api/v1/bookings/{pnr}/                             401    200    404    404    404    404    404    404    404
GET   /api/v1/bookings/{pnr}/refund-quote/                401    200    404    404    404    404    404    404    404
POST  /api/v1/bookings/{pnr}/cancel/                      401    200    404    404    404    404    404    404    404
GET   /api/v1/bookings/{pnr}/tickets/                     401    200    404    200    404    200    200    404    200
GET   /api/v1/bookings/{pnr}/tickets/{passenger}/qr.png   401    200    404    200    404    200    200    404    200
GET   /api/v1/bookings/{pnr}/tickets/{passenger}/qr.svg   401    200    404    200    404    200    200    404    200
GET   /api/v1/tickets/keys/                               200    200    200    200    200    200    200    200    200
GET   /api/v1/driver/trips/                               401    200    200    200    200    200    200    200    200
POST  /api/v1/driver/trips/{pk}/boarding/                 401    404    404    200    404    404    404    404    404
POST  /api/v1/driver/trips/{pk}/start/                    401    404    404    200    404    404    404    404    404
POST  /api/v1/driver/trips/{pk}/complete/                 401    404    404    409    404    404    404    404    404
GET   /api/v1/driver/trips/{pk}/manifest/                 401    404    404    200    404    404    404    404    404
POST  /api/v1/driver/trips/{pk}/scans/                    401    404    404    200    404    404    404    404    404
POST  /api/v1/driver/scan/                                401    404    404    200    404    404    404    404    404
GET   /api/v1/operator/trips/                             401    403    403    200    200    200    200    200    200
GET   /api/v1/operator/trips/{pk}/                        401    403    403    200    200    200    200    404    200
PATCH /api/v1/operator/trips/{pk}/                        401    403    403    403    403    403    200    404    200
POST  /api/v1/operator/trips/{pk}/status/                 401    403    403    403    403    403    200    404    200
POST  /api/v1/operator/trips/{pk}/vehicle/                401    403    403    403    403    403    200    404    200
GET   /api/v1/operator/vehicles/                          401    403    403    200    200    200    200    200    200
GET   /api/v1/operator/vehicles/{pk}/                     401    403    403    200    200    200    200    404    200
GET   /api/v1/operator/routes/                            401    403    403    200    200    200    200    200    200
GET   /api/v1/operator/routes/{pk}/                       401    403    403    200    200    200    200    404    200
GET   /api/v1/wallet/                                     401    200    200    200    200    200    200    200    200
GET   /api/v1/wallet/transactions/                        401    200    200    200    200    200    200    200    200
POST  /api/v1/wallet/topups/                              401    201    201    201    201    201    201    201    201
GET   /api/v1/wallet/topups/{payment_id}/                 401    200    404    404    404    404    404    404    404
POST  /api/v1/payments/webhooks/{provider}/               200    200    200    200    200    200    200    200    200
POST  /api/v1/payments/sandbox/{payment_id}/complete/     401    200    404    404    404    404    404    404    404
GET   /api/v1/payments/sandbox/{payment_id}/              302    200    404    404    404    404    404    404    404
GET   /api/schema/                                        200    200    200    200    200    200    200    200    200
GET   /api/docs/                                          200    200    200    200    200    200    200    200    200
"""  # noqa: E501

# Rows: the admin change list of each registered model (app_label.model).
ADMIN = """
                                                         anon holder  pass2 driver driver2  agent  staff staff2  platf
auth.group                                                302    302    302    302    302    302    403    403    200
accounts.user                                             302    302    302    302    302    302    403    403    200
notifications.outboxmessage                               302    302    302    302    302    302    403    403    200
audit.auditentry                                          302    302    302    302    302    302    200    200    200
fleet.company                                             302    302    302    302    302    302    200    200    200
fleet.companymembership                                   302    302    302    302    302    302    200    200    200
fleet.station                                             302    302    302    302    302    302    200    200    200
fleet.travelclass                                         302    302    302    302    302    302    200    200    200
fleet.seatlayout                                          302    302    302    302    302    302    200    200    200
fleet.vehicle                                             302    302    302    302    302    302    200    200    200
fleet.coach                                               302    302    302    302    302    302    200    200    200
fleet.route                                               302    302    302    302    302    302    200    200    200
fleet.trip                                            302    302    302    302    302    302    200    200    200
booking.farerule                                          302    302    302    302    302    302    200    200    200
booking.pnr                                               302    302    302    302    302    302    200    200    200
booking.tripclass                                         302    302    302    302    302    302    200    200    200
booking.chart                                             302    302    302    302    302    302    200    200    200
booking.boardingscan                                      302    302    302    302    302    302    200    200    200
booking.boardingconflict                                  302    302    302    302    302    302    200    200    200
payments.account                                          302    302    302    302    302    302    200    200    200
payments.transaction                                      302    302    302    302    302    302    200    200    200
payments.entry                                            302    302    302    302    302    302    200    200    200
payments.payment                                          302    302    302    302    302    302    403    403    200
payments.webhookevent                                     302    302    302    302    302    302    403    403    200
payments.idempotencyrecord                                302    302    302    302    302    302    403    403    200
"""  # noqa: E501


def _table(text: str) -> dict[str, dict[str, int]]:
    """The rows of a table: key (all but the last len(ROLES) words) -> role -> status."""
    lines = [line.split() for line in text.strip().splitlines()]
    assert tuple(lines[0]) == ROLES, lines[0]
    table = {}
    for words in lines[1:]:
        key = " ".join(words[: -len(ROLES)])
        assert key not in table, f"two rows for {key}"
        table[key] = dict(zip(ROLES, map(int, words[-len(ROLES) :]), strict=True))
    return table


API_TABLE = _table(API)
ADMIN_TABLE = _table(ADMIN)


# --- The world --------------------------------------------------------------------------------

_worlds = itertools.count(1)


@dataclass
class World:
    trip: object
    pnr: object
    payment: object
    users: dict = field(default_factory=dict)
    spare_vehicle: object = None


def build_world() -> World:
    n = next(_worlds)
    company = CompanyFactory(kind=Company.Kind.BUS)
    trip = make_trip(
        company=company,
        coaches=(("C1", "STANDARD"),),
        stops=3,
        departure=timezone.now().replace(microsecond=0) + timedelta(days=2),
        code_prefix=f"W{n}S",
    )
    holder = funded_user()
    driver = staff_user(company, role=Role.DRIVER)
    trip.drivers.add(driver)
    users = {
        "anon": None,
        "holder": holder,
        "pass2": funded_user(),
        "driver": driver,
        "driver2": staff_user(company, role=Role.DRIVER),
        "agent": staff_user(company, role=Role.AGENT),
        "staff": staff_user(company),
        "staff2": staff_user(CompanyFactory(kind=Company.Kind.BUS)),
        "platf": UserFactory(role=Role.PLATFORM_ADMIN, is_staff=True, is_superuser=True),
    }
    pnr = booking_create(
        user=holder,
        trip_id=trip.pk,
        origin_code=f"W{n}S1",
        destination_code=f"W{n}S3",
        class_code="STANDARD",
        quota="GENERAL",
        passengers=[adult("Asha", 34, "F")],
    )
    spare = vehicle_create(
        company=company,
        code=f"SPARE-{n}",
        kind="bus",
        coaches=[
            ("C1", travel_class_standard(code="STANDARD"), standard_layout(kind="BUS22", rows=10))
        ],
    )
    return World(
        trip=trip, pnr=pnr, payment=PaymentFactory(user=holder), users=users, spare_vehicle=spare
    )


def _station(world: World, index: int) -> str:
    return world.trip.route.stops.get(sequence=index).station.code


def _passenger(world: World) -> int:
    return world.pnr.passengers.get().pk


def _fund(user) -> None:
    if user is not None:
        fund_wallet(user, 1_000_000)


def _signed_webhook(world: World) -> dict:
    body, headers = SandboxProvider().build_event(payment=world.payment, approve=True)
    return {
        "data": body,
        "content_type": "application/json",
        "headers": {k: v for k, v in headers.items() if k != "Content-Type"},
    }


def _key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


# What each API row asks: (world, the role's user) -> method's path and arguments. A row
# may prepare what its request needs (money to book with).
def _book(w, user):
    _fund(user)
    return {
        "path": "/api/v1/bookings/",
        "headers": _key(),
        "data": {
            "trip": w.trip.pk,
            "from": _station(w, 1),
            "to": _station(w, 3),
            "class": "STANDARD",
            "passengers": [{"name": "Mira", "age": 30, "gender": "F"}],
        },
    }


REQUESTS = {
    "POST /api/v1/auth/register/": lambda w, u: {
        "path": "/api/v1/auth/register/",
        "data": {
            "email": f"new-{uuid.uuid4().hex[:8]}@example.com",
            "password": "a-long-new-passw0rd",
            "full_name": "New Passenger",
        },
    },
    "POST /api/v1/auth/token/": lambda w, u: {
        "path": "/api/v1/auth/token/",
        "data": {"email": w.users["holder"].email, "password": PASSWORD},
    },
    "POST /api/v1/auth/token/refresh/": lambda w, u: {
        "path": "/api/v1/auth/token/refresh/",
        "data": {"refresh": str(RefreshToken.for_user(w.users["holder"]))},
    },
    "GET /api/v1/auth/me/": lambda w, u: {"path": "/api/v1/auth/me/"},
    "GET /api/v1/stations/": lambda w, u: {"path": "/api/v1/stations/", "data": {"q": "W"}},
    "GET /api/v1/trips/search/": lambda w, u: {
        "path": "/api/v1/trips/search/",
        "data": {
            "from": _station(w, 1),
            "to": _station(w, 3),
            "date": timezone.localtime(
                w.trip.departure_at, w.trip.route.stops.get(sequence=1).station.tzinfo
            ).date(),
        },
    },
    "GET /api/v1/trips/{pk}/seats/": lambda w, u: {
        "path": f"/api/v1/trips/{w.trip.pk}/seats/",
        "data": {"from": _station(w, 1), "to": _station(w, 3), "class": "STANDARD"},
    },
    "GET /api/v1/bookings/": lambda w, u: {"path": "/api/v1/bookings/"},
    "POST /api/v1/bookings/": _book,
    "GET /api/v1/bookings/{pnr}/": lambda w, u: {"path": f"/api/v1/bookings/{w.pnr.number}/"},
    "GET /api/v1/bookings/{pnr}/refund-quote/": lambda w, u: {
        "path": f"/api/v1/bookings/{w.pnr.number}/refund-quote/"
    },
    "POST /api/v1/bookings/{pnr}/cancel/": lambda w, u: {
        "path": f"/api/v1/bookings/{w.pnr.number}/cancel/",
        "data": {},
        "headers": _key(),
    },
    "GET /api/v1/bookings/{pnr}/tickets/": lambda w, u: {
        "path": f"/api/v1/bookings/{w.pnr.number}/tickets/"
    },
    "GET /api/v1/bookings/{pnr}/tickets/{passenger}/qr.png": lambda w, u: {
        "path": f"/api/v1/bookings/{w.pnr.number}/tickets/{_passenger(w)}/qr.png"
    },
    "GET /api/v1/bookings/{pnr}/tickets/{passenger}/qr.svg": lambda w, u: {
        "path": f"/api/v1/bookings/{w.pnr.number}/tickets/{_passenger(w)}/qr.svg"
    },
    "GET /api/v1/tickets/keys/": lambda w, u: {"path": "/api/v1/tickets/keys/"},
    "GET /api/v1/driver/trips/": lambda w, u: {"path": "/api/v1/driver/trips/"},
    "POST /api/v1/driver/trips/{pk}/boarding/": lambda w, u: {
        "path": f"/api/v1/driver/trips/{w.trip.pk}/boarding/"
    },
    "POST /api/v1/driver/trips/{pk}/start/": lambda w, u: {
        "path": f"/api/v1/driver/trips/{w.trip.pk}/start/"
    },
    "POST /api/v1/driver/trips/{pk}/complete/": lambda w, u: {
        "path": f"/api/v1/driver/trips/{w.trip.pk}/complete/"
    },
    "GET /api/v1/driver/trips/{pk}/manifest/": lambda w, u: {
        "path": f"/api/v1/driver/trips/{w.trip.pk}/manifest/"
    },
    "POST /api/v1/driver/trips/{pk}/scans/": lambda w, u: {
        "path": f"/api/v1/driver/trips/{w.trip.pk}/scans/",
        "data": {
            "device": "phone-1",
            "scans": [
                {"nonce": "n-1", "qr": "not a ticket", "scanned_at": timezone.now().isoformat()}
            ],
        },
    },
    "POST /api/v1/driver/scan/": lambda w, u: {
        "path": "/api/v1/driver/scan/",
        "data": {"trip": w.trip.pk, "qr": "not a ticket"},
    },
    "GET /api/v1/operator/trips/": lambda w, u: {"path": "/api/v1/operator/trips/"},
    "GET /api/v1/operator/trips/{pk}/": lambda w, u: {
        "path": f"/api/v1/operator/trips/{w.trip.pk}/"
    },
    "PATCH /api/v1/operator/trips/{pk}/": lambda w, u: {
        "path": f"/api/v1/operator/trips/{w.trip.pk}/",
        "data": {"reason": "checked"},
    },
    "POST /api/v1/operator/trips/{pk}/status/": lambda w, u: {
        "path": f"/api/v1/operator/trips/{w.trip.pk}/status/",
        "data": {"status": "boarding"},
    },
    "POST /api/v1/operator/trips/{pk}/vehicle/": lambda w, u: {
        "path": f"/api/v1/operator/trips/{w.trip.pk}/vehicle/",
        "data": {"vehicle": w.spare_vehicle.pk},
    },
    "GET /api/v1/operator/vehicles/": lambda w, u: {"path": "/api/v1/operator/vehicles/"},
    "GET /api/v1/operator/vehicles/{pk}/": lambda w, u: {
        "path": f"/api/v1/operator/vehicles/{w.trip.vehicle_id}/"
    },
    "GET /api/v1/operator/routes/": lambda w, u: {"path": "/api/v1/operator/routes/"},
    "GET /api/v1/operator/routes/{pk}/": lambda w, u: {
        "path": f"/api/v1/operator/routes/{w.trip.route_id}/"
    },
    "GET /api/v1/wallet/": lambda w, u: {"path": "/api/v1/wallet/"},
    "GET /api/v1/wallet/transactions/": lambda w, u: {"path": "/api/v1/wallet/transactions/"},
    "POST /api/v1/wallet/topups/": lambda w, u: {
        "path": "/api/v1/wallet/topups/",
        "data": {"amount": 10_000},
        "headers": _key(),
    },
    "GET /api/v1/wallet/topups/{payment_id}/": lambda w, u: {
        "path": f"/api/v1/wallet/topups/{w.payment.pk}/"
    },
    "POST /api/v1/payments/webhooks/{provider}/": lambda w, u: {
        "path": "/api/v1/payments/webhooks/sandbox/",
        **_signed_webhook(w),
    },
    "POST /api/v1/payments/sandbox/{payment_id}/complete/": lambda w, u: {
        "path": f"/api/v1/payments/sandbox/{w.payment.pk}/complete/",
        "data": {"outcome": "approve"},
    },
    "GET /api/v1/payments/sandbox/{payment_id}/": lambda w, u: {
        "path": f"/api/v1/payments/sandbox/{w.payment.pk}/",
        "session": True,
    },
    "GET /api/schema/": lambda w, u: {"path": "/api/schema/"},
    "GET /api/docs/": lambda w, u: {"path": "/api/docs/"},
}


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.TTMS_PAYMENT_PROVIDERS = ["sandbox"]
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = SANDBOX_SECRET


def _client(user, *, session: bool) -> APIClient:
    client = APIClient()
    if user is None:
        return client
    if session:
        client.force_login(user)
    else:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _state() -> tuple:
    """What a refused request must leave as it was. Idempotency records are not in it: a
    refusal inside an idempotent handler is recorded, so that a retry gets it again."""
    return (
        User.objects.count(),
        list(Pnr.objects.values_list("pk", flat=True).order_by("pk")),
        list(Passenger.objects.values_list("pk", "status", "seat_id").order_by("pk")),
        list(Payment.objects.values_list("pk", "status").order_by("pk")),
        Entry.objects.count(),
        list(Trip.objects.values_list("pk", "status", "vehicle_id").order_by("pk")),
        list(Trip.drivers.through.objects.values_list("pk", flat=True).order_by("pk")),
        BoardingScan.objects.count(),
        WebhookEvent.objects.count(),
        AuditEntry.objects.count(),
    )


def _ask(row: str, world: World, role: str) -> int:
    method, _ = row.split(" ", 1)
    user = world.users[role]
    request = REQUESTS[row](world, user)
    client = _client(user, session=request.pop("session", False))
    path = request.pop("path")
    data = request.pop("data", None)
    kwargs = {"format": "json"} if method != "GET" and "content_type" not in request else {}
    response = getattr(client, method.lower())(path, data, **kwargs, **request)
    return response.status_code


# --- The tables against the site -------------------------------------------------------------


def _routes(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


def _template(route: str) -> str:
    """api/v1/bookings/<pnr:pnr>/ -> /api/v1/bookings/{pnr}/"""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _api_endpoints() -> set[str]:
    found = set()
    for route, callback in _routes(get_resolver()):
        if not route.startswith("api/"):
            continue
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        methods = (
            [m.upper() for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
            if view
            else ["GET"]
        )
        found |= {f"{method} {_template(route)}" for method in methods}
    return found


def test_every_api_endpoint_has_a_row():
    assert set(API_TABLE) == _api_endpoints()
    assert set(API_TABLE) == set(REQUESTS)


def test_every_admin_model_has_a_row():
    assert set(ADMIN_TABLE) == {model._meta.label_lower for model in admin.site._registry}


# --- The cells ---------------------------------------------------------------------------------

_READS = [row for row in API_TABLE if row.startswith("GET ")]
_WRITES = [row for row in API_TABLE if not row.startswith("GET ")]


@pytest.mark.parametrize("row", _READS)
def test_who_may_read(row):
    world = build_world()
    before = _state()

    answers = {role: _ask(row, world, role) for role in ROLES}

    assert answers == API_TABLE[row]
    assert _state() == before


@pytest.mark.parametrize("row", _WRITES)
def test_who_may_write(row):
    answers, refused_but_wrote = {}, []
    for role in ROLES:
        world = build_world()
        before = _state()
        answers[role] = _ask(row, world, role)
        if answers[role] >= 400 and _state() != before:
            refused_but_wrote.append(role)

    assert answers == API_TABLE[row]
    assert refused_but_wrote == []


@pytest.mark.parametrize("model", list(ADMIN_TABLE))
def test_who_may_open_the_admin_change_list(model):
    world = build_world()
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")

    answers = {
        role: _client(world.users[role], session=True).get(url).status_code for role in ROLES
    }

    assert answers == ADMIN_TABLE[model]
