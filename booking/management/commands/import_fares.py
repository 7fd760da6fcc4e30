"""`manage.py import_fares --company SLUG --route CODE FILE.csv [--dry-run]`: a route's stage
fares from a CSV file (`from,to,class,fare`, fares in major units of the company's
currency). All or nothing; see docs/operations.md."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fleet.models import Route

from ...sales.services.fares import stage_fares_import

# Who the audit trail names for an import run from the shell.
AUDIT_ACTOR = "command:import_fares"


class Command(BaseCommand):
    help = "Import a route's stage fares from a CSV file: from,to,class,fare (major units)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8), with a header line.")
        parser.add_argument("--company", required=True, help="The company's slug.")
        parser.add_argument("--route", required=True, help="The route's code.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count, write nothing."
        )

    def handle(self, *args, file: str, company: str, route: str, dry_run: bool, **options):
        found = (
            Route.objects.select_related("company")
            .filter(company__slug=company, code=route)
            .first()
        )
        if found is None:
            raise CommandError(f"Company {company!r} has no route with the code {route!r}.")
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        self.stdout.write(f"Reading {file} for route {found.code} ({found.company.name}).")
        try:
            result = stage_fares_import(route=found, text=text, by=AUDIT_ACTOR, dry_run=dry_run)
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(message)
            raise CommandError(f"{len(exc.messages)} error(s); nothing was imported.") from None
        saved = result.saved
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {result.rows} stage fare(s) in {found.company.currency}: "
                f"{saved.created} new, {saved.changed} changed, {saved.deleted} removed."
            )
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
