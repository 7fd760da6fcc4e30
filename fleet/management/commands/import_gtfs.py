from pathlib import Path

from django.core.management.base import BaseCommand

from fleet.importers.gtfs import import_gtfs

from ._progress import run_import


class Command(BaseCommand):
    help = (
        "Import a GTFS feed (a folder or a zip) for a company: stations, one route per trip "
        "with its stops, frequencies expanded into departure times, calendar and "
        "calendar_dates as running days and exceptions. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("feed", type=Path, help="GTFS folder or zip file.")
        parser.add_argument(
            "--company",
            required=True,
            help="Slug of the operator; created from agency.txt if missing.",
        )
        parser.add_argument(
            "--company-name",
            default=None,
            help="Name of the operator when it is created (default: agency_name).",
        )
        parser.add_argument(
            "--code-prefix",
            default=None,
            help="Prefix of the station codes, PREFIX:stop_id "
            "(default: the company slug, upper-cased).",
        )

        parser.add_argument(
            "--currency",
            default=None,
            help="ISO 4217 code the operator sells in, when it is created (default: the "
            "feed's fare currency, else its time zone's country's, else TTMS_CURRENCY).",
        )

    def handle(
        self, *args, feed, company, company_name, code_prefix, currency, verbosity, **options
    ):
        run_import(
            self,
            import_gtfs,
            verbosity=verbosity,
            feed=feed,
            company_slug=company,
            company_name=company_name,
            code_prefix=code_prefix,
            currency=currency,
        )
