from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ttms.demo import demo_loaders


class Command(BaseCommand):
    help = (
        "Load the demo data (accounts for every role, and whatever each app adds). "
        "Idempotent: a second run changes nothing. Refuses to run without DJANGO_DEBUG "
        "unless --force is given, because the demo accounts share a known password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even when DEBUG is off.")

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Demo data has a known password; use --force to load it "
                "on a deployment with DEBUG off."
            )
        for loader in demo_loaders():
            self.stdout.write(f"{loader.__module__}:")
            with transaction.atomic():
                lines = loader()
            for line in lines:
                self.stdout.write(f"  {line}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded. Demo accounts sign in with the password "
                f"{settings.TTMS_DEMO_PASSWORD!r} (TTMS_DEMO_PASSWORD)."
            )
        )
