"""In-memory index of leaf territories: which territories cover a point, and who wins.

A uniform lon/lat grid (:mod:`geo.assign._cellgrid`) answers most points by lookup:
a cell inside exactly one territory names it, a cell outside all names none.
Only points in cells crossed by a boundary, or inside an overlap, get exact
tests on prepared geometries, vectorised over (point, candidate) pairs sorted
by territory so that each polygon's edge index stays in cache.

Covers semantics: a point on a territory's boundary is covered by it, so the
bulk path, the single-point path and PostGIS ``ST_Covers`` give the same set.

Preference among the covering territories, the rule the whole service uses:

1. territories whose *interior* holds the point come first, smallest area
   first, then lowest id;
2. territories that hold it only on their boundary follow, lowest id first.

So a point on the shared edge of two adjacent territories (interior of none)
always goes to the lower id and is not a conflict; a point inside two
overlapping territories is a conflict won by the smaller (more specific) one.
Areas are :func:`geo.crs.area_km2` (km2, equal-area EPSG:6933), as in every
other area ``geo`` reports.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from geo.assign import _cellgrid
from geo.assign._geometry_check import check_geometries
from geo.assign._leaf_patch import leaf_patch
from geo.assign.assignment import LocateResult, Resolver
from geo.crs import area_km2
from geo.errors import InvalidInputError
from geo.hierarchy import leaf_territories
from geo.model import Territory

__all__ = ["Covering", "LocateResult", "TerritoryIndex"]

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]  # (point, leaf position, flag) per pair


@dataclass(frozen=True, slots=True)
class Covering:
    """Covering leaf territories per point, in CSR form, preferred first.

    Point ``i`` is covered by ``territory_ids[offsets[i]:offsets[i + 1]]``;
    ``interior`` says, per entry, whether the point lies in that territory's
    interior (``False``: on its boundary only).
    """

    offsets: np.ndarray
    territory_ids: np.ndarray
    interior: np.ndarray

    def of(self, i: int) -> tuple[int, ...]:
        """Covering territory ids of point ``i``, preferred first."""
        return tuple(self.territory_ids[self.offsets[i] : self.offsets[i + 1]].tolist())


class TerritoryIndex:
    """Leaf territories with a cell grid for fast exact point assignment.

    Build it with :meth:`build`; nothing changes it afterwards. Attributes:
    ``territories`` (the leaves by id), ``ids``, ``geometries`` (prepared),
    ``area_km2``, ``grid``, ``tree`` (an STRtree over the leaves) and
    ``resolver`` (the assignment rule, :class:`geo.assign.assignment.Resolver`).
    """

    territories: tuple[Territory, ...]

    def __init__(self, leaves: tuple[Territory, ...], grid: _cellgrid.CellGrid) -> None:
        self.territories = leaves
        self.ids = np.array([t.id for t in leaves], dtype=np.int64)
        self._ids_or_none = np.append(self.ids, -1)
        self.geometries = np.array([t.geometry for t in leaves], dtype=object)
        self.area_km2 = area_km2(self.geometries)  # geo.crs: one area for all of geo
        rank = np.empty(len(leaves), dtype=np.int64)
        rank[np.lexsort((self.ids, self.area_km2))] = np.arange(len(leaves))
        self.rank = rank  # interior preference: smallest area, then lowest id
        self.grid = grid
        self.tree = shapely.STRtree(self.geometries)
        self.resolver = Resolver(leaves)
        self._codes = grid.codes.data  # a memoryview: item access gives Python ints, fast
        self._offsets = grid.offsets.data
        self._frame = (grid.x0, grid.y0, grid.cell_deg, grid.nx, grid.ny)

    def with_records(self, leaves: Sequence[Territory]) -> TerritoryIndex:
        """This index for new records of the same leaves: same ids, order and shapes.

        A write that changes names, reps, rules or colours only keeps every
        derived array (areas, ranks, grid, tree), so nothing is reprojected.

        >>> index = TerritoryIndex.build([Territory(1, "a", shapely.box(0, 0, 1, 1))])
        >>> index.with_records([Territory(1, "a", shapely.box(0, 0, 1, 1), rep_ids=(9,))]).locate(
        ...     0.5, 0.5
        ... ).rep_ids
        (9,)
        """
        new = copy.copy(self)
        new.territories = tuple(leaves)
        new.resolver = self.resolver.with_records(new.territories)
        return new

    def with_replaced(self, records: Mapping[int, Territory]) -> TerritoryIndex:
        """This index with new records for the leaves of ``records`` (by id), same shapes.

        As :meth:`with_records`, for a few leaves named by id: each is found by
        a binary search of the sorted ids and keeps the prepared geometry held,
        so the work is that of the records given, not of every leaf (one
        colour changed at 1,000 counties: one entry made again, no leaf
        compared). An id that is not a leaf here (a parent) is passed over.

        >>> index = TerritoryIndex.build([Territory(1, "a", shapely.box(0, 0, 1, 1))])
        >>> new = Territory(1, "a", shapely.box(0, 0, 1, 1), rep_ids=(9,))
        >>> index.with_replaced({1: new, 5: new}).locate(0.5, 0.5).rep_ids
        (9,)
        """
        ids = sorted(records)
        leaves = list(self.territories)
        places = []
        for place, territory_id in zip(np.searchsorted(self.ids, ids).tolist(), ids, strict=True):
            if place < len(leaves) and leaves[place].id == territory_id:
                held = leaves[place].geometry  # prepared already
                leaves[place] = dataclasses.replace(records[territory_id], geometry=held)
                places.append(place)
        new = copy.copy(self)
        new.territories = tuple(leaves)
        new.resolver = self.resolver.with_leaves_at(new.territories, places)
        return new

    def with_shapes_replaced(self, records: Mapping[int, Territory]) -> TerritoryIndex | None:
        """This index with new records, shapes included, for the leaves of ``records`` (by id).

        As :meth:`with_leaves`, the same leaves with a few reshaped. None when
        a full build is needed instead: an id that is not a leaf here, or a new
        shape outside the grid's frame. Raises
        :class:`~geo.errors.InvalidGeometryError` as :meth:`build` does.

        >>> a, b = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
        >>> index = TerritoryIndex.build([Territory(1, "a", a), Territory(2, "b", b)])
        >>> shrunk, grown = shapely.box(0, 0, 0.5, 1), shapely.box(0.5, 0, 2, 1)
        >>> moved = {1: Territory(1, "a", shrunk), 2: Territory(2, "b", grown)}
        >>> index.with_shapes_replaced(moved).locate(0.75, 0.5).territory_id
        2
        """
        at = {territory_id: place for place, territory_id in enumerate(self.ids.tolist())}
        if not records.keys() <= at.keys():
            return None
        leaves = list(self.territories)
        for territory_id, territory in records.items():
            leaves[at[territory_id]] = territory
        return self.with_leaves(leaves, records.keys())

    def with_leaves(
        self, leaves: Sequence[Territory], touched: Collection[int]
    ) -> TerritoryIndex | None:
        """This index for the leaf territories ``leaves``, of which only those whose ids
        are in ``touched`` and those that came or went differ from this index's.

        The grid is patched where the old and new shapes of the reshaped leaves
        and the shapes of those that came or went lie
        (:func:`geo.assign._cellgrid.patched_grid`), and the other derived
        arrays are updated for those leaves alone: one county reshaped, added
        or deleted at 1,000 counties takes milliseconds, a build a third of a
        second. A touched leaf whose shape is unchanged keeps the prepared
        one held. None when a full build is needed instead: no leaf before or
        after, or a new shape outside the grid's frame. Raises
        :class:`~geo.errors.InvalidGeometryError` as :meth:`build` does.

        >>> a, b = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
        >>> index = TerritoryIndex.build([Territory(1, "a", a), Territory(2, "b", b)])
        >>> inner = Territory(3, "c", shapely.box(0.25, 0.25, 0.5, 0.5))
        >>> index.with_leaves([index.territories[1], inner], ()).locate(0.3, 0.3).territory_id
        3
        """
        patch = leaf_patch(self, leaves, touched)
        if patch is None:
            return None
        ids, grid = patch.ids, patch.grid
        new = copy.copy(self)
        new.territories = patch.records
        new.ids, new._ids_or_none = ids, np.append(ids, -1)
        new.geometries, new.area_km2 = patch.geometries, patch.area_km2
        new.rank = np.empty(len(ids), dtype=np.int64)
        new.rank[np.lexsort((ids, patch.area_km2))] = np.arange(len(ids))
        new.grid = grid
        new.tree = shapely.STRtree(patch.geometries)
        new.resolver = self.resolver.with_leaves_from(patch.records, patch.sources)
        new._codes, new._offsets = grid.codes.data, grid.offsets.data
        new._frame = (grid.x0, grid.y0, grid.cell_deg, grid.nx, grid.ny)
        return new

    @classmethod
    def build(
        cls, territories: Sequence[Territory], *, cell_deg: float | None = None
    ) -> TerritoryIndex:
        """Index the leaf territories (no other territory names them as parent).

        Parameters
        ----------
        territories
            All territories; parents are dropped, leaves kept and sorted by id.
        cell_deg
            Grid cell size in degrees; default about 1,024 cells per leaf.

        Notes
        -----
        Geometries are WGS84 lon/lat degrees; they must be valid (Multi)Polygons
        and are prepared in place. Building the 3,108 US counties (887 k vertices)
        takes about 1.5 s; a lookup then costs about a microsecond.

        >>> sq = shapely.box(0, 0, 1, 1)
        >>> index = TerritoryIndex.build([Territory(1, "a", sq, rep_ids=(7,))])
        >>> index.locate(0.5, 0.5).rep_ids
        (7,)
        """
        leaves = _leaves(territories)
        geometries = np.array([t.geometry for t in leaves], dtype=object)
        check_geometries(territories, leaves, geometries)
        shapely.prepare(geometries)
        size = _cell_size(geometries, cell_deg)
        return cls(leaves, _cellgrid.build_cell_grid(geometries, size))

    def locate(
        self,
        lon: float,
        lat: float,
        *,
        industry: str | None = None,
        products: Sequence[str] = (),
        revenue: float | None = None,
    ) -> LocateResult:
        """Which leaf territory (and reps) own the point, for an account with these fields.

        Notes
        -----
        ``lon``/``lat`` in WGS84 degrees. A non-finite coordinate gives
        ``unassigned:no-location``. Same answer as the bulk path, point for point.

        >>> index = TerritoryIndex.build([Territory(1, "a", shapely.box(0, 0, 1, 1))])
        >>> index.locate(2.0, 0.5).assignment
        'unassigned:outside-all'
        """
        if not (math.isfinite(lon) and math.isfinite(lat)):
            return self.resolver.no_location
        code = self._code(lon, lat)
        if code >= 0:
            return self.resolver.single(code, (industry, products, revenue))
        if code == -1:
            return self.resolver.outside
        leaf, interior = self._exact_one(lon, lat, -code - 2)
        return self.resolver.resolve(leaf, interior, (industry, products, revenue))

    def covering_ids(self, lon: np.ndarray, lat: np.ndarray) -> Covering:
        """Every covering leaf territory of every point, preferred first (CSR).

        Notes
        -----
        ``lon``/``lat`` are float arrays in WGS84 degrees; NaN covers nothing.
        Order within a point: interior by (area, id), then boundary-only by id.
        """
        point, leaf, interior = self.covering_leaves(lon, lat)
        offsets = np.zeros(np.asarray(lon).size + 1, dtype=np.int64)
        np.cumsum(np.bincount(point, minlength=len(offsets) - 1), out=offsets[1:])
        return Covering(offsets, self.ids[leaf], interior)

    def winner_ids(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Fast path: the preferred covering territory id per point, -1 for none.

        Geometry only (rules ignored). Equal to the first id of
        :meth:`covering_ids` for every point.

        Notes
        -----
        ``lon``/``lat`` in WGS84 degrees. Interior tests run only for the rare
        points covered by two or more territories.
        """
        x, y = _as_xy(lon, lat)
        codes = self.grid.codes_of(x, y)
        best = np.where(codes >= 0, codes, -1).astype(np.int64)
        point, leaf, whole = self._boundary_pairs(x, y, codes)
        many = np.bincount(point, minlength=len(x)) > 1
        alone = ~many[point]
        best[point[alone]] = leaf[alone]
        point, leaf, whole = point[~alone], leaf[~alone], whole[~alone]
        interior = self._test(shapely.contains_xy, x, y, (point, leaf, whole))
        point, leaf, _ = self._ordered(point, leaf, interior)
        first = np.ones(len(point), dtype=bool)
        first[1:] = point[1:] != point[:-1]
        best[point[first]] = leaf[first]
        return self._ids_or_none[best]  # position -1 reads the trailing -1

    def covering_leaves(self, lon: np.ndarray, lat: np.ndarray) -> Pairs:
        """(point, leaf position, interior) for every covering pair, sorted, preferred first."""
        x, y = _as_xy(lon, lat)
        codes = self.grid.codes_of(x, y)
        direct = np.flatnonzero(codes >= 0)
        point, leaf, whole = self._boundary_pairs(x, y, codes)
        interior = self._test(shapely.contains_xy, x, y, (point, leaf, whole))
        point = np.concatenate([direct, point])
        leaf = np.concatenate([codes[direct].astype(np.int64), leaf])
        interior = np.concatenate([np.ones(len(direct), dtype=bool), interior])
        return self._ordered(point, leaf, interior)

    def _boundary_pairs(self, x: np.ndarray, y: np.ndarray, codes: np.ndarray) -> Pairs:
        """(point, leaf, whole) for the covering pairs of points in hard cells."""
        point, leaf, whole = self.grid.candidates(codes)
        hit = self._test(shapely.intersects_xy, x, y, (point, leaf, whole))
        return point[hit], leaf[hit], whole[hit]

    def _test(
        self, predicate: Callable[..., np.ndarray], x: np.ndarray, y: np.ndarray, pairs: Pairs
    ) -> np.ndarray:
        """Per pair: True where flagged, else ``predicate(leaf geometry, x, y)``."""
        point, leaf, known = pairs
        out = known.copy()
        test = _by_polygon(np.flatnonzero(~known), leaf)
        p = point[test]
        out[test] = predicate(self.geometries[leaf[test]], x[p], y[p])
        return out

    def _ordered(self, point: np.ndarray, leaf: np.ndarray, interior: np.ndarray) -> Pairs:
        """Sort pairs by point, then by the preference rule of the module docstring."""
        key = np.where(interior, self.rank[leaf], len(self.ids) + leaf)
        order = np.lexsort((key, point))
        return point[order], leaf[order], interior[order]

    def _code(self, lon: float, lat: float) -> int:
        """Cell code of one point; the same float arithmetic as ``CellGrid.codes_of``."""
        x0, y0, c, nx, ny = self._frame
        fx, fy = (lon - x0) / c, (lat - y0) / c
        if 0 <= fx < nx and 0 <= fy < ny:
            return int(self._codes[int(fy) * nx + int(fx)])
        return -1

    def _exact_one(self, lon: float, lat: float, row: int) -> tuple[list[int], list[bool]]:
        """Covering leaves of one point in a hard cell, preferred first, with interior flags."""
        start, stop = self._offsets[row], self._offsets[row + 1]
        leaf = self.grid.members[start:stop]
        whole = self.grid.whole[start:stop]
        hit = whole | shapely.intersects_xy(self.geometries[leaf], lon, lat)
        leaf, whole = leaf[hit], whole[hit]
        if len(leaf) > 1:
            whole = whole | shapely.contains_xy(self.geometries[leaf], lon, lat)
            order = np.argsort(np.where(whole, self.rank[leaf], len(self.ids) + leaf))
            leaf, whole = leaf[order], whole[order]
        return leaf.tolist(), whole.tolist()


def _leaves(territories: Sequence[Territory]) -> tuple[Territory, ...]:
    """The territories no other territory names as parent, sorted by id."""
    ids = [t.id for t in territories]
    if len(set(ids)) != len(ids):
        raise InvalidInputError("territory ids must be unique")
    return tuple(sorted(leaf_territories(territories), key=lambda t: t.id))


def _cell_size(geometries: np.ndarray, cell_deg: float | None) -> float:
    if cell_deg is None:  # about 1,024 cells per leaf
        return _cellgrid.default_cell_deg(geometries)
    if not (math.isfinite(cell_deg) and cell_deg > 0):
        raise InvalidInputError(f"cell_deg must be a positive number, got {cell_deg!r}")
    return float(cell_deg)


def _by_polygon(test: np.ndarray, leaf: np.ndarray) -> np.ndarray:
    """Pair positions grouped by polygon, so its prepared edge index stays in cache."""
    keys = leaf[test]
    if len(keys) and keys.max() < 1 << 15:  # numpy radix-sorts 16-bit keys: much faster
        keys = keys.astype(np.int16)
    return test[np.argsort(keys, kind="stable")]


def _as_xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.ascontiguousarray(lon, dtype=np.float64).ravel()
    y = np.ascontiguousarray(lat, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise InvalidInputError("lon and lat must have the same length")
    return x, y
