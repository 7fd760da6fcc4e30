"""`manage.py notifications_dispatch [--batch N] [--until-empty] [--loop SECONDS]`: a
dispatcher process. It claims due deliveries (`SELECT … FOR UPDATE SKIP LOCKED`, so any
number of dispatchers and workers run side by side, each taking different rows) and sends
them, batch after batch.

Without options it sends one batch; `--until-empty` goes on until nothing is due;
`--loop SECONDS` never stops, waiting that long whenever nothing is due (a dispatcher for a
deployment without Celery workers, or beside them when the broker is down)."""

import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from ...dispatch import deliveries_dispatch


class Command(BaseCommand):
    help = "Claim due notification deliveries and send them, batch after batch."

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch", type=int, default=100, help="Deliveries claimed at a time (100)."
        )
        parser.add_argument(
            "--until-empty", action="store_true", help="Go on until nothing is due."
        )
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="Never stop; wait SECONDS whenever nothing is due.",
        )

    def handle(self, *args, batch: int, until_empty: bool, loop: float | None, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if loop is not None and loop <= 0:
            raise CommandError("--loop must be a number of seconds above 0.")
        totals: Counter = Counter()
        batches = 0
        started = time.monotonic()
        try:
            while True:
                attempts = deliveries_dispatch(limit=batch)
                if attempts:
                    batches += 1
                    outcomes = Counter(a.outcome for a in attempts)
                    totals.update(outcomes)
                    self.stdout.write(
                        f"batch {batches}: {len(attempts)} attempted ({_summary(outcomes)}); "
                        f"{sum(totals.values())} in all"
                    )
                if loop is not None:
                    if len(attempts) < batch:
                        close_old_connections()
                        time.sleep(loop)
                elif not (until_empty and attempts):
                    break
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{sum(totals.values())} deliveries attempted in {batches} batch(es), "
                f"{elapsed:.1f} s: {_summary(totals) or 'nothing was due'}."
            )
        )


def _summary(outcomes: Counter) -> str:
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
