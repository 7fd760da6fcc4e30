from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fleet.conflicts import VEHICLE, assignment_conflicts_existing, trip_zone
from fleet.models import Company, Trip
from ttms.localtime import local_datetime


def _trip(trip: Trip) -> str:
    zone = trip_zone(trip)
    return (
        f"trip {trip.route.number} (id {trip.pk}) "
        f"{local_datetime(trip.departure_at, zone)} – {local_datetime(trip.arrival_at, zone)}"
    )


class Command(BaseCommand):
    help = (
        "List the trips that share a vehicle or a driver at overlapping times (their "
        "arrival plus TTMS_TURNAROUND_MINUTES), neither cancelled: by default those still "
        "running or to come. Exits with 1 when there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--company",
            action="append",
            default=[],
            help="Only this company's trips (slug; repeatable). Default: every company.",
        )
        parser.add_argument(
            "--all", action="store_true", help="Past trips too (trips that have arrived)."
        )

    def handle(self, *args, company, all, verbosity, **options):
        companies = Company.objects.all()
        if company:
            unknown = sorted(
                set(company)
                - set(companies.filter(slug__in=company).values_list("slug", flat=True))
            )
            if unknown:
                raise CommandError(f"No company with slug {', '.join(map(repr, unknown))}.")
            companies = companies.filter(slug__in=company)
        conflicts = assignment_conflicts_existing(
            companies=companies, since=None if all else timezone.now()
        )
        for conflict in conflicts:
            what = "vehicle" if conflict.kind == VEHICLE else "driver"
            self.stdout.write(
                f"{conflict.first.route.company.slug}: {what} {conflict.who} on "
                f"{_trip(conflict.first)} and {_trip(conflict.second)}"
            )
        if conflicts:
            raise CommandError(
                f"{len(conflicts)} conflicting assignment(s): give one trip of each pair "
                "another vehicle or driver (admin: Trips, filter By assignment conflict).",
                returncode=1,
            )
        if verbosity:
            self.stdout.write(self.style.SUCCESS("No vehicle or driver is on two trips at once."))
