"""Seat layout builders: the seats of a coach from a layout kind.

Pure functions (no database): `build_seats(kind, rows=..., grid=..., rac_berths=...)` returns
the seats as `SeatSpec`s; `fleet.services.coach_build_seats` writes them. The Indian Railways
plans follow the berth numbering printed in the coaches:

- SL and 3A: 72 berths in 9 bays of 8: LB MB UB LB MB UB on the main side, SL SU on the side.
- 2A: bays of 6 (LB UB LB UB, SL SU), 8 bays (48) or 9 (54).
- 1A: cabins of 4 and coupes of 2, odd numbers lower, even upper (24 berths).
- CC: 3+2 seating, 78 seats (window, middle, aisle | aisle, window).
- Buses, numbered as painted in the bus: 1, 2, 3, 4 left to right, row by row from the
  front, the back row last. 2+2 coaches and 2+1 (VIP) with a given number of rows, from 5
  rows on the last one a full-width back row (5 seats on a 2+2, 4 on a 2+1); a 2+2 of 12
  rows or more has a rear door on the right halfway down, that row keeping its left pair. A coaster
  (minibus such as the Toyota Coaster): 2+1 rows behind the front door, whose steps take
  the first row's right seat, and a back row of 4. Or any plan drawn as a text grid.

Buses also have fixtures drawn on the seat map (`bus_fixtures`): the driver at the front
left, the front door at the front right, the rear door where there is one.

RAC berths are side lowers (two RAC passengers share one until confirmed): by default 7 per
SL coach, 4 per 3A and 3 per 2A (DESIGN.md 5); a layout may say otherwise.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .models import BerthType, SeatLayout

Kind = SeatLayout.Kind

MAX_GRID_ROWS = 40
MAX_SEATS = 150

DEFAULT_RAC_BERTHS = {Kind.SL: 7, Kind.AC3: 4, Kind.AC2_48: 3, Kind.AC2_54: 3}

# The shared layouts every operator can pick (seeded by a migration, re-created on demand by
# `fleet.services.standard_layout`): (name, kind, rows).
STANDARD_LAYOUTS = [
    ("IR sleeper SL (72)", Kind.SL, None),
    ("IR AC 3 tier 3A (72)", Kind.AC3, None),
    ("IR AC 2 tier 2A (48)", Kind.AC2_48, None),
    ("IR AC 2 tier 2A (54)", Kind.AC2_54, None),
    ("IR AC first 1A (24)", Kind.AC1, None),
    ("IR chair car CC (78)", Kind.CC, None),
    ("Bus 2+2, 10 rows (41)", Kind.BUS_2_2, 10),
    ("Bus 2+2, 12 rows (47)", Kind.BUS_2_2, 12),
    ("Bus 2+1, 10 rows (31)", Kind.BUS_2_1, 10),
    ("Coaster 2+1, 10 rows (30)", Kind.COASTER, 10),
]

BUS_KINDS = {Kind.BUS_2_2, Kind.BUS_2_1, Kind.COASTER}
# A 2+2 or 2+1 bus this long has a full-width back row; a 2+2 this long, a rear door.
BACK_ROW_MIN_ROWS = 5
REAR_DOOR_MIN_ROWS = 12


class LayoutError(ValueError):
    """The layout cannot be built (missing row count, malformed grid, too many RAC berths)."""


@dataclass(frozen=True)
class SeatSpec:
    number: str
    berth_type: str
    is_rac: bool
    row: int
    column: int


@dataclass(frozen=True)
class Fixture:
    """Something drawn on a bus's seat map that is not a seat: the driver or a door. Row -1
    is the front of the bus, before the first row of seats."""

    kind: str  # "driver" or "door"
    row: int
    column: int


DRIVER = "driver"
DOOR = "door"


_SL_BAY = [
    BerthType.LOWER,
    BerthType.MIDDLE,
    BerthType.UPPER,
    BerthType.LOWER,
    BerthType.MIDDLE,
    BerthType.UPPER,
    BerthType.SIDE_LOWER,
    BerthType.SIDE_UPPER,
]
_2A_BAY = [
    BerthType.LOWER,
    BerthType.UPPER,
    BerthType.LOWER,
    BerthType.UPPER,
    BerthType.SIDE_LOWER,
    BerthType.SIDE_UPPER,
]
_1A_CABIN = [BerthType.LOWER, BerthType.UPPER, BerthType.LOWER, BerthType.UPPER]
_CC_ROW = [
    BerthType.WINDOW,
    BerthType.MIDDLE_SEAT,
    BerthType.AISLE,
    BerthType.AISLE,
    BerthType.WINDOW,
]


def _bays(pattern: list[str], count: int) -> list[tuple[str, int, int]]:
    """(berth type, row, column) for berths 1..count repeating `pattern` per bay."""
    width = len(pattern)
    return [(pattern[i % width], i // width, i % width) for i in range(count)]


def _bus_rows(rows: int | None, *, least: int = 1) -> int:
    if not rows or rows < least or rows > MAX_GRID_ROWS:
        raise LayoutError(
            _("A bus layout needs between {least} and {max} rows.").format(
                least=least, max=MAX_GRID_ROWS
            )
        )
    return rows


def _back_row(row: int, width: int) -> list[tuple[str, int, int]]:
    """The full-width back row: windows at both ends, middle seats between."""
    return [
        (BerthType.WINDOW if column in (0, width - 1) else BerthType.MIDDLE_SEAT, row, column)
        for column in range(width)
    ]


def _bus(
    rows: int | None, pattern: list[tuple[int, str]], *, width: int, rear_door: int | None = None
) -> list[tuple[str, int, int]]:
    """Rows of `pattern` (column, berth type), the last one a back row `width` seats wide
    (from BACK_ROW_MIN_ROWS rows: a shorter plan is a minibus of plain rows); the row
    `rear_door` keeps only its left pair (the door takes the right side)."""
    rows = _bus_rows(rows)
    if rows < BACK_ROW_MIN_ROWS:
        return [(kind, row, column) for row in range(rows) for column, kind in pattern]
    cells = []
    for row in range(rows - 1):
        cells.extend(
            (kind, row, column)
            for column, kind in pattern
            if row != rear_door or column < width // 2
        )
    return cells + _back_row(rows - 1, width)


_BUS_2_2 = [
    (0, BerthType.WINDOW),
    (1, BerthType.AISLE),
    (3, BerthType.AISLE),
    (4, BerthType.WINDOW),
]
_BUS_2_1 = [(0, BerthType.WINDOW), (1, BerthType.AISLE), (3, BerthType.WINDOW)]


def _rear_door_row(kind: str, rows: int | None) -> int | None:
    if kind == Kind.BUS_2_2 and rows and rows >= REAR_DOOR_MIN_ROWS:
        return rows // 2
    return None


def _coaster(rows: int | None) -> list[tuple[str, int, int]]:
    """2+1 rows; the first row has no right seat (the door's steps); a back row of 4."""
    rows = _bus_rows(rows, least=3)
    cells = []
    for row in range(rows - 1):
        cells.extend((kind, row, column) for column, kind in _BUS_2_1 if row or column < 2)
    return cells + _back_row(rows - 1, 4)


def bus_fixtures(kind: str, *, rows: int | None = None, width: int = 5) -> list[Fixture]:
    """The driver and the doors of a bus of this layout kind (any other kind, e.g. a
    custom grid fitted in a bus: the driver at the front left, the door at the front right
    of a plan `width` columns wide)."""
    match kind:
        case Kind.COASTER:
            return [Fixture(DRIVER, -1, 0), Fixture(DOOR, 0, 3)]
        case Kind.BUS_2_1:
            width = 4
        case Kind.BUS_2_2:
            width = 5
    fixtures = [Fixture(DRIVER, -1, 0), Fixture(DOOR, -1, width - 1)]
    if (rear := _rear_door_row(kind, rows)) is not None:
        fixtures.append(Fixture(DOOR, rear, width - 1))
    return fixtures


def _grid(grid: str) -> list[tuple[str, int, int]]:
    lines = [line.rstrip() for line in grid.strip("\n").splitlines()]
    if not lines or not any(lines):
        raise LayoutError(_("Draw at least one row of seats, e.g. 'AB_CD'."))
    if len(lines) > MAX_GRID_ROWS:
        raise LayoutError(_("A grid has at most {max} rows.").format(max=MAX_GRID_ROWS))
    cells = []
    for row, line in enumerate(lines):
        bad = sorted({ch for ch in line if not (ch.isalnum() or ch in "_. ")})
        if bad:
            raise LayoutError(
                _(
                    "Row {row} has characters a grid cannot hold: {characters}. "
                    "Use a letter per seat, '_' for the aisle, '.' for no seat."
                ).format(row=row + 1, characters="".join(bad))
            )
        for column, ch in enumerate(line):
            if not ch.isalnum():
                continue
            left = line[column - 1] if column else ""
            right = line[column + 1] if column + 1 < len(line) else ""
            if column == 0 or column == len(line) - 1:
                kind = BerthType.WINDOW
            elif "_" in (left, right):
                kind = BerthType.AISLE
            else:
                kind = BerthType.MIDDLE_SEAT
            cells.append((kind, row, column))
    if not cells:
        raise LayoutError(_("The grid has no seat: use a letter for each seat."))
    return cells


def build_seats(
    kind: str, *, rows: int | None = None, grid: str = "", rac_berths: int | None = None
) -> list[SeatSpec]:
    """The seats of one coach of this layout kind, numbered from 1 in layout order.

    Raises LayoutError when the parameters do not describe a layout.
    """
    match kind:
        case Kind.SL | Kind.AC3:
            cells = _bays(_SL_BAY, 72)
        case Kind.AC2_48:
            cells = _bays(_2A_BAY, 48)
        case Kind.AC2_54:
            cells = _bays(_2A_BAY, 54)
        case Kind.AC1:
            cells = _bays(_1A_CABIN, 24)
        case Kind.CC:
            cells = _bays(_CC_ROW, 78)
        case Kind.BUS_2_2:
            cells = _bus(rows, _BUS_2_2, width=5, rear_door=_rear_door_row(kind, rows))
        case Kind.BUS_2_1:
            cells = _bus(rows, _BUS_2_1, width=4)
        case Kind.COASTER:
            cells = _coaster(rows)
        case Kind.GRID:
            cells = _grid(grid)
        case _:
            raise LayoutError(f"Unknown layout kind {kind!r}.")
    if len(cells) > MAX_SEATS:
        raise LayoutError(
            _("A coach holds at most {max} seats; this layout has {count}.").format(
                max=MAX_SEATS, count=len(cells)
            )
        )

    side_lowers = [i for i, (berth, _, _) in enumerate(cells) if berth == BerthType.SIDE_LOWER]
    rac = DEFAULT_RAC_BERTHS.get(kind, 0) if rac_berths is None else rac_berths
    if rac > len(side_lowers):
        raise LayoutError(
            _("This layout has {count} side-lower berths; {rac} cannot be RAC berths.").format(
                count=len(side_lowers), rac=rac
            )
        )
    rac_indexes = set(side_lowers[:rac])
    return [
        SeatSpec(
            number=str(i + 1), berth_type=berth, is_rac=i in rac_indexes, row=row, column=column
        )
        for i, (berth, row, column) in enumerate(cells)
    ]


def layout_seats(layout: SeatLayout) -> list[SeatSpec]:
    return build_seats(
        layout.kind, rows=layout.rows, grid=layout.grid, rac_berths=layout.rac_berths
    )
