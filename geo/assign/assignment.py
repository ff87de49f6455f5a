"""The assignment rule: which leaf territory and rep own each account.

1. An override (``account.owner_rep_id``) wins: ``assignment="override"``,
   ``rep_id`` the override rep, ``territory_id`` the first covering territory
   (rules matching first) that lists that rep, else the first covering one.
2. Otherwise the leaf territories whose geometry *covers* the point (boundary
   included) and whose ``rules`` match are the candidates, in the preference
   order of :mod:`geo.assign.index`: interior before boundary-only; among interiors
   the smallest area, then the lowest id; among boundary-only the lowest id.
3. One candidate -> ``geometry``. Two or more with the point in the interior of
   at least two of them -> ``conflict``, won by the first, ``candidates`` listing
   those interior ones winner first. A point only on edges (a shared edge of
   adjacent territories, a shared corner) is never a conflict: the first wins.
4. None -> ``unassigned:no-location`` (no usable point),
   ``unassigned:outside-all`` (no territory covers it) or
   ``unassigned:no-rule-match`` (some cover it, none of their rules match).

The rep of a geometric assignment is the territory's primary rep.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import shapely

from geo.model import Account, Assignment, BBox, Territory

if TYPE_CHECKING:  # geo.assign.index imports this module for the rule
    from geo.assign.index import TerritoryIndex

__all__ = [
    "LocateResult",
    "Resolver",
    "affected_bbox",
    "assign_accounts",
    "assign_columns",
    "assign_points",
]

_MAX_BOXES = 16
Fields = tuple[str | None, Sequence[str], float | None]  # industry, products, revenue


@dataclass(frozen=True, slots=True)
class LocateResult:
    """Who owns a point: territory, its reps (primary first) and why."""

    territory_id: int | None
    rep_ids: tuple[int, ...]
    assignment: str
    candidates: tuple[int, ...] = ()


class Resolver:
    """Applies rules 2-4 of the module docstring to covering leaves, preferred first.

    Leaves are positions in the index's ``territories``; answers without a
    conflict are shared, pre-built objects so the common path allocates nothing.
    """

    def __init__(self, leaves: Sequence[Territory]) -> None:
        self.leaves = tuple(leaves)
        self._take([_entries(t) for t in self.leaves])
        self.no_location = LocateResult(None, (), "unassigned:no-location")
        self.outside = LocateResult(None, (), "unassigned:outside-all")
        self.no_rule_match = LocateResult(None, (), "unassigned:no-rule-match")

    def with_records(self, leaves: Sequence[Territory]) -> Resolver:
        """This resolver for new records of the same leaves, in the same order.

        A record passed in as the very object it replaces keeps its entries;
        only the others are made again (one colour changed: one entry, not a
        thousand on every territory write).
        """
        leaves = tuple(leaves)
        places = [
            i for i, (old, t) in enumerate(zip(self.leaves, leaves, strict=True)) if old is not t
        ]
        return self.with_leaves_at(leaves, places)

    def with_leaves_at(self, leaves: tuple[Territory, ...], places: Sequence[int]) -> Resolver:
        """This resolver for ``leaves``, which differ from its own only at ``places``.

        Only those entries are made again; the caller that knows the places
        (a write names the territories it changed) skips the comparison of
        every leaf that :meth:`with_records` makes.
        """
        new = copy.copy(self)
        new.leaves = leaves
        new._free, new._won = list(self._free), list(self._won)
        new.unrestricted_answers = list(self.unrestricted_answers)
        for i in places:
            new._free[i], new._won[i], new.unrestricted_answers[i] = _entries(leaves[i])
        return new

    def with_leaves_from(self, leaves: tuple[Territory, ...], sources: Sequence[int]) -> Resolver:
        """This resolver for ``leaves``, where leaf ``i`` was this one's leaf ``sources[i]``
        (-1: a leaf that came). Leaves that came or went shift the others' places.

        An entry is kept when its leaf is passed in as the very object it was;
        the others are made again.
        """
        new = copy.copy(self)
        new.leaves = leaves
        entries = [
            (self._free[j], self._won[j], self.unrestricted_answers[j])
            if j >= 0 and self.leaves[j] is t
            else _entries(t)
            for t, j in zip(leaves, sources, strict=True)
        ]
        new._take(entries)
        return new

    def _take(self, entries: Sequence[tuple[bool, LocateResult, LocateResult | None]]) -> None:
        self._free = [free for free, _, _ in entries]
        self._won = [won for _, won, _ in entries]
        self.unrestricted_answers = [answer for _, _, answer in entries]

    def matches(self, leaf: int, fields: Fields) -> bool:
        """Whether the account fields (industry, products, revenue) pass the leaf's rules."""
        return self._free[leaf] or self.leaves[leaf].rules.matches(*fields)

    def single(self, leaf: int, fields: Fields) -> LocateResult:
        """The answer when exactly one territory covers the point."""
        return self._won[leaf] if self.matches(leaf, fields) else self.no_rule_match

    def resolve(
        self, leaves: Sequence[int], interior: Sequence[bool], fields: Fields
    ) -> LocateResult:
        """The answer for covering leaves in preference order with interior flags."""
        if not leaves:
            return self.outside
        keep = [i for i, k in enumerate(leaves) if self.matches(k, fields)]
        if not keep:
            return self.no_rule_match
        inside = [self.leaves[leaves[i]].id for i in keep if interior[i]]
        winner = self._won[leaves[keep[0]]]
        if len(inside) < 2:
            return winner
        return LocateResult(winner.territory_id, winner.rep_ids, "conflict", tuple(inside))

    def override(self, rep_id: int, leaves: Sequence[int], fields: Fields) -> LocateResult:
        """Rule 1: the override rep, in a covering territory that lists them if any."""
        ok = [k for k in leaves if self.matches(k, fields)]
        ordered = ok + [k for k in leaves if k not in ok]
        theirs = [k for k in ordered if rep_id in self.leaves[k].rep_ids]
        chosen = (theirs or ordered)[:1]
        territory = self.leaves[chosen[0]].id if chosen else None
        return LocateResult(territory, (rep_id,), "override")


def _entries(t: Territory) -> tuple[bool, LocateResult, LocateResult | None]:
    """A leaf's resolver entries: rules unrestricted, its won answer, that answer if free."""
    free = t.rules.is_unrestricted()
    won = LocateResult(t.id, t.rep_ids, "geometry")
    return free, won, won if free else None


def assign_accounts(accounts: Sequence[Account], index: TerritoryIndex) -> list[Assignment]:
    """Assign every account by the rule of this module, in one vectorised pass.

    Parameters
    ----------
    accounts
        Accounts with ``location`` as (lon, lat) or ``None``.
    index
        The leaf territories, from :meth:`geo.assign.index.TerritoryIndex.build`.

    Returns
    -------
    list of Assignment
        One per account, in input order.

    Notes
    -----
    Locations are WGS84 lon/lat degrees. Geometry is settled for all points at
    once (:meth:`~geo.assign.index.TerritoryIndex.covering_leaves`); rules are then
    checked per covering territory. Equal, account for account, to
    :meth:`~geo.assign.index.TerritoryIndex.locate` plus the override.

    >>> from geo.assign.index import TerritoryIndex
    >>> index = TerritoryIndex.build([Territory(1, "a", shapely.box(0, 0, 1, 1), rep_ids=(7,))])
    >>> assign_accounts([Account("x", location=(0.5, 0.5))], index)[0].rep_id
    7
    """
    lon, lat = _locations(accounts)
    answers = assign_columns(
        lon,
        lat,
        [a.owner_rep_id for a in accounts],
        lambda i: (accounts[i].industry, accounts[i].products, accounts[i].annual_revenue),
        index,
    )
    return [
        Assignment(
            a.id, r.territory_id, r.rep_ids[0] if r.rep_ids else None, r.assignment, r.candidates
        )
        for a, r in zip(accounts, answers, strict=True)
    ]


def assign_columns(
    lon: np.ndarray,
    lat: np.ndarray,
    owner_rep_ids: Sequence[int | None],
    fields: Callable[[int], Fields],
    index: TerritoryIndex,
) -> list[LocateResult]:
    """:func:`assign_accounts` over columns: one answer per point, no account objects.

    Parameters
    ----------
    lon, lat
        Float arrays, NaN where an account has no usable location.
    owner_rep_ids
        The named-account override of each account, ``None`` for none.
    fields
        ``fields(i)`` is account ``i``'s (industry, products, annual_revenue);
        asked only where a rule, an override or an overlap needs it.
    index
        The leaf territories.

    Notes
    -----
    Locations are WGS84 lon/lat degrees. Answers for the common case (one
    unrestricted territory, no override) are shared objects: a bulk import
    builds nothing per row here.

    >>> from geo.assign.index import TerritoryIndex
    >>> index = TerritoryIndex.build([Territory(1, "a", shapely.box(0, 0, 1, 1), rep_ids=(7,))])
    >>> [r.assignment for r in assign_columns(
    ...     np.array([0.5, 2.0]), np.array([0.5, 0.5]), [None, None], lambda i: (None, (), None),
    ...     index)]
    ['geometry', 'unassigned:outside-all']
    """
    point, leaf, interior = index.covering_leaves(lon, lat)
    offsets = np.searchsorted(point, np.arange(len(lon) + 1))
    return _answers(owner_rep_ids, fields, index.resolver, offsets, leaf, interior, np.isnan(lon))


def assign_points(lon: np.ndarray, lat: np.ndarray, index: TerritoryIndex) -> np.ndarray:
    """Territory id per point by geometry alone (rules ignored), -1 where none covers.

    Notes
    -----
    ``lon``/``lat`` are float arrays in WGS84 degrees. Covers semantics and the
    preference order of :mod:`geo.assign.index` decide shared edges and overlaps.

    >>> from geo.assign.index import TerritoryIndex
    >>> index = TerritoryIndex.build([Territory(4, "a", shapely.box(0, 0, 1, 1))])
    >>> assign_points(np.array([0.5, 1.0, 3.0]), np.array([0.5, 0.5, 0.5]), index).tolist()
    [4, 4, -1]
    """
    return index.winner_ids(lon, lat)


def affected_bbox(
    old: Territory | None, new: Territory | None, *, index: TerritoryIndex | None = None
) -> tuple[BBox, ...]:
    """Bounding boxes outside which no account can change owner after an edit.

    Parameters
    ----------
    old, new
        The territory before and after the edit; ``None`` for create / delete.
    index
        The index *before* the edit. When given, a geometry-only edit affects
        just where the shapes differ plus where either shape overlaps another
        leaf (its area ranks the owners there); without it, both whole shapes.

    Notes
    -----
    Boxes are (min_lon, min_lat, max_lon, max_lat) in WGS84 degrees, one per
    polygon part (at most 16, else one envelope). A changed ``parent_id`` also
    affects the old and new parents, which the caller must add.

    >>> a = Territory(1, "a", shapely.box(0, 0, 2, 2))
    >>> affected_bbox(a, Territory(1, "a", shapely.box(0, 0, 2, 3)), index=None)
    ((0.0, 0.0, 2.0, 3.0),)
    """
    if old is None or new is None:
        return _boxes([t.geometry for t in (old, new) if t is not None])
    same_terms = (old.id, old.rules, old.rep_ids, old.parent_id) == (
        new.id,
        new.rules,
        new.rep_ids,
        new.parent_id,
    )
    if same_terms and shapely.equals(old.geometry, new.geometry):
        return ()
    if same_terms and index is not None:
        changed = shapely.symmetric_difference(old.geometry, new.geometry)
        return _boxes([changed, *_overlaps(index, old.id, old.geometry, new.geometry)])
    return _boxes([old.geometry, new.geometry])


def _answers(
    owners: Sequence[int | None],
    fields: Callable[[int], Fields],
    resolver: Resolver,
    offsets: np.ndarray,
    leaf: np.ndarray,
    interior: np.ndarray,
    missing: np.ndarray,
) -> list[LocateResult]:
    """Each account's answer; one covering unrestricted territory takes a shortcut."""
    alone = np.full(len(owners), -1, dtype=np.int64)
    one = np.flatnonzero(np.diff(offsets) == 1)
    alone[one] = leaf[offsets[one]]
    shortcut = resolver.unrestricted_answers
    bounds, leaves, inner = offsets.tolist(), leaf.tolist(), interior.tolist()
    out: list[LocateResult | None] = [
        shortcut[k] if k >= 0 and owner is None else None
        for k, owner in zip(alone.tolist(), owners, strict=True)
    ]
    # The rest (rules, an override, an overlap, no location): rare, one by one.
    for i in [i for i, r in enumerate(out) if r is None]:
        start, stop = bounds[i], bounds[i + 1]
        out[i] = _one(
            owners[i], fields(i), resolver, leaves[start:stop], inner[start:stop], missing[i]
        )
    return out  # type: ignore[return-value]  # every None was filled above


def _one(
    owner_rep_id: int | None,
    fields: Fields,
    resolver: Resolver,
    leaves: list[int],
    interior: list[bool],
    no_location: np.bool_,
) -> LocateResult:
    """One account's answer from its covering leaves (preferred first)."""
    if owner_rep_id is not None:
        return resolver.override(owner_rep_id, leaves, fields)
    if no_location:
        return resolver.no_location
    if len(leaves) == 1:
        return resolver.single(leaves[0], fields)
    return resolver.resolve(leaves, interior, fields)


def _locations(accounts: Sequence[Account]) -> tuple[np.ndarray, np.ndarray]:
    """lon, lat arrays; NaN where an account has no usable location."""
    nan = (math.nan, math.nan)
    xy = np.array(
        [a.location if a.location is not None else nan for a in accounts], dtype=np.float64
    ).reshape(-1, 2)
    bad = ~np.isfinite(xy).all(axis=1)
    xy[bad] = math.nan
    return xy[:, 0].copy(), xy[:, 1].copy()


def _overlaps(index: TerritoryIndex, tid: int, *shapes: shapely.Geometry) -> list[shapely.Geometry]:
    """Where the shapes share interior with other leaves: areas rank the owners there."""
    found = []
    for shape in shapes:
        near = index.tree.query(shape)
        near = near[index.ids[near] != tid]
        overlapping = index.geometries[near][
            shapely.relate_pattern(index.geometries[near], shape, "T********")
        ]
        found.extend(shapely.intersection(overlapping, shape).tolist())
    return found


def _boxes(shapes: Sequence[shapely.Geometry]) -> tuple[BBox, ...]:
    """Bounds of every polygonal part of the shapes, deduplicated."""
    parts = shapely.get_parts(np.array(shapes, dtype=object))
    parts = parts[~shapely.is_empty(parts)]
    if len(parts) == 0:
        return ()
    if len(parts) > _MAX_BOXES:
        return (_bbox(shapely.total_bounds(parts).tolist()),)
    boxes = list(dict.fromkeys(_bbox(b) for b in shapely.bounds(parts).tolist()))
    return tuple(b for b in boxes if not any(o != b and _within(b, o) for o in boxes))


def _bbox(values: list[float]) -> BBox:
    return values[0], values[1], values[2], values[3]


def _within(inner: BBox, outer: BBox) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )
