"""A uniform lon/lat cell grid that settles most point-in-polygon questions by lookup.

Private helper of :mod:`geo.assign.index`. Every cell of a regular grid over the
polygons' extent gets one code:

- ``k >= 0``: the cell lies in the interior of polygon ``k`` and of no other;
- ``-1``: no polygon covers any point of the cell;
- ``<= -2``: the cell needs work; row ``-code - 2`` of a CSR table lists the
  polygons that may cover its points, each flagged ``whole`` when that polygon's
  interior covers the entire cell (no exact test needed for it).

A cell is *clean* for a polygon when no segment of the polygon's rings comes
within ``_EPS_DEG`` of the cell's closed square. A clean cell is then entirely
inside or entirely outside that polygon, so one representative point decides
it. For every row of cells we count signed ring crossings of the horizontal
line through the cell centres (a scanline winding number over all polygons at
once); a cell clean for every polygon with winding count 1 belongs to exactly
one polygon, whose index the crossings weighted by ``index + 1`` give.

Hand-written on numpy because the library route (``contains_properly`` of each
cell box, then an ``STRtree`` query per cell) took about 19 s for 3.6 M cells
over the US counties (notes/performance-baselines.md, section 1); this build is
one pass over the ring segments. Coordinates are lon/lat degrees (any CRS in
degrees works; the grid is planar in lon/lat).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geo.errors import InvalidInputError

# Margin around every cell, in degrees. It must exceed the floating error of
# ``(x - x0) / cell_deg`` and of a scanline crossing (about 1e-13 deg for
# |x| <= 360), so that a point the arithmetic puts in a clean cell really lies
# in that cell's square grown by the margin.
_EPS_DEG = 1e-9
_MAX_CELLS = 1 << 26


@dataclass(frozen=True, slots=True)
class CellGrid:
    """Cell codes and the CSR table of candidate polygons for boundary cells."""

    x0: float
    y0: float
    cell_deg: float
    nx: int
    ny: int
    codes: np.ndarray  # int32 per cell, row-major (iy * nx + ix)
    offsets: np.ndarray  # int64, CSR row starts, length rows + 1
    members: np.ndarray  # int64 polygon index per CSR entry
    whole: np.ndarray  # bool per CSR entry: the polygon's interior covers the cell

    def codes_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Cell code of each point; -1 outside the grid or not finite.

        ``TerritoryIndex.locate`` repeats this arithmetic for one point, so that
        bulk and single-point answers agree to the last bit.
        """
        fx = np.subtract(x, self.x0)
        fx /= self.cell_deg
        fy = np.subtract(y, self.y0)
        fy /= self.cell_deg
        inside = (fx >= 0) & (fx < self.nx) & (fy >= 0) & (fy < self.ny)  # False for NaN
        with np.errstate(invalid="ignore"):  # NaN and inf cast to garbage, masked below
            flat = fy.astype(np.intp) * self.nx + fx.astype(np.intp)  # truncation = floor here
        codes = self.codes[np.where(inside, flat, 0)]
        return np.where(inside, codes, -1)

    def candidates(self, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(point, polygon, whole) for every CSR entry of every point in a hard cell."""
        points = np.flatnonzero(codes <= -2)
        rows = -codes[points].astype(np.int64) - 2
        start, n = self.offsets[rows], self.offsets[rows + 1] - self.offsets[rows]
        point = np.repeat(points, n)
        entry = np.repeat(start - np.cumsum(n) + n, n) + np.arange(len(point))
        return point, self.members[entry], self.whole[entry]


def extent(polygons: np.ndarray) -> tuple[float, float, float, float] | None:
    """(min_x, min_y, max_x, max_y) over the non-empty polygons, None if there are none."""
    bounds = shapely.bounds(polygons).reshape(-1, 4)
    bounds = bounds[np.isfinite(bounds).all(axis=1)]
    if len(bounds) == 0:
        return None
    lo, hi = bounds.min(axis=0), bounds.max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[2]), float(hi[3])


def default_cell_deg(polygons: np.ndarray) -> float:
    """About 1,024 cells per polygon, between 4,096 and 4 Mi cells in all."""
    bounds = extent(polygons)
    if bounds is None:
        return 1.0
    width, height = max(bounds[2] - bounds[0], 1e-6), max(bounds[3] - bounds[1], 1e-6)
    n_polygons = len(polygons)
    n_cells = min(max(1024 * n_polygons, 4096), 1 << 22)
    return float(np.sqrt(width * height / n_cells))


def build_cell_grid(polygons: np.ndarray, cell_deg: float) -> CellGrid:
    """Build the grid for valid (Multi)Polygons, indexed by position in ``polygons``."""
    return _grid_in(polygons, _frame(extent(polygons), cell_deg))


def patched_grid(
    grid: CellGrid,
    polygons: np.ndarray,
    changed: np.ndarray,
    old_bounds: np.ndarray,
    moved: np.ndarray | None = None,
) -> CellGrid | None:
    """``grid`` once the polygons at positions ``changed`` have their shapes in ``polygons``.

    ``grid`` was built for the same polygons in the same positions, with the
    changed ones' old shapes, whose boxes are ``old_bounds`` (one row of
    min x, min y, max x, max y each). With ``moved``, polygons came or went:
    ``grid``'s polygon ``j`` is ``polygons[moved[j]]`` (-1: gone), ``changed``
    names the new and reshaped ones, and ``old_bounds`` holds the gone ones'
    boxes too (a gone polygon, like an old shape, reaches only its box). A polygon's winding number and its
    ring segments reach only the cells within its box, so only the cells in
    the old and new boxes of the changed polygons can change code. Those are
    built again (with a cell of margin), from the polygons whose boxes reach
    them, in a frame aligned with ``grid``'s; every other cell and its
    candidate list is kept. One county reshaped at 1,000 counties: a few
    hundred cells, against the whole grid's millions. Answers are the same as
    a full build's. None when a new shape leaves the grid's frame: build
    the grid anew.
    """
    x0, y0, c, nx, ny = grid.x0, grid.y0, grid.cell_deg, grid.nx, grid.ny
    new_bounds = shapely.bounds(polygons[changed]).reshape(-1, 4)
    boxes = np.concatenate([np.asarray(old_bounds, dtype=float).reshape(-1, 4), new_bounds])
    if not len(boxes) or not np.isfinite(boxes).all():
        return None  # an empty shape: nothing to bound the change by
    lo_x, lo_y = boxes[:, 0].min(), boxes[:, 1].min()
    hi_x, hi_y = boxes[:, 2].max(), boxes[:, 3].max()
    # The frame holds every shape with half a cell of room: a new shape must too.
    if (
        lo_x - c / 2 < x0
        or lo_y - c / 2 < y0
        or hi_x + c / 2 > x0 + nx * c
        or hi_y + c / 2 > y0 + ny * c
    ):
        return None
    # Cells to build again: the boxes with a cell of margin, within the grid.
    ix0 = max(int(np.floor((lo_x - _EPS_DEG - x0) / c)) - 1, 0)
    iy0 = max(int(np.floor((lo_y - _EPS_DEG - y0) / c)) - 1, 0)
    ix1 = min(int(np.floor((hi_x + _EPS_DEG - x0) / c)) + 1, nx - 1)
    iy1 = min(int(np.floor((hi_y + _EPS_DEG - y0) / c)) + 1, ny - 1)
    # Built in a frame one cell wider on every side: what crosses a row beyond
    # the frame lands in its edge columns (see _scanline_winding), so the cells
    # within keep their winding numbers; the edge cells are not taken.
    sub_frame = (x0 + (ix0 - 1) * c, y0 + (iy0 - 1) * c, c, ix1 - ix0 + 3, iy1 - iy0 + 3)
    box = np.array(
        [
            sub_frame[0],
            sub_frame[1],
            sub_frame[0] + sub_frame[3] * c,
            sub_frame[1] + sub_frame[4] * c,
        ]
    )
    bounds = shapely.bounds(polygons).reshape(-1, 4)
    reach = np.flatnonzero(
        (bounds[:, 0] <= box[2])
        & (bounds[:, 2] >= box[0])
        & (bounds[:, 1] <= box[3])
        & (bounds[:, 3] >= box[1])
    )
    sub = _grid_in(polygons[reach], sub_frame)
    # The cells rebuilt, as global and as the sub-grid's flat indices.
    gx, gy = np.meshgrid(np.arange(ix0, ix1 + 1), np.arange(iy0, iy1 + 1))
    cells = (gy * nx + gx).ravel()
    local = ((gy - iy0 + 1) * sub.nx + (gx - ix0 + 1)).ravel()
    return _spliced(grid, cells, sub, local, reach, moved)


def _spliced(
    grid: CellGrid,
    cells: np.ndarray,
    sub: CellGrid,
    local: np.ndarray,
    reach: np.ndarray,
    moved: np.ndarray | None,
) -> CellGrid | None:
    """``grid`` with the codes of ``cells`` taken from ``sub``'s ``local`` cells.

    ``sub`` indexes the polygons at positions ``reach``. Candidate rows are
    numbered anew: the kept ones first, in their old order, then ``sub``'s.
    ``moved``: the kept cells' polygons renumbered (see :func:`patched_grid`);
    None when a kept cell names a gone one, which its box should have ruled out.
    """
    codes = grid.codes.copy()
    rebuilt = np.zeros(len(codes), dtype=bool)
    rebuilt[cells] = True
    kept_cells = np.flatnonzero((codes <= -2) & ~rebuilt)
    kept_members, kept_whole, kept_counts = _rows_of(grid, -codes[kept_cells].astype(np.int64) - 2)
    if moved is not None:
        inside = np.flatnonzero((codes >= 0) & ~rebuilt)
        codes[inside] = moved[codes[inside]]
        kept_members = moved[kept_members]
        if (codes[inside] < 0).any() or (kept_members < 0).any():
            return None
    sub_codes = sub.codes[local]
    hard = sub_codes <= -2
    new_members, new_whole, new_counts = _rows_of(sub, -sub_codes[hard].astype(np.int64) - 2)
    codes[kept_cells] = -2 - np.arange(len(kept_cells), dtype=np.int32)
    # -1 past the end: no polygon may reach the cells (the only one there went).
    owners = np.append(reach, -1)
    placed = owners[np.where(sub_codes >= 0, sub_codes, len(reach))].astype(np.int32)
    placed[hard] = -2 - len(kept_cells) - np.arange(int(hard.sum()), dtype=np.int32)
    codes[cells] = placed
    counts = np.concatenate([kept_counts, new_counts])
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    members = np.concatenate([kept_members, reach[new_members]])
    whole = np.concatenate([kept_whole, new_whole])
    return CellGrid(
        grid.x0, grid.y0, grid.cell_deg, grid.nx, grid.ny, codes, offsets, members, whole
    )


def _rows_of(grid: CellGrid, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The members and whole flags of the candidate ``rows``, in order, and each row's length."""
    start = grid.offsets[rows]
    counts = grid.offsets[rows + 1] - start
    entry = np.repeat(start - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    return grid.members[entry], grid.whole[entry], counts


def _grid_in(polygons: np.ndarray, frame: tuple[float, float, float, int, int]) -> CellGrid:
    """The grid of ``polygons`` over ``frame`` (see :func:`build_cell_grid`)."""
    oriented = shapely.orient_polygons(polygons)  # exterior CCW: winding +1 inside
    x1, y1, x2, y2, owner = _segments(oriented)
    boundary = _boundary_keys(x1, y1, x2, y2, owner, frame, len(polygons))
    count, weighted = _scanline_winding(x1, y1, x2, y2, owner, frame)
    codes, hard = _cell_codes(count, weighted, boundary // len(polygons), len(polygons))
    rows, members, whole = _candidates(polygons, frame, hard, boundary)
    codes[hard] = -2 - np.arange(len(hard), dtype=np.int32)
    offsets = np.zeros(len(hard) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(hard)), out=offsets[1:])
    return CellGrid(*frame, codes, offsets, members, whole)


def _frame(
    bounds: tuple[float, float, float, float] | None, cell_deg: float
) -> tuple[float, float, float, int, int]:
    """Grid origin, cell size and shape, padded by half a cell on every side."""
    if bounds is None:  # nothing to index: one empty cell
        return 0.0, 0.0, cell_deg, 1, 1
    x0, y0 = bounds[0] - cell_deg / 2, bounds[1] - cell_deg / 2
    nx = int(np.floor((bounds[2] - x0) / cell_deg)) + 2
    ny = int(np.floor((bounds[3] - y0) / cell_deg)) + 2
    if nx * ny > _MAX_CELLS:
        raise InvalidInputError(f"cell_deg={cell_deg} gives {nx * ny} cells (max {_MAX_CELLS})")
    return x0, y0, cell_deg, nx, ny


def _segments(polygons: np.ndarray) -> tuple[np.ndarray, ...]:
    """Every ring segment as (x1, y1, x2, y2, polygon index) arrays."""
    parts, part_owner = shapely.get_parts(polygons, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, ring_of = shapely.get_coordinates(rings, return_index=True)
    same = ring_of[:-1] == ring_of[1:]
    start = np.flatnonzero(same)
    owner = part_owner[ring_part[ring_of[start]]]
    return xy[start, 0], xy[start, 1], xy[start + 1, 0], xy[start + 1, 1], owner


def _boundary_keys(
    x1: np.ndarray,
    y1: np.ndarray,
    x2: np.ndarray,
    y2: np.ndarray,
    owner: np.ndarray,
    frame: tuple[float, float, float, int, int],
    n_polygons: int,
) -> np.ndarray:
    """Sorted unique ``cell * n_polygons + polygon`` for every cell a ring touches."""
    x0, y0, c, nx, ny = frame
    # Cut segments into pieces at most one cell long, so each piece's box
    # (grown by the margin) spans at most 3 x 3 cells: a conservative cover.
    n = np.maximum(1, np.ceil(np.maximum(np.abs(x2 - x1), np.abs(y2 - y1)) / c)).astype(np.int64)
    seg = np.repeat(np.arange(len(n)), n)
    step = np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n)
    t0, t1 = step / n[seg], (step + 1) / n[seg]
    ax, bx = x1[seg] + t0 * (x2 - x1)[seg], x1[seg] + t1 * (x2 - x1)[seg]
    ay, by = y1[seg] + t0 * (y2 - y1)[seg], y1[seg] + t1 * (y2 - y1)[seg]
    i0 = np.floor((np.minimum(ax, bx) - _EPS_DEG - x0) / c).astype(np.int64)
    i1 = np.floor((np.maximum(ax, bx) + _EPS_DEG - x0) / c).astype(np.int64)
    j0 = np.floor((np.minimum(ay, by) - _EPS_DEG - y0) / c).astype(np.int64)
    j1 = np.floor((np.maximum(ay, by) + _EPS_DEG - y0) / c).astype(np.int64)
    keys = []
    for di in range(3):
        for dj in range(3):
            ok = (i0 + di <= i1) & (j0 + dj <= j1)
            ix = np.clip(i0[ok] + di, 0, nx - 1)
            iy = np.clip(j0[ok] + dj, 0, ny - 1)
            keys.append((iy * nx + ix) * n_polygons + owner[seg[ok]])
    return np.unique(np.concatenate(keys))


def _scanline_winding(
    x1: np.ndarray,
    y1: np.ndarray,
    x2: np.ndarray,
    y2: np.ndarray,
    owner: np.ndarray,
    frame: tuple[float, float, float, int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: how many polygons wind around its centre line, and sum of (index + 1)."""
    x0, y0, c, nx, ny = frame
    lo = np.floor((np.minimum(y1, y2) - y0) / c - 0.5).astype(np.int64)
    hi = np.floor((np.maximum(y1, y2) - y0) / c - 0.5).astype(np.int64) + 1
    n = hi - lo + 1
    seg = np.repeat(np.arange(len(n)), n)
    row = lo[seg] + np.arange(len(seg)) - np.repeat(np.cumsum(n) - n, n)
    yc = y0 + (row + 0.5) * c
    # Half-open rule: a crossing counts when exactly one end is at or below the
    # line, so a vertex lying on the line is counted once, never twice.
    ok = ((y1[seg] <= yc) != (y2[seg] <= yc)) & (row >= 0) & (row < ny)
    seg, row, yc = seg[ok], row[ok], yc[ok]
    xc = x1[seg] + (yc - y1[seg]) * (x2 - x1)[seg] / (y2 - y1)[seg]
    col = np.clip(np.floor((xc - x0) / c).astype(np.int64), 0, nx - 1)
    sign = np.where(y2[seg] > y1[seg], 1.0, -1.0)
    flat = row * nx + col
    # A cell's winding number sums the crossings strictly to its right.
    count = _sum_right(np.bincount(flat, sign, nx * ny).reshape(ny, nx))
    weighted = _sum_right(np.bincount(flat, sign * (owner[seg] + 1), nx * ny).reshape(ny, nx))
    return count.ravel(), weighted.ravel()


def _sum_right(crossings: np.ndarray) -> np.ndarray:
    """For every cell, the sum of the row's entries in the columns to its right."""
    total = np.cumsum(crossings, axis=1)
    right: np.ndarray = np.rint(total[:, -1:] - total).astype(np.int64)
    return right


def _cell_codes(
    count: np.ndarray, weighted: np.ndarray, boundary_cells: np.ndarray, n_polygons: int
) -> tuple[np.ndarray, np.ndarray]:
    """Direct codes for clean cells; the sorted flat indices of cells needing work."""
    clean = np.ones(len(count), dtype=bool)
    clean[boundary_cells] = False
    owner = weighted - 1
    direct = clean & (count == 1) & (owner >= 0) & (owner < n_polygons)
    codes = np.full(len(count), -1, dtype=np.int32)
    codes[direct] = owner[direct]
    hard = np.flatnonzero(~direct & ~(clean & (count == 0)))
    return codes, hard


def _candidates(
    polygons: np.ndarray,
    frame: tuple[float, float, float, int, int],
    hard: np.ndarray,
    boundary: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR entries (row, polygon, whole) for the cells that need work, row-sorted."""
    n_polygons = len(polygons)
    row_of = np.full(frame[3] * frame[4], -1, dtype=np.int64)
    row_of[hard] = np.arange(len(hard))
    touch_rows, touch_poly = row_of[boundary // n_polygons], boundary % n_polygons
    whole_rows, whole_poly = _wholly_covering(polygons, frame, hard, boundary)
    rows = np.concatenate([touch_rows, whole_rows])
    poly = np.concatenate([touch_poly, whole_poly])
    whole = np.concatenate([np.zeros(len(touch_rows), bool), np.ones(len(whole_rows), bool)])
    order = np.lexsort((poly, rows))
    return rows[order], poly[order], whole[order]


def _wholly_covering(
    polygons: np.ndarray,
    frame: tuple[float, float, float, int, int],
    hard: np.ndarray,
    boundary: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(row, polygon) where a polygon not touching a hard cell contains all of it."""
    x0, y0, c, nx, _ = frame
    xc, yc = x0 + (hard % nx + 0.5) * c, y0 + (hard // nx + 0.5) * c
    tree = shapely.STRtree(polygons)
    row, poly = tree.query(shapely.points(xc, yc))
    clean = ~np.isin(hard[row] * len(polygons) + poly, boundary, assume_unique=False)
    row, poly = row[clean], poly[clean]
    # The cell is clean for this polygon, so its centre decides for the whole cell.
    inside = shapely.contains_xy(polygons[poly], xc[row], yc[row])
    return row[inside], poly[inside]
