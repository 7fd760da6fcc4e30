"""What carries passengers: travel classes, seat layouts, vehicles, their coaches and seats."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .companies import Company


class TravelClass(models.Model):
    """A class of travel (SL, 3A, 2A, 1A, CC; STANDARD, VIP on buses).

    The standard classes are shared (no company); an operator may add its own.
    """

    company_path = "company"
    company_shared_when_null = True

    code = models.CharField(max_length=12)
    name = models.CharField(max_length=60)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="travel_classes"
    )
    is_sleeper = models.BooleanField(default=False)
    # Display order: the most expensive class first, as on a railway ticket.
    rank = models.PositiveSmallIntegerField(default=100)

    class Meta:
        verbose_name_plural = _("travel classes")
        ordering = ["rank", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="fleet_travel_class_company_code_unique"
            ),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(company__isnull=True),
                name="fleet_travel_class_shared_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class BerthType(models.TextChoices):
    LOWER = "LB", _("Lower berth")
    MIDDLE = "MB", _("Middle berth")
    UPPER = "UB", _("Upper berth")
    SIDE_LOWER = "SL", _("Side lower berth")
    SIDE_UPPER = "SU", _("Side upper berth")
    WINDOW = "WINDOW", _("Window seat")
    MIDDLE_SEAT = "MIDDLE", _("Middle seat")
    AISLE = "AISLE", _("Aisle seat")


class SeatLayout(models.Model):
    """A named seat plan that coaches are built from (fleet.layouts has the builders).

    The standard Indian Railways and bus plans are shared; a bus company defines its own
    with a row count or, for anything else, a grid drawn in text (see `fleet.layouts`).
    """

    company_path = "company"
    company_shared_when_null = True

    class Kind(models.TextChoices):
        SL = "SL", _("Indian Railways sleeper (72 berths)")
        AC3 = "3A", _("Indian Railways AC three tier (72 berths)")
        AC2_48 = "2A48", _("Indian Railways AC two tier (48 berths)")
        AC2_54 = "2A54", _("Indian Railways AC two tier (54 berths)")
        AC1 = "1A", _("Indian Railways AC first class (24 berths)")
        CC = "CC", _("Indian Railways chair car (78 seats, 3+2)")
        BUS_2_2 = "BUS22", _("Bus 2+2 (rows of 4 seats, back row of 5)")
        BUS_2_1 = "BUS21", _("Bus 2+1 (rows of 3 seats, back row of 4)")
        COASTER = "COASTER", _("Coaster minibus 2+1 (door at front right, back row of 4)")
        GRID = "GRID", _("Custom grid")

    name = models.CharField(max_length=80)
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, null=True, blank=True, related_name="seat_layouts"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    rows = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(40)],
        help_text=_("Bus layouts: number of seat rows, the back row included."),
    )
    grid = models.TextField(
        blank=True,
        help_text=_(
            "Custom grid: one line per row, a letter per seat, '_' for the aisle, "
            "'.' for no seat; e.g. 'AB_CD'. Seats are numbered row by row."
        ),
    )
    rac_berths = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Railway sleeper layouts: side-lower berths earmarked for RAC "
            "(empty: the class default)."
        ),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"], name="fleet_seat_layout_company_name_unique"
            ),
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(company__isnull=True),
                name="fleet_seat_layout_shared_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        # Imported here because fleet.layouts imports this module's choices.
        from ..layouts import LayoutError, layout_seats

        try:
            layout_seats(self)
        except LayoutError as exc:
            field = "grid" if self.kind == self.Kind.GRID else "rows"
            raise ValidationError({field: str(exc)}) from exc


class Vehicle(models.Model):
    """A bus, or a train rake: the thing that carries passengers, made of coaches."""

    company_path = "company"

    class Kind(models.TextChoices):
        TRAIN = "train", _("Train rake")
        BUS = "bus", _("Bus")

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="vehicles")
    code = models.CharField(max_length=40, help_text=_("Registration plate or rake number."))
    name = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["company", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "code"], name="fleet_vehicle_company_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class Coach(models.Model):
    """One coach of a rake (S1, B2, A1) or the single cabin of a bus, of one travel class."""

    company_path = "vehicle__company"

    vehicle = models.ForeignKey(
        Vehicle, on_delete=models.CASCADE, related_name="coaches", db_index=False
    )  # the (vehicle, code) constraint indexes it
    code = models.CharField(max_length=8)
    travel_class = models.ForeignKey(TravelClass, on_delete=models.PROTECT, related_name="coaches")
    layout = models.ForeignKey(
        SeatLayout,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coaches",
        help_text=_("Seats are built from it when the coach is created."),
    )
    position = models.PositiveSmallIntegerField(default=1, help_text=_("Order in the rake."))

    class Meta:
        verbose_name_plural = _("coaches")
        ordering = ["vehicle", "position", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["vehicle", "code"], name="fleet_coach_vehicle_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle.code} · {self.code}"


class Seat(models.Model):
    """A seat or berth of a coach; `row` and `column` place it on a seat map."""

    company_path = "coach__vehicle__company"

    # Indexed by the (coach, number) unique constraint; a second index would only cost space.
    coach = models.ForeignKey(Coach, on_delete=models.CASCADE, related_name="seats", db_index=False)
    number = models.CharField(max_length=8)
    berth_type = models.CharField(max_length=8, choices=BerthType.choices)
    is_rac = models.BooleanField(
        _("RAC berth"), default=False, help_text=_("Shared by two RAC passengers until confirmed.")
    )
    row = models.PositiveSmallIntegerField(default=0)
    column = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["coach", "row", "column"]
        constraints = [
            models.UniqueConstraint(
                fields=["coach", "number"], name="fleet_seat_coach_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(is_rac=False) | models.Q(berth_type=BerthType.SIDE_LOWER),
                name="fleet_seat_rac_only_side_lower",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coach} · {self.number} {self.berth_type}"
