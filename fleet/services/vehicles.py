"""Vehicles and what they are built from: the shared travel classes and seat layouts, and
seats built from a coach's layout."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from ..exceptions import VehicleInService
from ..layouts import STANDARD_LAYOUTS, LayoutError, build_seats, layout_seats
from ..models import Coach, Company, Seat, SeatLayout, TravelClass, Trip, Vehicle
from .trips import IN_SERVICE

# code, name, sleeper, rank: the shared classes (also seeded by migration 0003).
STANDARD_CLASSES = [
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


def travel_class_standard(*, code: str) -> TravelClass:
    """The shared travel class `code` (one of STANDARD_CLASSES), created if it was deleted."""
    defaults = {c: (name, sleeper, rank) for c, name, sleeper, rank in STANDARD_CLASSES}
    if code not in defaults:
        raise ValueError(f"{code!r} is not a standard travel class.")
    name, sleeper, rank = defaults[code]
    with transaction.atomic():
        travel_class, _created = TravelClass.objects.get_or_create(
            company=None, code=code, defaults={"name": name, "is_sleeper": sleeper, "rank": rank}
        )
    return travel_class


def standard_layout(*, kind: str, rows: int | None = None) -> SeatLayout:
    """The shared seat layout of this kind (and row count, for buses), created if missing."""
    with transaction.atomic():
        layout = SeatLayout.objects.filter(company=None, kind=kind, rows=rows).first()
        if layout is None:
            name = next((n for n, k, r in STANDARD_LAYOUTS if k == kind and r == rows), None)
            if name is None:
                seats = len(build_seats(kind, rows=rows))
                # A shared row's name is data, the same in every language.
                with translation.override("en"):
                    label = str(SeatLayout.Kind(kind).label)
                name = f"{label.split(' (')[0]}, {rows} rows ({seats})"
            layout = SeatLayout.objects.create(company=None, kind=kind, rows=rows, name=name)
    return layout


def vehicle_check_editable(*, vehicle_id: int) -> None:
    """Raise VehicleInService while a trip of the vehicle is boarding or on its way: its
    passengers sit on its seats, so the seats must not be rebuilt under them. One query."""
    if Trip.objects.filter(vehicle_id=vehicle_id, status__in=IN_SERVICE).exists():
        raise VehicleInService()


def coach_build_seats(*, coach: Coach, layout: SeatLayout | None = None) -> list[Seat]:
    """Replace the seats of `coach` with those of `layout` (default: the coach's own layout).

    Refuses (VehicleInService) while the coach's vehicle is on a trip; raises ValidationError
    when there is no layout or it cannot be built. Returns the new seats.
    """
    layout = layout or coach.layout
    if layout is None:
        raise ValidationError({"layout": _("Choose a seat layout to build the seats from.")})
    try:
        specs = layout_seats(layout)
    except LayoutError as exc:
        raise ValidationError({"layout": str(exc)}) from exc
    with transaction.atomic():
        vehicle_check_editable(vehicle_id=coach.vehicle_id)
        coach.seats.all().delete()
        if coach.layout_id != layout.pk:
            coach.layout = layout
            coach.save(update_fields=["layout"])
        return Seat.objects.bulk_create(
            Seat(
                coach=coach,
                number=s.number,
                berth_type=s.berth_type,
                is_rac=s.is_rac,
                row=s.row,
                column=s.column,
            )
            for s in specs
        )


def vehicle_create(
    *,
    company: Company,
    code: str,
    kind: str,
    name: str = "",
    coaches: Iterable[tuple[str, TravelClass, SeatLayout]] = (),
) -> Vehicle:
    """A vehicle with its coaches, each given the seats of its layout.

    `coaches` are (code, travel class, layout) in rake order. Raises ValidationError for a
    duplicate code or a travel class of another company.
    """
    with transaction.atomic():
        if Vehicle.objects.filter(company=company, code=code).exists():
            raise ValidationError(
                {
                    "code": _("{company} already has a vehicle {code}.").format(
                        company=company, code=code
                    )
                }
            )
        vehicle = Vehicle.objects.create(company=company, code=code, kind=kind, name=name)
        for position, (coach_code, travel_class, layout) in enumerate(coaches, start=1):
            if travel_class.company_id not in (None, company.pk):
                raise ValidationError(
                    {
                        "coaches": _("{travel_class} belongs to another company.").format(
                            travel_class=travel_class
                        )
                    }
                )
            coach = Coach.objects.create(
                vehicle=vehicle,
                code=coach_code,
                travel_class=travel_class,
                layout=layout,
                position=position,
            )
            coach_build_seats(coach=coach, layout=layout)
    return vehicle
