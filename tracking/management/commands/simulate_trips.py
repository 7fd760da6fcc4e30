"""`manage.py simulate_trips`: simulated vehicles drive the trips running now, publishing
their fixes through the same path as a driver's phone, so that the maps move in a demo."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tracking.services.simulation import DEFAULT_INTERVAL_S, MIN_WAIT_S, Simulation

REPORT_EVERY_S = 10.0


class Command(BaseCommand):
    help = (
        "Drive the vehicles of the trips running now (boarding, departed, or scheduled and "
        "due) along their routes at the timetable's pace with random delays and GPS noise, "
        "publishing a fix every few simulated seconds as a driver would. Ctrl-C stops."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--speedup",
            type=float,
            default=1.0,
            help="Simulated seconds per real second (capped per vehicle so that no fix "
            "implies more than its kind's TTMS_MAX_SPEED_KMH). Default 1.",
        )
        parser.add_argument(
            "--noise-m", type=float, default=8.0, help="GPS noise radius in metres (8)."
        )
        parser.add_argument(
            "--delay-max-min",
            type=float,
            default=10.0,
            help="Largest delay at the last stop, in minutes (10); each vehicle draws its own.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=DEFAULT_INTERVAL_S,
            help=f"Simulated seconds between a vehicle's fixes ({DEFAULT_INTERVAL_S:g}).",
        )
        parser.add_argument("--trip", type=int, nargs="+", default=[], help="Only these trips.")
        parser.add_argument("--company", default="", help="Only this operator's trips (slug).")
        parser.add_argument("--seed", type=int, default=None, help="Seed of the random delays.")
        parser.add_argument("--once", action="store_true", help="Publish one round, then stop.")

    def handle(self, *args, **options):
        if not settings.REDIS_URL and not options["once"]:
            # Embedded, the position store and the channel layer live in each process's memory.
            self.stderr.write(
                "REDIS_URL is not set: this process's fixes reach no server's subscribers "
                "(the embedded position store and channel layer are per process); set "
                "TTMS_SIMULATOR=1 for `make run` to simulate inside the server instead."
            )
        if options["speedup"] <= 0 or options["interval"] <= 0:
            raise CommandError("--speedup and --interval must be positive.")
        if options["noise_m"] < 0 or options["delay_max_min"] < 0:
            raise CommandError("--noise-m and --delay-max-min cannot be negative.")
        simulation = Simulation(
            speedup=options["speedup"],
            noise_m=options["noise_m"],
            delay_max_s=options["delay_max_min"] * 60,
            seed=options["seed"],
            trip_ids=options["trip"],
            company_slug=options["company"],
        )
        verbosity = options["verbosity"]
        if options["once"]:
            simulation.tick()
            if verbosity:
                self.stdout.write(simulation.report())
            return
        wait = max(MIN_WAIT_S, options["interval"] / options["speedup"])
        if verbosity:
            self.stdout.write(
                f"Simulating trips (seed {simulation.seed}, speed-up {options['speedup']:g}, "
                f"a fix every {wait:.1f} s); Ctrl-C stops."
            )
        reported = time.monotonic()
        try:
            while True:
                began = time.monotonic()
                simulation.tick()
                if verbosity and time.monotonic() - reported >= REPORT_EVERY_S:
                    reported = time.monotonic()
                    self.stdout.write(f"{timezone.now():%H:%M:%S} {simulation.report()}")
                time.sleep(max(0.0, wait - (time.monotonic() - began)))
        except KeyboardInterrupt:
            if verbosity:
                self.stdout.write(f"Stopped: {simulation.report()}")
