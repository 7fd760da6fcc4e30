"""The model `Schedule` is named `Trip`, as the API, the pages and the docs call it. The data
stays: the tables, the many-to-many table of drivers and the columns are renamed in place."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("fleet", "0004_company_refund_tiers"),
        # After booking's foreign keys to the model exist, so that the rename repoints them.
        ("booking", "0003_tickets"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("Schedule", "Trip"),
        migrations.RenameModel("ScheduleEvent", "TripEvent"),
        migrations.RenameField("tripevent", "schedule", "trip"),
        migrations.AlterModelOptions("tripevent", {"ordering": ["trip", "at", "pk"]}),
        migrations.RenameIndex(
            "trip", new_name="fleet_trip_departure_idx", old_name="fleet_schedule_departure_idx"
        ),
        migrations.RemoveConstraint("trip", "fleet_schedule_route_departure_unique"),
        migrations.RemoveConstraint("trip", "fleet_schedule_arrives_after_departure"),
        migrations.AddConstraint(
            "trip",
            models.UniqueConstraint(
                fields=["route", "departure_at"], name="fleet_trip_route_departure_unique"
            ),
        ),
        migrations.AddConstraint(
            "trip",
            models.CheckConstraint(
                condition=models.Q(arrival_at__gte=models.F("departure_at")),
                name="fleet_trip_arrives_after_departure",
            ),
        ),
        migrations.AlterField(
            "trip",
            "route",
            models.ForeignKey(
                db_index=False,
                on_delete=models.PROTECT,
                related_name="trips",
                to="fleet.route",
            ),
        ),
        migrations.AlterField(
            "trip",
            "vehicle",
            models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.PROTECT,
                related_name="trips",
                to="fleet.vehicle",
            ),
        ),
        migrations.AlterField(
            "trip",
            "drivers",
            models.ManyToManyField(
                blank=True, related_name="driven_trips", to=settings.AUTH_USER_MODEL
            ),
        ),
    ]
