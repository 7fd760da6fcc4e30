import time
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fleet.models import Company, Route
from fleet.services import trips_generate

from ._progress import progress_factory


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date like 2025-01-31.") from exc


class Command(BaseCommand):
    help = (
        "Create the trips of the active routes from their departure times and "
        "running days, for the next 60 days by default. Idempotent: existing trips are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--start", type=_date, default=None, help="First service date (default: today)."
        )
        parser.add_argument(
            "--days", type=int, default=60, help="How many service dates from --start (default 60)."
        )
        parser.add_argument(
            "--end", type=_date, default=None, help="Last service date (instead of --days)."
        )
        parser.add_argument("--company", default=None, help="Only this company's routes (slug).")
        parser.add_argument(
            "--route",
            action="append",
            default=[],
            help="Only this route code (repeatable; needs --company).",
        )

    def handle(self, *args, start, days, end, company, route, verbosity, **options):
        start = start or timezone.localdate()
        if end is None:
            if days < 1:
                raise CommandError("--days must be at least 1.")
            end = start + timedelta(days=days - 1)
        routes = Route.objects.all()
        if company:
            if not Company.objects.filter(slug=company).exists():
                raise CommandError(f"No company with slug {company!r}.")
            routes = routes.filter(company__slug=company)
        if route:
            if not company:
                raise CommandError("--route needs --company (route codes are per company).")
            routes = routes.filter(code__in=route)
        bar = progress_factory(verbosity)(routes.filter(is_active=True).count(), "routes")
        started = time.monotonic()
        try:
            report = trips_generate(start=start, end=end, routes=routes, progress=bar.update)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        finally:
            bar.close()
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"{start}..{end}: {report} ({time.monotonic() - started:.1f} s)."
                )
            )
