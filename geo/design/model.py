"""Plain data in and out of territory design: units, graphs, requests, results.

Everything here is a frozen dataclass of numpy arrays and tuples, so a job
runner can pickle a request, run it in another process and store the answer.
Indices are positions: unit ``i`` is ``UnitGraph.ids[i]``, territory ``t`` is
position ``t`` in ``DesignRequest.territories``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "DesignRequest",
    "DesignResult",
    "Finding",
    "MetricSpec",
    "Progress",
    "ShouldStop",
    "TerritorySpec",
    "UnitGraph",
]

Progress = Callable[[float], None]
ShouldStop = Callable[[], bool]


@dataclass(frozen=True, slots=True)
class UnitGraph:
    """Basic units and their rook adjacency.

    Attributes
    ----------
    ids, names : tuple of str
        One per unit, in the order of every array below.
    geometries : ndarray of shapely geometries
        Unit polygons, lon/lat degrees (EPSG:4326).
    centroids : ndarray, shape (n, 2)
        Representative lon/lat of each unit (a point inside it).
    neighbours : tuple of ndarray of int64
        ``neighbours[i]`` lists the units sharing a boundary of positive
        length with unit ``i`` (plus island links, see ``island_links``).
    island_links : tuple of (int, int)
        Edges added to join a piece with no shared boundary to its nearest
        unit, (island unit, nearest unit); reported to the user.
    """

    ids: tuple[str, ...]
    names: tuple[str, ...]
    geometries: np.ndarray
    centroids: np.ndarray
    neighbours: tuple[np.ndarray, ...]
    island_links: tuple[tuple[int, int], ...] = ()

    @property
    def n(self) -> int:
        """Number of units."""
        return len(self.ids)

    def edges(self) -> tuple[np.ndarray, np.ndarray]:
        """Every directed edge as (source, target) arrays, both directions present."""
        counts = np.array([len(a) for a in self.neighbours], dtype=np.int64)
        src = np.repeat(np.arange(self.n, dtype=np.int64), counts)
        dst = np.concatenate(self.neighbours) if self.n else np.zeros(0, np.int64)
        return src, dst.astype(np.int64)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One balance metric: a name and its tolerance in percent of target."""

    name: str
    tolerance_pct: float


@dataclass(frozen=True, slots=True)
class TerritorySpec:
    """One territory to build (one rep, or one anonymous slot when only k is known).

    ``capacity`` scales the target (a half-time rep has 0.5); ``home_unit`` is
    the unit holding the rep's home, which must stay in the territory;
    ``max_drive_km`` forbids units whose centroid is farther than that from
    ``home`` (geodesic km, WGS84). ``speed_kmh`` and ``circuity`` are the
    rep's own driving figures for travel hours (the travel settings' when
    None), as the travel model resolves them.
    """

    id: str
    capacity: float = 1.0
    home: tuple[float, float] | None = None
    home_unit: int | None = None
    max_drive_km: float | None = None
    speed_kmh: float | None = None
    circuity: float | None = None


@dataclass(frozen=True, slots=True)
class DesignRequest:
    """Everything a design run needs, as arrays over units.

    Attributes
    ----------
    graph : UnitGraph
    weights : ndarray, shape (n, m)
        Metric ``j`` of unit ``i``, the same wherever the unit goes.
    metrics : tuple of MetricSpec
        One per weight column.
    territories : tuple of TerritorySpec
    extra : ndarray, shape (n, k, m), optional
        A part of a unit's metric that depends on the territory it joins
        (travel from that rep's home).
    fixed : ndarray, shape (k, m), optional
        Load a territory carries whatever units it gets (pinned accounts).
    locked : dict of int to int
        Unit position -> territory position it must keep.
    seed : int
        Seeds every random choice; the same request and seed give the same answer.
    time_limit_s : float
        Wall-clock budget of the improvement phase.
    """

    graph: UnitGraph
    weights: np.ndarray
    metrics: tuple[MetricSpec, ...]
    territories: tuple[TerritorySpec, ...]
    extra: np.ndarray | None = None
    fixed: np.ndarray | None = None
    locked: dict[int, int] = field(default_factory=dict)
    seed: int = 0
    time_limit_s: float = 10.0

    @property
    def k(self) -> int:
        """Number of territories."""
        return len(self.territories)


@dataclass(frozen=True, slots=True)
class Finding:
    """Something that could not be met, and why, for a human.

    ``kind`` is one of ``granularity_floor``, ``tolerance_not_met``,
    ``seed_conflict``, ``disconnected``, ``unreachable_unit``, ``island``,
    ``stopped``; ``units`` and ``territories`` name what is involved.
    """

    kind: str
    message: str
    units: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    value: float | None = None


@dataclass(frozen=True, slots=True)
class DesignResult:
    """A proposed plan and its figures.

    Attributes
    ----------
    assignment : ndarray of int64, shape (n,)
        Territory position of each unit.
    loads, targets : ndarray, shape (k, m)
        Each territory's metric totals and its target.
    deviation_pct : ndarray, shape (k, m)
        ``100 * (load - target) / target``.
    max_deviation_pct : dict of str to float
        Per metric, the largest absolute deviation.
    balance_index : float
        ``100 -`` the largest absolute deviation in percent over all
        territories and metrics, floored at 0 (100 is perfect balance).
    cut_edges : int
        Adjacent unit pairs in different territories (a compactness proxy).
    contiguous : tuple of bool
        Per territory, whether its units form one connected piece.
    findings : tuple of Finding
        What could not be met and why; empty when every target was met.
    """

    assignment: np.ndarray
    loads: np.ndarray
    targets: np.ndarray
    deviation_pct: np.ndarray
    max_deviation_pct: dict[str, float]
    balance_index: float
    cut_edges: int
    contiguous: tuple[bool, ...]
    findings: tuple[Finding, ...]
    moved_units: int = 0
    iterations: int = 0
