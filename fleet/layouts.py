"""Seat layout builders: the seats of a coach from a layout kind.

Pure functions (no database): `build_seats(kind, rows=..., grid=..., rac_berths=...)` returns
the seats as `SeatSpec`s; `fleet.services.coach_build_seats` writes them. The Indian Railways
plans follow the berth numbering printed in the coaches:

- SL and 3A: 72 berths in 9 bays of 8: LB MB UB LB MB UB on the main side, SL SU on the side.
- 2A: bays of 6 (LB UB LB UB, SL SU), 8 bays (48) or 9 (54).
- 1A: cabins of 4 and coupes of 2, odd numbers lower, even upper (24 berths).
- CC: 3+2 seating, 78 seats (window, middle, aisle | aisle, window).
- Buses: 2+2 or 2+1 with a given number of rows; or any plan drawn as a text grid.

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
    ("Bus 2+2, 10 rows (40)", Kind.BUS_2_2, 10),
    ("Bus 2+2, 12 rows (48)", Kind.BUS_2_2, 12),
    ("Bus 2+1, 10 rows (30)", Kind.BUS_2_1, 10),
]


class LayoutError(ValueError):
    """The layout cannot be built (missing row count, malformed grid, too many RAC berths)."""


@dataclass(frozen=True)
class SeatSpec:
    number: str
    berth_type: str
    is_rac: bool
    row: int
    column: int


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


def _bus(rows: int | None, pattern: list[tuple[int, str]]) -> list[tuple[str, int, int]]:
    if not rows or rows < 1 or rows > MAX_GRID_ROWS:
        raise LayoutError(
            _("A bus layout needs between 1 and {max} rows.").format(max=MAX_GRID_ROWS)
        )
    return [(kind, row, column) for row in range(rows) for column, kind in pattern]


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
            cells = _bus(
                rows,
                [
                    (0, BerthType.WINDOW),
                    (1, BerthType.AISLE),
                    (3, BerthType.AISLE),
                    (4, BerthType.WINDOW),
                ],
            )
        case Kind.BUS_2_1:
            cells = _bus(rows, [(0, BerthType.WINDOW), (1, BerthType.AISLE), (3, BerthType.WINDOW)])
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
