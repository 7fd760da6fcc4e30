"""Seed the shared travel classes and seat layouts every operator can pick.

The lists are frozen copies (fleet.services.STANDARD_CLASSES, fleet.layouts.STANDARD_LAYOUTS
at the time of writing): a migration must not change when the code does.
"""

from django.db import migrations

CLASSES = [
    ("1A", "AC First Class", True, 10),
    ("2A", "AC 2 Tier", True, 20),
    ("3A", "AC 3 Tier", True, 30),
    ("FC", "First Class", True, 35),
    ("CC", "AC Chair Car", False, 40),
    ("SL", "Sleeper", True, 50),
    ("2S", "Second Sitting", False, 60),
    ("VIP", "VIP", False, 70),
    ("STANDARD", "Standard", False, 80),
]

LAYOUTS = [
    ("IR sleeper SL (72)", "SL", None),
    ("IR AC 3 tier 3A (72)", "3A", None),
    ("IR AC 2 tier 2A (48)", "2A48", None),
    ("IR AC 2 tier 2A (54)", "2A54", None),
    ("IR AC first 1A (24)", "1A", None),
    ("IR chair car CC (78)", "CC", None),
    ("Bus 2+2, 10 rows (40)", "BUS22", 10),
    ("Bus 2+2, 12 rows (48)", "BUS22", 12),
    ("Bus 2+1, 10 rows (30)", "BUS21", 10),
]


def seed(apps, schema_editor):
    TravelClass = apps.get_model("fleet", "TravelClass")
    SeatLayout = apps.get_model("fleet", "SeatLayout")
    for code, name, sleeper, rank in CLASSES:
        TravelClass.objects.get_or_create(
            company=None, code=code, defaults={"name": name, "is_sleeper": sleeper, "rank": rank})
    for name, kind, rows in LAYOUTS:
        SeatLayout.objects.get_or_create(company=None, name=name,
                                         defaults={"kind": kind, "rows": rows})


class Migration(migrations.Migration):

    dependencies = [
        ("fleet", "0002_stations_vehicles_routes_schedules"),
    ]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
