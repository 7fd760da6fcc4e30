"""Latency of GET /api/v1/trips/search/ on the full Indian Railways timetable.

Runs in-process through Django's test client (the whole WSGI stack: middleware, view,
serializers, database; no network and no server process), against a throwaway database:
SQLite at bench/results/search.sqlite3 unless BENCH_DATABASE_URL names another (it is never
the development database of DATABASE_URL). On first use it migrates, imports the railway
data of TTMS_DATA_DIR and generates the trips around the benchmark date; later runs reuse
them.

The 1,000 station pairs are real: each is two stops, in order, of a random route of the
timetable (seeded), so each pair has at least one train in the timetable; whether it runs on
the benchmark date depends on its running days.
"""

import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
NAME = "search"
REQUESTS = 1000
WARMUP = 50
SEED = 20250101
TRAVEL_DATE = date(2030, 1, 9)


def _configure() -> str:
    RESULTS.mkdir(exist_ok=True)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ["TTMS_SQLITE_PATH"] = str(RESULTS / f"{NAME}.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ttms.settings")
    os.environ["DJANGO_DEBUG"] = "0"  # no query log, as in production
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-any-deployment")
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("TTMS_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.db import connection

    # The file name only: results are shared, machine paths are not.
    return f"{connection.vendor} {Path(str(connection.settings_dict['NAME'])).name}"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def run() -> dict:
    database = _configure()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from fleet.importers.railways import import_railways
    from fleet.models import Route, RouteStop, Trip
    from fleet.services import trips_generate

    call_command("migrate", verbosity=0)
    setup = {}
    company = "indian-railways"
    if Route.objects.filter(company__slug=company).count() < 11_000:
        directory = settings.TTMS_DATA_DIR / "indian-railways"
        if not directory.is_dir():
            return {"benchmark": NAME, "skipped": f"the railway data is absent ({directory})"}
        started = time.perf_counter()
        import_railways(directory=directory, company_slug=company)
        setup["import_seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    generated = trips_generate(
        start=TRAVEL_DATE - timedelta(days=7),
        end=TRAVEL_DATE + timedelta(days=1),
        routes=Route.objects.filter(company__slug=company),
    )
    setup["trips_created"] = generated.created
    setup["generate_seconds"] = round(time.perf_counter() - started, 1)

    rng = random.Random(SEED)
    stops: dict[int, list[str]] = {}
    for route_id, code in (
        RouteStop.objects.filter(route__company__slug=company)
        .order_by("route_id", "sequence")
        .values_list("route_id", "station__code")
    ):
        stops.setdefault(route_id, []).append(code)
    routes = sorted(stops)
    pairs = []
    while len(pairs) < REQUESTS + WARMUP:
        codes = stops[rng.choice(routes)]
        i, j = sorted(rng.sample(range(len(codes)), 2))
        if codes[i] != codes[j]:
            pairs.append((codes[i], codes[j]))

    client = Client()
    path = "/api/v1/trips/search/"
    for origin, destination in pairs[:WARMUP]:
        client.get(path, {"from": origin, "to": destination, "date": TRAVEL_DATE.isoformat()})
    timings, found, statuses = [], [], {}
    for origin, destination in pairs[WARMUP:]:
        started = time.perf_counter()
        response = client.get(
            path, {"from": origin, "to": destination, "date": TRAVEL_DATE.isoformat()}
        )
        timings.append((time.perf_counter() - started) * 1000)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code == 200:
            found.append(response.json()["count"])

    return {
        "benchmark": NAME,
        "what": "GET /api/v1/trips/search/ over random real station pairs",
        "client": "django.test.Client: in-process WSGI, full middleware stack, no network",
        "database": database,
        "travel_date": TRAVEL_DATE.isoformat(),
        "requests": len(timings),
        "status_codes": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": round(_percentile(timings, 50), 2),
        "p95_ms": round(_percentile(timings, 95), 2),
        "p99_ms": round(_percentile(timings, 99), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "max_ms": round(max(timings), 2),
        "pairs_with_a_trip_that_day": sum(1 for n in found if n),
        "mean_trips_per_answer": round(statistics.fmean(found), 2) if found else 0,
        "routes": len(routes),
        "trips_in_database": Trip.objects.count(),
        "setup": setup,
        "seed": SEED,
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {os.cpu_count()} CPUs",
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def main() -> int:
    result = run()
    (RESULTS / f"{NAME}.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
