"""A trip's page: its classes, and the chosen class's seat map drawn coach by coach, each
seat free or taken for the passenger's legs."""

from dataclasses import dataclass, field, replace

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_GET

from fleet.models import BerthType

from .. import rules
from ..models import BOOKABLE_QUOTAS, Quota
from ..sales.fares import tariff_get
from ..sales.selectors.availability import journey_availability
from ..sales.selectors.seat_maps import (
    CoachPlan,
    SeatView,
    class_names,
    coach_plans,
    seat_map,
)
from .common import availability_text, class_label
from .journey import (
    closed_page,
    journey_context,
    journey_or_404,
    quota_counts,
    trip_classes,
    trip_or_404,
)

BERTHS = {
    BerthType.LOWER,
    BerthType.MIDDLE,
    BerthType.UPPER,
    BerthType.SIDE_LOWER,
    BerthType.SIDE_UPPER,
}
SIDE = {BerthType.SIDE_LOWER, BerthType.SIDE_UPPER}
BERTH_SHORT = {
    BerthType.LOWER: gettext_lazy("Lower"),
    BerthType.MIDDLE: gettext_lazy("Middle"),
    BerthType.UPPER: gettext_lazy("Upper"),
    BerthType.SIDE_LOWER: gettext_lazy("Side lower"),
    BerthType.SIDE_UPPER: gettext_lazy("Side upper"),
    BerthType.WINDOW: gettext_lazy("Window"),
    BerthType.MIDDLE_SEAT: gettext_lazy("Middle"),
    BerthType.AISLE: gettext_lazy("Aisle"),
}


@dataclass(frozen=True)
class SeatCell:
    """A seat as drawn: the checkbox's value ("S1-12"), whether the passenger may pick it,
    and why not."""

    number: str
    berth: str
    label: str
    value: str
    free: bool
    selectable: bool
    note: str
    checked: bool
    window_side: str = ""  # on a bus's plan: "left" or "right" for a window seat


@dataclass
class Bay:
    """A row of a coach: for berths, the two facing sides of a bay (three or two berths
    each, or a cabin's) and the side berths; for seats, the row with its aisle gaps."""

    number: int
    main: list[list[SeatCell]] = field(default_factory=list)
    side: list[SeatCell] = field(default_factory=list)
    seats: list[SeatCell | None] = field(default_factory=list)


@dataclass(frozen=True)
class Spot:
    """One square of a bus's plan: a seat, the driver, a door, the aisle or nothing."""

    kind: str  # seat, driver, door, aisle, empty
    cell: SeatCell | None = None


@dataclass
class CoachMap:
    code: str
    berths: bool
    bays: list[Bay]
    free: int
    total: int
    # A bus: its plan from the front (the driver's row) to the back row, `width` squares wide.
    bus: bool = False
    width: int = 0
    plan: list[list[Spot]] = field(default_factory=list)


def _bus_plan(seats: list[SeatView], cells: dict[str, SeatCell], plan: CoachPlan):
    """The squares of a bus, row by row from the driver's row: each seat where its row and
    column put it, the driver and the doors, the aisle where no seat of the ordinary rows
    stands (the back row fills it)."""
    fixtures = {(f.row, f.column): f.kind for f in plan.fixtures}
    width = max([s.column for s in seats] + [c for _r, c in fixtures]) + 1
    at = {}
    for s in seats:
        side = ""
        if s.berth_type == BerthType.WINDOW:
            side = "left" if s.column == 0 else "right" if s.column == width - 1 else ""
        at[(s.row, s.column)] = replace(cells[s.number], window_side=side)
    last = max(r for r, _c in at)
    ordinary = {c for r, c in at if r != last} or {c for _r, c in at}
    rows = []
    for row in range(-1, last + 1):
        spots = []
        for column in range(width):
            if cell := at.get((row, column)):
                spots.append(Spot("seat", cell))
            elif kind := fixtures.get((row, column)):
                spots.append(Spot(kind))
            elif column not in ordinary and row >= 0:
                spots.append(Spot("aisle"))
            else:
                spots.append(Spot("empty"))
        rows.append(spots)
    return width, rows


def _cell(seat: SeatView, quota: str, picked: set[str]) -> SeatCell:
    value = f"{seat.coach}-{seat.number}"
    if not seat.free:
        note = gettext("Taken")
    elif seat.is_rac:
        note = gettext("RAC berth: given to RAC passengers")
    elif seat.quota not in (Quota.GENERAL, quota):
        note = gettext("Kept for the {quota} quota").format(quota=Quota(seat.quota).label)
    else:
        note = ""
    label = str(BERTH_SHORT.get(seat.berth_type, seat.berth_type))
    return SeatCell(
        seat.number,
        seat.berth_type if seat.berth_type in BERTHS else label,
        label,
        value,
        seat.free,
        not note,
        note or gettext("Free"),
        value in picked,
    )


def coach_maps(
    seats: list[SeatView],
    *,
    quota: str,
    picked: set[str],
    plans: dict[str, CoachPlan] | None = None,
) -> list[CoachMap]:
    """The seats of a class grouped as a passenger recognises them: sleeper coaches in bays
    (two facing sides and the side berths), chair cars in rows with the aisle, buses as
    seen from above (`plans`: the driver, the doors, the back row)."""
    by_coach: dict[str, list[SeatView]] = {}
    for seat in seats:
        by_coach.setdefault(seat.coach, []).append(seat)
    maps = []
    for code, coach_seats in by_coach.items():
        plan = (plans or {}).get(code)
        if plan and plan.is_bus:
            cells = {s.number: _cell(s, quota, picked) for s in coach_seats}
            width, rows = _bus_plan(coach_seats, cells, plan)
            free = sum(s.free for s in coach_seats)
            maps.append(CoachMap(code, False, [], free, len(coach_seats), True, width, rows))
            continue
        berths = all(s.berth_type in BERTHS for s in coach_seats)
        rows: dict[int, list[SeatView]] = {}
        for seat in coach_seats:
            rows.setdefault(seat.row, []).append(seat)
        width = max(s.column for s in coach_seats) + 1
        bays = []
        for row, row_seats in sorted(rows.items()):
            row_seats.sort(key=lambda s: s.column)
            bay = Bay(row + 1)
            if berths:
                main = [_cell(s, quota, picked) for s in row_seats if s.berth_type not in SIDE]
                half = (len(main) + 1) // 2
                bay.main = [main[:half], main[half:]]
                bay.side = [_cell(s, quota, picked) for s in row_seats if s.berth_type in SIDE]
            else:
                at = {s.column: _cell(s, quota, picked) for s in row_seats}
                bay.seats = [at.get(column) for column in range(width)]
            bays.append(bay)
        maps.append(
            CoachMap(code, berths, bays, sum(s.free for s in coach_seats), len(coach_seats))
        )
    return maps


def passengers_asked(params, *, limit: int) -> int:
    """The party's size a link asked for (`passengers`, e.g. from the assistant's answer):
    1 to `limit`; 1 when absent or not a number."""
    value = str(params.get("passengers", "")).strip()
    if not (value.isascii() and value.isdigit()) or int(value) < 1:
        return 1
    return min(int(value), limit)


@require_GET
def trip(request, pk: int):
    """One trip from the passenger's station to theirs: the classes, and the chosen class's
    seat map, each seat free or taken for exactly those legs. Picking seats (checkboxes)
    and pressing Book carries them to the booking form; no JavaScript needed. `quota` and
    `passengers` (the party's size) carry on to the booking form."""
    trip = trip_or_404(pk)
    journey = journey_or_404(trip, request.GET)
    if closed := closed_page(request, journey):
        return closed
    classes = trip_classes(trip)
    if not classes:
        raise Http404(gettext("This trip has no vehicle yet."))
    class_code = (request.GET.get("class") or classes[0]).strip().upper()
    if class_code not in classes:
        raise Http404(
            gettext("Trip {number} has no {class_code} class.").format(
                number=trip.route.number, class_code=class_code
            )
        )
    context = journey_context(journey, class_code=class_code)
    terms = context["terms"]
    quota = request.GET.get("quota", Quota.GENERAL)
    quota = quota if quota in BOOKABLE_QUOTAS and quota in terms.quotas else Quota.GENERAL
    max_passengers = min(rules.max_passengers(quota), trip.route.company.rules.max_passengers)
    passengers = passengers_asked(request.GET, limit=max_passengers)
    seats = seat_map(trip=trip, class_code=class_code, mask=journey.mask)
    names = {} if terms.coaches else class_names(company_id=trip.route.company_id, codes=classes)
    # Counted as the search results count them, not from the drawn seats.
    availability = journey_availability(journey, class_code=class_code, classes=classes)
    tariff = tariff_get(
        company_id=trip.route.company_id,
        class_code=class_code,
        route_id=trip.route_id,
        origin_id=journey.origin.station_id,
        destination_id=journey.destination.station_id,
    )
    base = {"from": journey.origin.station.code, "to": journey.destination.station.code}
    return render(
        request,
        "booking/trip.html",
        {
            **context,
            "class_code": class_code,
            "quota": quota,
            "quota_label": Quota(quota).label,
            "class_links": [
                (
                    class_label(c, names=names, terms=terms),
                    reverse("booking:trip", args=[pk]) + "?" + urlencode({**base, "class": c}),
                    c == class_code,
                )
                for c in classes
            ],
            "coaches": coach_maps(
                seats,
                quota=quota,
                picked=set(request.GET.getlist("seat")),
                plans=coach_plans(trip=trip, class_code=class_code),
            ),
            "availability": availability,
            "availability_text": availability_text(
                availability.status, free=availability.free_total, terms=terms
            ),
            "quota_counts": quota_counts(availability, quotas=terms.quotas),
            "unit": "berth" if any(s.berth_type in BERTHS for s in seats) else "seat",
            "fare": tariff.fare(distance_km=journey.distance_km, quota=quota),
            "max_passengers": max_passengers,
            "passengers": passengers,
            # The "book without choosing" link's quota parameter, the party's size after it.
            "book_quota": quota + (f"&passengers={passengers}" if passengers > 1 else ""),
            "hidden": {
                **base,
                "class": class_code,
                "quota": quota,
                **({"passengers": passengers} if passengers > 1 else {}),
            },
        },
    )
