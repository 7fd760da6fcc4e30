#!/usr/bin/env bash
# The API against its own OpenAPI schema, live: a fresh PostgreSQL database, migrated and
# loaded with the demo data, served by gunicorn with DEBUG off on a free port of 127.0.0.1;
# then `schemathesis run` against /api/schema/ once anonymously and once as each of the
# demo's passenger, driver, agent and company admin (a JWT each), with the checks that an
# answer is what the schema says: no 5xx, a documented status code and content type, and a
# body its schema allows. Every role runs; the script fails if any found a failure, and then
# shows the server's log. Stops the server it started (by its PID) however it ends.
#
#   SCHEMATHESIS_PG_URL_BASE  PostgreSQL server (default postgres://postgres@127.0.0.1:5432)
#   SCHEMATHESIS_DB           database to create afresh (default ttms_schemathesis)
#   SCHEMATHESIS_REDIS_URL    Redis for the server (default: none, tasks run inline)
#   SCHEMATHESIS_EXAMPLES     test cases per operation and phase (default 25)
#   SCHEMATHESIS_SEED         a seed, to repeat a run exactly (default: random)
#   SCHEMATHESIS_ROLES        roles to run as (default: anonymous passenger driver agent company)
set -euo pipefail
cd "$(dirname "$0")/.."

pg_base=${SCHEMATHESIS_PG_URL_BASE:-postgres://postgres@127.0.0.1:5432}
db=${SCHEMATHESIS_DB:-ttms_schemathesis}
examples=${SCHEMATHESIS_EXAMPLES:-25}
roles=${SCHEMATHESIS_ROLES:-anonymous passenger driver agent company}
python=.venv/bin/python
work=$(mktemp -d)
log="$work/gunicorn.log"
pid=""

cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$python" - "$pg_base" "$db" <<'PY'
import sys

import psycopg
from psycopg import sql

base, name = sys.argv[1], sys.argv[2]
with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
PY

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DATABASE_URL="$pg_base/$db"
export DJANGO_DEBUG=0
export DJANGO_SECRET_KEY="schemathesis-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export DJANGO_ALLOWED_HOSTS=127.0.0.1
# The sandbox provider, as on a demo deployment: the demo wallet is funded through it.
export TTMS_PAYMENT_PROVIDERS=sandbox TTMS_SANDBOX_IN_PRODUCTION=1
export TTMS_SANDBOX_WEBHOOK_SECRET="sandbox-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export TTMS_DEMO_PASSWORD=ttms-demo-pass
# Tokens outlive the whole run; throttles let the generated requests through to the logic
# behind them (their 429 is tested in the suite).
export TTMS_JWT_ACCESS_MINUTES=240
export TTMS_THROTTLE_BOOKING=100000/min TTMS_THROTTLE_REGISTER=100000/min
export TTMS_LOGIN_FAILURE_LIMIT=100000
unset REDIS_URL CELERY_BROKER_URL CELERY_RESULT_BACKEND
if [ -n "${SCHEMATHESIS_REDIS_URL:-}" ]; then export REDIS_URL=$SCHEMATHESIS_REDIS_URL; fi

"$python" manage.py migrate --no-input -v 0
"$python" manage.py load_demo --force >/dev/null

# Beyond the demo: a PNR of the demo passenger on a bus trip the demo driver drives, so that
# the identifiers below name things that exist, and their answers are checked too.
SEED_OUT="$work/seed.json" "$python" manage.py shell -v 0 <<'PY'
import json
import os
from datetime import timedelta

from django.utils import timezone

from booking.sales.services.create import PassengerIn, booking_create
from fleet.models import Route, Trip, Vehicle
from payments.models import Payment
from ttms.accounts.models import User

passenger = User.objects.get(email="passenger@example.com")
driver = User.objects.get(email="driver@example.com")
trip = (Trip.objects.filter(drivers=driver, status="scheduled",
                                departure_at__gt=timezone.now() + timedelta(hours=6))
        .select_related("route__company", "vehicle").order_by("departure_at").first())
stops = [stop.station for stop in trip.route.stops.order_by("sequence")]
class_code = trip.vehicle.coaches.select_related("travel_class").first().travel_class.code
pnr = booking_create(
    user=passenger, trip_id=trip.pk, origin_code=stops[0].code,
    destination_code=stops[-1].code, class_code=class_code, quota="GENERAL",
    passengers=[PassengerIn(name="Asha Passenger", age=34, gender="F"),
                PassengerIn(name="Ravi Kumar", age=36, gender="M")])
company = trip.route.company
with open(os.environ["SEED_OUT"], "w") as out:
    json.dump({
        "pnrs": [pnr.number],
        "passengers": list(pnr.passengers.values_list("pk", flat=True)),
        "trips": [trip.pk],
        "vehicles": list(Vehicle.objects.filter(company=company).values_list("pk", flat=True)[:3]),
        "routes": list(Route.objects.filter(company=company).values_list("pk", flat=True)[:3]),
        "payments": [str(pk) for pk in Payment.objects.filter(user=passenger)
                     .values_list("pk", flat=True)],
        "stations": [station.code for station in stops],
        "dates": [timezone.localtime(trip.departure_at, stops[0].tzinfo).date().isoformat()],
        "classes": [class_code],
    }, out)
PY

# Those identifiers, offered to schemathesis for half of the values it generates.
"$python" - "$work/seed.json" >"$work/schemathesis.toml" <<'PY'
import json
import sys

seed = json.load(open(sys.argv[1]))
# No state kept between runs (schemathesis would keep it in .schemathesis/ here).
print("[cache]\nenabled = false\n")
print("[dictionaries]")
for name, values in seed.items():
    print(f"{name} = {{ values = {json.dumps(values)} }}")
bindings = [
    (r"^/api/v1/bookings/\{pnr\}/", {"path.pnr": "pnrs", "path.passenger": "passengers"}),
    (r"^/api/v1/(driver|operator)/trips/\{id\}/", {"path.id": "trips"}),
    (r"^/api/v1/trips/\{id\}/", {"path.id": "trips", "query.from": "stations",
                                    "query.to": "stations", "query.class": "classes"}),
    (r"^/api/v1/trips/search/", {"query.from": "stations", "query.to": "stations",
                                  "query.date": "dates"}),
    (r"^/api/v1/operator/vehicles/\{id\}/", {"path.id": "vehicles"}),
    (r"^/api/v1/operator/routes/\{id\}/", {"path.id": "routes"}),
    (r"^/api/v1/(wallet/topups|payments/sandbox)/\{payment_id\}/", {"path.payment_id": "payments"}),
    (r"^/api/v1/driver/scan/", {"body.trip": "trips"}),
]
for regex, parameters in bindings:
    print(f"\n[[operations]]\ninclude-path-regex = {json.dumps(regex)}")
    print("[operations.parameters]")
    for key, dictionary in parameters.items():
        print(f'"{key}" = {{ dictionary = "{dictionary}", probability = 0.5 }}')
PY

# No limit on the request line or header size (0): gunicorn refuses a long URL itself, in
# HTML (414), before the application sees it; the answers checked here are the application's.
.venv/bin/gunicorn ttms.wsgi:application --bind "127.0.0.1:$port" --workers 2 --threads 2 \
  --timeout 30 --limit-request-line 0 --limit-request-field_size 0 \
  --capture-output --error-logfile "$log" >/dev/null 2>&1 &
pid=$!

base="http://127.0.0.1:$port"
for _ in $(seq 1 60); do
  if curl -fs -o /dev/null "$base/healthz"; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "gunicorn exited early:"; cat "$log"; exit 1; fi
  sleep 0.5
done
curl -fs -o /dev/null "$base/healthz" || { echo "gunicorn did not answer in 30 s:"; cat "$log"; exit 1; }

token() {
  curl -fs -X POST "$base/api/v1/auth/token/" -H 'Content-Type: application/json' \
    -d "{\"email\": \"$1\", \"password\": \"$TTMS_DEMO_PASSWORD\"}" \
    | "$python" -c 'import json, sys; print(json.load(sys.stdin)["access"])'
}

# Every token before the first run, so that no run's requests stand in the way of one.
declare -A tokens=()
for role in $roles; do
  case $role in
    anonymous) ;;
    company) tokens[$role]=$(token company@example.com) ;;
    *) tokens[$role]=$(token "$role@example.com") ;;
  esac
done

checks=not_a_server_error,status_code_conformance,content_type_conformance
checks+=,response_schema_conformance
failed=()
for role in $roles; do
  auth=()
  if [ -n "${tokens[$role]:-}" ]; then auth=(-H "Authorization: Bearer ${tokens[$role]}"); fi
  printf '\n--- schemathesis as %s\n' "$role"
  .venv/bin/schemathesis --config-file "$work/schemathesis.toml" run "$base/api/schema/" \
    "${auth[@]}" --checks "$checks" --max-examples "$examples" \
    ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"} --workers 2 --request-timeout 20 \
    --generation-database none --no-color --output-truncate true || failed+=("$role")
done

if [ ${#failed[@]} -gt 0 ]; then
  printf '\n--- the server log, but its 4xx lines (tracebacks of any 5xx):\n'
  { grep -v ' WARNING django.request ' "$log" || true; } | tail -n 400
  printf '\nschemathesis found failures as: %s\n' "${failed[*]}"
  exit 1
fi
