"""`manage.py notifications_status [--json]`: deliveries by channel and state (queued,
failing, sent, dead, skipped) and how long the oldest due and unsent one has waited."""

import json
from datetime import UTC, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand

from ...monitoring import STATES, outbox_status


def _age(age: timedelta | None) -> str:
    if age is None:
        return "none"
    seconds = max(0, int(age.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {seconds} s"
    return f"{seconds} s"


class Command(BaseCommand):
    help = (
        "Notification deliveries by channel and state (queued: never tried; failing: tried, "
        "waiting for a retry), and the age of the oldest due and unsent one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help="Print one JSON object."
        )

    def handle(self, *args, as_json: bool = False, **options):
        status = outbox_status()
        totals = {state: sum(c[state] for c in status.counts.values()) for state in STATES}
        age = status.oldest_due_age
        stale_after = timedelta(minutes=settings.TTMS_NOTIFY_STALE_MINUTES)
        stale = age is not None and age > stale_after
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "channels": status.counts,
                        "total": totals,
                        "oldest_due_unsent_since": (
                            status.oldest_due_since.isoformat() if status.oldest_due_since else None
                        ),
                        "oldest_due_unsent_seconds": (
                            round(age.total_seconds(), 1) if age is not None else None
                        ),
                        "stale_after_minutes": settings.TTMS_NOTIFY_STALE_MINUTES,
                        "stale": stale,
                    },
                    sort_keys=True,
                )
            )
            return
        header = f"{'channel':<8}" + "".join(f"{state:>9}" for state in STATES)
        self.stdout.write(header)
        for channel, counts in status.counts.items():
            self.stdout.write(f"{channel:<8}" + "".join(f"{counts[s]:>9}" for s in STATES))
        self.stdout.write(f"{'total':<8}" + "".join(f"{totals[s]:>9}" for s in STATES))
        line = f"Oldest due and unsent: {_age(age)}"
        if status.oldest_due_since is not None:
            line += f" (written {status.oldest_due_since.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC)"
        if stale:
            self.stdout.write(
                self.style.WARNING(
                    f"{line}; older than TTMS_NOTIFY_STALE_MINUTES "
                    f"({settings.TTMS_NOTIFY_STALE_MINUTES}): is a dispatcher or worker running?"
                )
            )
        else:
            self.stdout.write(line)
