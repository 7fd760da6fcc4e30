"""Bus layouts get their back row and the coaster kind; the shared bus layouts are renamed
for their new seat counts (coaches already built keep their seats until rebuilt) and the
shared coaster layout is seeded. Frozen copies of the names, as in 0003."""

import django.core.validators
from django.db import migrations, models

RENAMED = [
    ("Bus 2+2, 10 rows (40)", "Bus 2+2, 10 rows (41)"),
    ("Bus 2+2, 12 rows (48)", "Bus 2+2, 12 rows (47)"),
    ("Bus 2+1, 10 rows (30)", "Bus 2+1, 10 rows (31)"),
]
COASTER = ("Coaster 2+1, 10 rows (30)", "COASTER", 10)


def forwards(apps, schema_editor):
    SeatLayout = apps.get_model("fleet", "SeatLayout")
    for old, new in RENAMED:
        if not SeatLayout.objects.filter(company=None, name=new).exists():
            SeatLayout.objects.filter(company=None, name=old).update(name=new)
    name, kind, rows = COASTER
    SeatLayout.objects.get_or_create(company=None, name=name, defaults={"kind": kind, "rows": rows})


def backwards(apps, schema_editor):
    SeatLayout = apps.get_model("fleet", "SeatLayout")
    for old, new in RENAMED:
        if not SeatLayout.objects.filter(company=None, name=old).exists():
            SeatLayout.objects.filter(company=None, name=new).update(name=old)


class Migration(migrations.Migration):
    dependencies = [
        ("fleet", "0006_operator_rules"),
    ]

    operations = [
        migrations.AlterField(
            model_name="seatlayout",
            name="kind",
            field=models.CharField(
                choices=[
                    ("SL", "Indian Railways sleeper (72 berths)"),
                    ("3A", "Indian Railways AC three tier (72 berths)"),
                    ("2A48", "Indian Railways AC two tier (48 berths)"),
                    ("2A54", "Indian Railways AC two tier (54 berths)"),
                    ("1A", "Indian Railways AC first class (24 berths)"),
                    ("CC", "Indian Railways chair car (78 seats, 3+2)"),
                    ("BUS22", "Bus 2+2 (rows of 4 seats, back row of 5)"),
                    ("BUS21", "Bus 2+1 (rows of 3 seats, back row of 4)"),
                    ("COASTER", "Coaster minibus 2+1 (door at front right, back row of 4)"),
                    ("GRID", "Custom grid"),
                ],
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="seatlayout",
            name="rows",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="Bus layouts: number of seat rows, the back row included.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(40),
                ],
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
