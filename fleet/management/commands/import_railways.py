from pathlib import Path

from django.core.management.base import BaseCommand

from fleet.importers.railways import import_railways

from ._progress import run_import


class Command(BaseCommand):
    help = (
        "Import the Indian Railways timetable from DIR (datameet stations and trains, the "
        "data.gov.in per-stop timetable, BhanuTeella running days): one rail operator, "
        "stations, routes with stops, rakes with coaches and seats. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--company",
            default="indian-railways",
            help="Slug of the rail operator (created if missing).",
        )
        parser.add_argument("--company-name", default="Indian Railways")
        parser.add_argument(
            "--coaches-per-class",
            type=int,
            default=1,
            help="Coaches of each class a rake gets (default 1).",
        )
        parser.add_argument(
            "--default-classes",
            default="",
            help="Comma-separated classes (e.g. SL,3A) for trains datameet "
            "gives no class flags; default: no rake for them.",
        )

    def handle(
        self,
        *args,
        directory,
        company,
        company_name,
        coaches_per_class,
        default_classes,
        verbosity,
        **options,
    ):
        classes = tuple(c.strip().upper() for c in default_classes.split(",") if c.strip())
        run_import(
            self,
            import_railways,
            verbosity=verbosity,
            directory=directory,
            company_slug=company,
            company_name=company_name,
            coaches_per_class=coaches_per_class,
            default_classes=classes,
        )
