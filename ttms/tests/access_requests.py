"""What the access matrix asks, and of what: a world of its own (one bus trip of one company, a
PNR of one passenger on it, a payment, a spare vehicle, and a user for each role), each API
row's request, a client signed in as a role (a JWT, or a session for the admin and the HTML
page), and the state a refused request must leave as it was."""

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

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
from ttms.notifications.models import OutboxMessage
from ttms.notifications.services import Message, outbox_add

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


def _holders_message(world: World) -> int:
    """An in-app message of the PNR's holder."""
    outbox_add(
        messages=[
            Message(
                "pnr.cancelled",
                world.users["holder"].pk,
                {"pnr": world.pnr.number},
                dedupe_key=f"access-matrix-{uuid.uuid4()}",
            )
        ]
    )
    return OutboxMessage.objects.filter(user=world.users["holder"]).latest("pk").pk


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


def _shift_to_close(user):
    """An agent's open shift, so that closing it is allowed; nobody else gets one."""
    from booking.pos.services.shifts import shift_open

    if user is not None and user.role == Role.AGENT:
        shift_open(agent=user, float_amount=1_000)
    return {"path": "/api/v1/pos/shifts/close/", "headers": _key(), "data": {"counted": 1_000}}


def _pos_sale(w):
    return {
        "trip": w.trip.pk,
        "from": _station(w, 1),
        "to": _station(w, 3),
        "class": "STANDARD",
        "passengers": [{"name": "Mira", "age": 30, "gender": "F"}],
        "buyer": {"name": "Mira Das", "phone": "+919876543210"},
        "cash_given": 10_000_000,
    }


def _cash_pnr_to_cancel(w, user):
    """A cash sale of the agent, so that cancelling it is allowed; the others ask about the
    world's PNR (paid from a wallet), and nothing is written for them before they ask."""
    number = w.pnr.number
    if user is not None and user.role == Role.AGENT:
        from booking.pos.services.sales import pos_sale_create

        number = pos_sale_create(
            agent=user,
            trip_id=w.trip.pk,
            origin_code=_station(w, 1),
            destination_code=_station(w, 3),
            class_code="STANDARD",
            quota="GENERAL",
            passengers=[adult("Mira", 30, "F")],
            buyer_name="Mira Das",
            buyer_phone="+919876543210",
        ).number
    return {"path": f"/api/v1/pos/sales/{number}/cancel/", "headers": _key(), "data": {}}


def _pos_sync(w, user):
    """A batch of one record signed by a device enrolled to the agent (nobody else has
    one); its sale names a station the trip does not call at, so it is answered refused."""
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from booking.pos import chain
    from booking.pos.services.devices import device_enrol

    key = Ed25519PrivateKey.generate()
    device_id = f"POS-MATRIX-{uuid.uuid4().hex[:8]}"
    if user is not None and user.role == Role.AGENT:
        device_enrol(
            company=w.trip.route.company,
            agent=user,
            device_id=device_id,
            public_key_b64=base64.b64encode(key.public_key().public_bytes_raw()).decode(),
            by=None,
        )
    record = {
        "client_uuid": str(uuid.uuid4()),
        "device_id": device_id,
        "seq": 1,
        "device_time": "2026-12-03T08:00:00Z",
        "sale": {**_pos_sale(w), "to": "NOWHERE", "amount": 1_000, "currency": "INR"},
        "prev_hash": chain.GENESIS,
    }
    record["hash"] = chain.record_hash(record)
    signed = chain.batch_signed_bytes(device_id, [record])
    return {
        "path": "/api/v1/pos/sync/",
        "data": {
            "device_id": device_id,
            "records": [record],
            "signature": base64.b64encode(key.sign(signed)).decode(),
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
    "POST /api/v1/assistant/search/": lambda w, u: {
        "path": "/api/v1/assistant/search/",
        "data": {"text": f"{_station(w, 1)} to {_station(w, 3)} tomorrow"},
    },
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
    "POST /api/v1/pos/shifts/open/": lambda w, u: {
        "path": "/api/v1/pos/shifts/open/",
        "headers": _key(),
        "data": {"float_amount": 1_000},
    },
    "POST /api/v1/pos/shifts/close/": lambda w, u: _shift_to_close(u),
    "POST /api/v1/pos/sync/": lambda w, u: _pos_sync(w, u),
    "GET /api/v1/pos/shifts/current/": lambda w, u: {"path": "/api/v1/pos/shifts/current/"},
    "POST /api/v1/driver/scan/": lambda w, u: {
        "path": "/api/v1/driver/scan/",
        "data": {"trip": w.trip.pk, "qr": "not a ticket"},
    },
    "POST /api/v1/driver/trips/{pk}/positions/": lambda w, u: {
        "path": f"/api/v1/driver/trips/{w.trip.pk}/positions/",
        "data": {"lat": 12.97, "lon": 77.59},
    },
    "GET /api/v1/trips/{pk}/position/": lambda w, u: {
        "path": f"/api/v1/trips/{w.trip.pk}/position/"
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
    "GET /api/v1/notifications/": lambda w, u: {"path": "/api/v1/notifications/"},
    "POST /api/v1/notifications/{message_id}/read/": lambda w, u: {
        "path": f"/api/v1/notifications/{_holders_message(w)}/read/"
    },
    "POST /api/v1/notifications/read-all/": lambda w, u: {
        "path": "/api/v1/notifications/read-all/"
    },
    "GET /api/v1/notifications/preferences/": lambda w, u: {
        "path": "/api/v1/notifications/preferences/"
    },
    "PUT /api/v1/notifications/preferences/": lambda w, u: {
        "path": "/api/v1/notifications/preferences/",
        "data": {"preferences": [{"topic": "trip.reminder", "channel": "sms", "enabled": True}]},
    },
    "POST /api/v1/pos/sales/": lambda w, u: {
        "path": "/api/v1/pos/sales/",
        "headers": _key(),
        "data": _pos_sale(w),
    },
    "POST /api/v1/pos/sales/{pnr}/cancel/": lambda w, u: _cash_pnr_to_cancel(w, u),
    "GET /api/v1/pos/catalog/": lambda w, u: {"path": "/api/v1/pos/catalog/"},
    "GET /api/schema/": lambda w, u: {"path": "/api/schema/"},
    "GET /api/docs/": lambda w, u: {"path": "/api/docs/"},
}


def client_as(user, *, session: bool) -> APIClient:
    client = APIClient()
    if user is None:
        return client
    if session:
        client.force_login(user)
    else:
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def site_state() -> tuple:
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


def ask(row: str, world: World, role: str) -> int:
    method, _ = row.split(" ", 1)
    user = world.users[role]
    request = REQUESTS[row](world, user)
    client = client_as(user, session=request.pop("session", False))
    path = request.pop("path")
    data = request.pop("data", None)
    kwargs = {"format": "json"} if method != "GET" and "content_type" not in request else {}
    response = getattr(client, method.lower())(path, data, **kwargs, **request)
    return response.status_code
