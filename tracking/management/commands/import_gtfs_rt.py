"""`manage.py import_gtfs_rt FILE_OR_URL --company SLUG [--loop SECONDS]`: an operator's
GTFS-Realtime VehiclePositions through the same publish path as a driver's phone."""

import time
from pathlib import Path

import httpx
from django.core.management.base import BaseCommand, CommandError

from fleet.models import Company
from tracking.gtfs_rt.read import FeedUnreadable, feed_import, feed_parse

HTTP_TIMEOUT_SECONDS = 10.0


def feed_fetch(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        response = httpx.get(source, timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=True)
        response.raise_for_status()
        return response.content
    path = Path(source)
    if not path.is_file():
        raise CommandError(f"{source} is neither a file nor an http(s) URL.")
    return path.read_bytes()


class Command(BaseCommand):
    help = (
        "Read a GTFS-Realtime VehiclePositions feed (a file or an http(s) URL) of an "
        "operator imported with import_gtfs and publish each vehicle's position to its trip."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="A .pb file or an http(s) URL.")
        parser.add_argument("--company", required=True, help="The operator's slug.")
        parser.add_argument(
            "--loop",
            type=float,
            metavar="SECONDS",
            help="Read the feed again every SECONDS (for a URL) until interrupted.",
        )

    def handle(self, *args, source, company, loop=None, **options):
        try:
            operator = Company.objects.get(slug=company)
        except Company.DoesNotExist:
            raise CommandError(f"No company with the slug {company!r}.") from None
        if loop is not None and loop <= 0:
            raise CommandError("--loop takes a positive number of seconds.")
        while True:
            try:
                self._once(source, operator)
            except (httpx.HTTPError, FeedUnreadable) as exc:
                if loop is None:
                    raise CommandError(str(exc)) from None
                self.stderr.write(str(exc))
            if loop is None:
                return
            try:
                time.sleep(loop)
            except KeyboardInterrupt:
                return

    def _once(self, source: str, company: Company) -> None:
        result = feed_import(company=company, message=feed_parse(feed_fetch(source)))
        for line in result.lines():
            self.stdout.write(line)
