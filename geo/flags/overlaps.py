"""Overlapping territories: pairs whose interiors share area and whose rules clash.

Two leaf territories conflict when their interiors overlap with positive area
*and* some account could pass both rule sets. Touching along an edge or at a
corner is not an overlap. Candidate pairs come from an STRtree envelope query;
the exact test is the DE-9IM pattern ``T********`` (interiors intersect),
computed only for pairs whose rules can clash, and intersection shapes are
built only for pairs that pass it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
import shapely

from geo._polygonal import Geoms, as_multipolygons, is_real
from geo.crs import EQUAL_AREA_NAME, GRID_DEG, area_km2
from geo.errors import InvalidInputError
from geo.flags.rule_clash import rule_clash_table, rules_can_overlap
from geo.hierarchy import leaf_territories
from geo.model import Rules, Territory

__all__ = [
    "AccountPoint",
    "AccountPoints",
    "MeasuredLeaves",
    "OverlapPair",
    "OverlapReport",
    "find_overlaps",
    "measure_leaves",
    "measure_overlaps",
    "overlaps_with",
    "rules_can_overlap",
]

AccountPoint = tuple[str, float, float]  # (account id, lon, lat)
_INTERIORS_MEET = "T********"


@dataclass(frozen=True, slots=True)
class OverlapPair:
    """Two territories whose interiors overlap and whose rules can both match.

    Attributes
    ----------
    a_id, b_id : int or None
        Territory ids, ``a_id < b_id`` in :func:`find_overlaps`; in
        :func:`overlaps_with` ``a`` is the candidate (``None`` when new).
    a_name, b_name : str
        Territory names.
    overlap_km2 : float
        Area shared, km2 in the equal-area CRS named by the report.
    geometry : shapely.MultiPolygon
        The shared shape, WGS84 lon/lat, snapped to a 1e-7 degree grid.
    account_ids : tuple of str
        Accounts whose location both territories cover, in input order.
    is_sliver : bool
        True when ``overlap_km2`` is below the sliver threshold.
    suggestion : str
        One sentence on how to resolve it.
    """

    a_id: int | None
    b_id: int
    a_name: str
    b_name: str
    overlap_km2: float
    geometry: shapely.MultiPolygon
    account_ids: tuple[str, ...]
    is_sliver: bool
    suggestion: str


@dataclass(frozen=True, slots=True)
class OverlapReport:
    """Every overlapping leaf pair, slivers apart, largest first."""

    overlaps: tuple[OverlapPair, ...]
    slivers: tuple[OverlapPair, ...]
    equal_area_crs: str


def find_overlaps(
    territories: Sequence[Territory],
    accounts: Sequence[AccountPoint] | None = None,
    *,
    sliver_km2: float = 0.05,
) -> OverlapReport:
    """Every pair of leaf territories that overlap with positive area.

    Parameters
    ----------
    territories : sequence of Territory
        All territories; only leaves (named by no ``parent_id``) are compared.
    accounts : sequence of (id, lon, lat), optional
        Account locations; each pair lists the ids whose point both cover.
    sliver_km2 : float, default 0.05
        Overlaps smaller than this go to ``slivers`` with a snapping hint.

    Returns
    -------
    OverlapReport
        ``overlaps`` and ``slivers``, each sorted by area, largest first.

    Raises
    ------
    InvalidInputError
        When ``sliver_km2`` is negative or not finite.

    Notes
    -----
    Geometry is WGS84 lon/lat. Areas are km2 in EPSG:6933 (equal-area) after
    densifying edges to 0.05 degree; overlap shapes are snapped to the 1e-7
    degree storage grid and strips thinner than about 2 cm are rounding
    noise, not overlaps. Antimeridian-split MultiPolygons need no special case.

    Examples
    --------
    >>> west = Territory(1, "West", shapely.box(0, 0, 1, 1))
    >>> east = Territory(2, "East", shapely.box(1, 0, 2, 1))
    >>> find_overlaps([west, east]).overlaps
    ()
    """
    _check_sliver_km2(sliver_km2)
    return measure_leaves(territories).report(accounts, sliver_km2=sliver_km2)


@dataclass(frozen=True)
class MeasuredLeaves:
    """The leaves compared and the shape of every overlap between two of them.

    The slow part of :func:`find_overlaps` (the exact test and intersection
    of every envelope-meeting pair), kept so that after one edit only the
    pairs touching the changed leaves are measured again
    (:func:`measure_leaves` with ``before``).
    """

    leaves: Mapping[int, Territory]
    # (id, id) in the order measured -> (km2, overlap shape)
    shapes: Mapping[tuple[int, int], tuple[float, shapely.MultiPolygon]] = field(repr=False)

    def report(
        self,
        accounts: Sequence[AccountPoint] | AccountPoints | None = None,
        *,
        sliver_km2: float = 0.05,
    ) -> OverlapReport:
        """The overlaps, with the accounts each catches: :func:`find_overlaps`'s answer."""
        _check_sliver_km2(sliver_km2)
        caught = accounts if isinstance(accounts, AccountPoints) else AccountPoints(accounts or ())
        pairs = []
        for (i, j), (km2, shape) in self.shapes.items():
            a, b = sorted((self.leaves[i], self.leaves[j]), key=lambda t: t.id)
            account_ids = caught.covered_by_both(shape, a.geometry, b.geometry)
            pairs.append(_pair(a, b, km2, shape, account_ids, sliver_km2))
        pairs.sort(key=lambda p: (-p.overlap_km2, p.a_id or 0, p.b_id))
        return OverlapReport(
            overlaps=tuple(p for p in pairs if not p.is_sliver),
            slivers=tuple(p for p in pairs if p.is_sliver),
            equal_area_crs=EQUAL_AREA_NAME,
        )


def measure_leaves(
    territories: Sequence[Territory], before: MeasuredLeaves | None = None
) -> MeasuredLeaves:
    """Measure every overlapping pair of leaves; with ``before``, only pairs with a changed leaf.

    A leaf equal to the one ``before`` measured keeps its pairs with the
    other unchanged leaves; pairs are measured as :func:`find_overlaps`
    does (same order of operands), so the answer equals a full measurement.
    """
    leaves = leaf_territories(territories)
    old = before.leaves if before is not None else {}
    fresh = [k for k, t in enumerate(leaves) if old.get(t.id) is not t and old.get(t.id) != t]
    same = {t.id for t in leaves} - {leaves[k].id for k in fresh}
    shapes = {
        pair: v
        for pair, v in (before.shapes.items() if before is not None else ())
        if pair[0] in same and pair[1] in same
    }
    geoms = np.array([t.geometry for t in leaves], dtype=object)
    left, right = _candidate_pairs(geoms, [t.rules for t in leaves], np.array(fresh, dtype=np.intp))
    a_geoms, b_geoms = geoms[left], geoms[right]
    kept, overlap = measure_overlaps(a_geoms, b_geoms)
    for k, km2, shape in zip(kept, area_km2(overlap), overlap, strict=True):
        shapes[(leaves[left[k]].id, leaves[right[k]].id)] = (float(km2), shape)
    return MeasuredLeaves({t.id: t for t in leaves}, shapes)


def overlaps_with(
    candidate_geometry: shapely.Polygon | shapely.MultiPolygon,
    candidate_rules: Rules,
    neighbours: Sequence[Territory],
    exclude_id: int | None,
    *,
    candidate_name: str = "the new territory",
    accounts: Sequence[AccountPoint] | None = None,
    sliver_km2: float = 0.05,
) -> list[OverlapPair]:
    """Overlaps a new or edited territory would create with its neighbours.

    Parameters
    ----------
    candidate_geometry : Polygon or MultiPolygon
        The shape about to be written, WGS84 lon/lat.
    candidate_rules : Rules
        Its rules; neighbours whose rules cannot clash are ignored.
    neighbours : sequence of Territory
        Leaf territories near it (e.g. from a bbox query). The one with
        ``exclude_id`` (the old version) and its children are skipped.
    exclude_id : int or None
        The candidate's own id when editing, None when new.
    candidate_name, accounts, sliver_km2
        As in :func:`find_overlaps`; slivers are included, flagged.

    Returns
    -------
    list of OverlapPair
        ``a`` is the candidate (``a_id == exclude_id``), largest first.

    Notes
    -----
    Same tests, CRS and units as :func:`find_overlaps`.

    Examples
    --------
    >>> east = Territory(2, "East", shapely.box(1, 0, 2, 1))
    >>> [p.b_name for p in overlaps_with(shapely.box(0, 0, 1.5, 1), Rules(), [east], None)]
    ['East']
    """
    _check_sliver_km2(sliver_km2)
    others = _peers(neighbours, exclude_id)
    clash = np.array([rules_can_overlap(candidate_rules, t.rules) for t in others], dtype=bool)
    right = np.flatnonzero(clash)
    left = np.zeros(len(right), dtype=np.intp)
    # Territory needs an int id; the candidate's real one (maybe None) goes back below.
    me = Territory(id=-1, name=candidate_name, geometry=candidate_geometry, rules=candidate_rules)
    pairs = _pairs_from(([me], left), (others, right), accounts, sliver_km2)
    return [replace(p, a_id=exclude_id) for p in pairs]


def measure_overlaps(a: Geoms, b: Geoms) -> tuple[npt.NDArray[np.intp], Geoms]:
    """Which of the pairs ``(a[k], b[k])`` really overlap, and their shapes.

    Returns the indices ``k`` kept and the overlap MultiPolygons (lon/lat,
    snapped to :data:`geo.crs.GRID_DEG`), thinner-than-noise strips dropped.
    """
    if len(a) == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=object)
    meet = np.flatnonzero(shapely.relate_pattern(a, b, _INTERIORS_MEET))
    shapes = as_multipolygons(shapely.intersection(a[meet], b[meet], grid_size=GRID_DEG))
    real = is_real(shapes)
    return meet[real], shapes[real]


def _pairs_from(
    left: tuple[Sequence[Territory], npt.NDArray[np.intp]],
    right: tuple[Sequence[Territory], npt.NDArray[np.intp]],
    accounts: Sequence[AccountPoint] | None,
    sliver_km2: float,
) -> list[OverlapPair]:
    """OverlapPairs for the candidate pairs ``(left[0][i], right[0][j])`` that overlap."""
    (left_t, i_all), (right_t, j_all) = left, right
    a_geoms = np.array([left_t[i].geometry for i in i_all], dtype=object)
    b_geoms = np.array([right_t[j].geometry for j in j_all], dtype=object)
    kept, shapes = measure_overlaps(a_geoms, b_geoms)
    caught = AccountPoints(accounts or ())
    pairs = []
    for k, km2, shape in zip(kept, area_km2(shapes), shapes, strict=True):
        a, b = left_t[i_all[k]], right_t[j_all[k]]
        account_ids = caught.covered_by_both(shape, a.geometry, b.geometry)
        pairs.append(_pair(a, b, float(km2), shape, account_ids, sliver_km2))
    return sorted(pairs, key=lambda p: (-p.overlap_km2, p.a_id or 0, p.b_id))


def _pair(
    a: Territory,
    b: Territory,
    km2: float,
    shape: shapely.MultiPolygon,
    account_ids: tuple[str, ...],
    sliver_km2: float,
) -> OverlapPair:
    is_sliver = km2 < sliver_km2
    hint = _sliver_hint(a, b, km2) if is_sliver else _overlap_hint(a, b, km2, len(account_ids))
    return OverlapPair(a.id, b.id, a.name, b.name, km2, shape, account_ids, is_sliver, hint)


def _sliver_hint(a: Territory, b: Territory, km2: float) -> str:
    a_km2, b_km2 = area_km2(np.array([a.geometry, b.geometry], dtype=object))
    small, big = (a, b) if a_km2 <= b_km2 else (b, a)
    return (
        f"Snap {small.name} to the edge of {big.name}: clip the smaller territory "
        f"({small.name}) by {big.name} to remove the {km2:.3g} km2 sliver."
    )


def _overlap_hint(a: Territory, b: Territory, km2: float, n_accounts: int) -> str:
    return (
        f"Decide whether {a.name} or {b.name} owns the {km2:.3g} km2 they share "
        f"({n_accounts} accounts caught in both), then clip the other to its edge."
    )


def _candidate_pairs(
    geoms: Geoms, rules: Sequence[Rules], of: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Envelope-intersecting pairs ``i < j``, one of them in ``of``, whose rules can clash."""
    found, right = shapely.STRtree(geoms).query(geoms[of])
    left = of[found]
    # A pair of two fresh leaves comes twice (once from each side), any
    # other pair once: orient each as i < j and keep one of each.
    left, right = np.minimum(left, right), np.maximum(left, right)
    once = left < right
    left, right = left[once], right[once]
    if len(left):
        unique = np.unique(np.stack([left, right], axis=1), axis=0)
        left, right = unique[:, 0], unique[:, 1]
    codes, clash = rule_clash_table(rules)
    keep = clash[codes[left], codes[right]]
    return left[keep], right[keep]


class AccountPoints:
    """Account points sorted by lon, for bounding-box slabs without a tree."""

    def __init__(self, accounts: Sequence[AccountPoint]) -> None:
        ids = np.array([a[0] for a in accounts], dtype=object)
        lon = np.array([a[1] for a in accounts], dtype=np.float64)
        lat = np.array([a[2] for a in accounts], dtype=np.float64)
        self._order = np.argsort(lon, kind="stable")
        self._ids, self._lon, self._lat = ids, lon[self._order], lat[self._order]

    def covered_by_both(
        self, shape: shapely.Geometry, a: shapely.Geometry, b: shapely.Geometry
    ) -> tuple[str, ...]:
        # The snapped overlap can sit up to a grid cell inside the exact one,
        # so widen its box, then test the exact shapes (intersects == covers
        # for a point).
        pad = 2 * GRID_DEG
        west, south, east, north = shape.bounds
        lo = int(np.searchsorted(self._lon, west - pad, side="left"))
        hi = int(np.searchsorted(self._lon, east + pad, side="right"))
        lon, lat = self._lon[lo:hi], self._lat[lo:hi]
        near = (lat >= south - pad) & (lat <= north + pad)
        lon, lat, rows = lon[near], lat[near], self._order[lo:hi][near]
        both = shapely.intersects_xy(a, lon, lat) & shapely.intersects_xy(b, lon, lat)
        return tuple(self._ids[np.sort(rows[both])])


def _peers(neighbours: Sequence[Territory], exclude_id: int | None) -> list[Territory]:
    others = [t for t in neighbours if t.id != exclude_id]
    others = [t for t in others if exclude_id is None or t.parent_id != exclude_id]
    return leaf_territories(others)


def _check_sliver_km2(sliver_km2: float) -> None:
    if not np.isfinite(sliver_km2) or sliver_km2 < 0:
        raise InvalidInputError(f"sliver_km2 must be a finite number >= 0, got {sliver_km2!r}")
