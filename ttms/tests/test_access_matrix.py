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

The trip has not started, so nobody has published a position: on GET
/api/v1/trips/{pk}/position/ those who may watch it get 404 (none yet), the others 403; the
assigned driver's fix is answered 200 with that fix refused (trip_not_running).

An endpoint or admin model without a row fails the suite: the tables are compared with the
URL resolver and the admin site's registry.
"""

import re

import pytest
from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from .access_requests import REQUESTS, ask, build_world, client_as, site_state

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
POST  /api/v1/assistant/search/                            200    200    200    200    200    200    200    200    200
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
POST  /api/v1/driver/trips/{pk}/positions/                401    404    404    200    404    404    404    404    404
GET   /api/v1/trips/{pk}/position/                        401    404    403    404    404    404    404    403    404
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
GET   /api/v1/notifications/                              401    200    200    200    200    200    200    200    200
POST  /api/v1/notifications/{message_id}/read/            401    200    404    404    404    404    404    404    404
POST  /api/v1/notifications/read-all/                     401    200    200    200    200    200    200    200    200
GET   /api/v1/notifications/preferences/                  401    200    200    200    200    200    200    200    200
PUT   /api/v1/notifications/preferences/                  401    200    200    200    200    200    200    200    200
POST  /api/v1/pos/shifts/open/                            401    403    403    403    403    201    403    403    403
POST  /api/v1/pos/shifts/close/                           401    403    403    403    403    200    403    403    403
GET   /api/v1/pos/shifts/current/                         401    403    403    403    403    404    403    403    403
POST  /api/v1/pos/sales/                                 401    403    403    403    403    201    403    403    403
POST  /api/v1/pos/sales/{pnr}/cancel/                    401    403    403    403    403    200    403    403    403
GET   /api/v1/pos/catalog/                               401    403    403    403    403    200    403    403    403
POST  /api/v1/pos/sync/                                  401    403    403    403    403    200    403    403    403
GET   /api/schema/                                        200    200    200    200    200    200    200    200    200
GET   /api/docs/                                          200    200    200    200    200    200    200    200    200
"""  # noqa: E501

# Rows: the admin change list of each registered model (app_label.model).
ADMIN = """
                                                         anon holder  pass2 driver driver2  agent  staff staff2  platf
auth.group                                                302    302    302    302    302    302    403    403    200
accounts.user                                             302    302    302    302    302    302    403    403    200
notifications.outboxmessage                               302    302    302    302    302    302    403    403    200
notifications.delivery                                    302    302    302    302    302    302    403    403    200
audit.auditentry                                          302    302    302    302    302    302    200    200    200
fleet.company                                             302    302    302    302    302    302    200    200    200
fleet.companymembership                                   302    302    302    302    302    302    200    200    200
fleet.operatorapplication                                 302    302    302    302    302    302    403    403    200
fleet.station                                             302    302    302    302    302    302    200    200    200
fleet.travelclass                                         302    302    302    302    302    302    200    200    200
fleet.seatlayout                                          302    302    302    302    302    302    200    200    200
fleet.vehicle                                             302    302    302    302    302    302    200    200    200
fleet.coach                                               302    302    302    302    302    302    200    200    200
fleet.route                                               302    302    302    302    302    302    200    200    200
fleet.trip                                            302    302    302    302    302    302    200    200    200
booking.farerule                                          302    302    302    302    302    302    200    200    200
booking.stagefare                                         302    302    302    302    302    302    200    200    200
booking.pnr                                               302    302    302    302    302    302    200    200    200
booking.tripclass                                         302    302    302    302    302    302    200    200    200
booking.chart                                             302    302    302    302    302    302    200    200    200
booking.boardingscan                                      302    302    302    302    302    302    200    200    200
booking.boardingconflict                                  302    302    302    302    302    302    200    200    200
booking.shift                                             302    302    302    302    302    302    200    200    200
booking.device                                            302    302    302    302    302    302    200    200    200
booking.auditcase                                         302    302    302    302    302    302    200    200    200
payments.account                                          302    302    302    302    302    302    200    200    200
payments.transaction                                      302    302    302    302    302    302    200    200    200
payments.entry                                            302    302    302    302    302    302    200    200    200
payments.payment                                          302    302    302    302    302    302    403    403    200
payments.webhookevent                                     302    302    302    302    302    302    403    403    200
payments.idempotencyrecord                                302    302    302    302    302    302    403    403    200
payments.settlementrun                                    302    302    302    302    302    302    200    200    200
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


@pytest.fixture(autouse=True)
def _sandbox(settings):
    settings.TTMS_PAYMENT_PROVIDERS = ["sandbox"]
    settings.TTMS_SANDBOX_WEBHOOK_SECRET = SANDBOX_SECRET


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
    before = site_state()

    answers = {role: ask(row, world, role) for role in ROLES}

    assert answers == API_TABLE[row]
    assert site_state() == before


@pytest.mark.parametrize("row", _WRITES)
def test_who_may_write(row):
    answers, refused_but_wrote = {}, []
    for role in ROLES:
        world = build_world()
        before = site_state()
        answers[role] = ask(row, world, role)
        if answers[role] >= 400 and site_state() != before:
            refused_but_wrote.append(role)

    assert answers == API_TABLE[row]
    assert refused_but_wrote == []


@pytest.mark.parametrize("model", list(ADMIN_TABLE))
def test_who_may_open_the_admin_change_list(model):
    world = build_world()
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")

    answers = {
        role: client_as(world.users[role], session=True).get(url).status_code for role in ROLES
    }

    assert answers == ADMIN_TABLE[model]
