"""Every `schedule` foreign key is named `trip`, after the model it points to; the columns
are renamed in place and keep their data. The index and the two constraints over those
columns are dropped before and built again after, under their old names, so that every
database (SQLite remakes a table to rename a column) ends with the same definitions."""

from django.db import migrations, models

RENAMED = ("tripclass", "pnr", "chart", "boardingscan", "boarding", "boardingconflict")


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0003_tickets"),
        ("fleet", "0005_trip"),
    ]

    operations = [
        migrations.RemoveConstraint("boardingscan", "booking_scan_nonce_unique"),
        migrations.RemoveConstraint("tripclass", "booking_trip_class_unique"),
        migrations.RemoveIndex("boardingscan", "booking_scan_trip_idx"),
        *(migrations.RenameField(model, "schedule", "trip") for model in RENAMED),
        migrations.AddIndex(
            "boardingscan",
            models.Index(fields=["trip", "scanned_at"], name="booking_scan_trip_idx"),
        ),
        migrations.AddConstraint(
            "boardingscan",
            models.UniqueConstraint(
                condition=~models.Q(nonce=""),
                fields=("trip", "nonce"),
                name="booking_scan_nonce_unique",
            ),
        ),
        migrations.AddConstraint(
            "tripclass",
            models.UniqueConstraint(
                fields=("trip", "class_code"), name="booking_trip_class_unique"
            ),
        ),
    ]
