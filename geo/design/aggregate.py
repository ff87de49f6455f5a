"""Account metrics summed per unit, and the travel part of workload per rep.

Metrics: ``accounts`` (count), ``revenue`` (annual revenue), ``net_profit``
(revenue minus cost to serve) and ``workload_hours`` (monthly on-site hours:
visits per month x minutes per visit, from :mod:`geo.travel.visits`). Travel is a
design-time proxy (see :func:`travel_hours`), not the tour model of
:mod:`geo.travel.load`, which needs a fixed book of accounts per rep.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely

from geo.design.model import TerritorySpec, UnitGraph
from geo.distance import geodesic_km
from geo.model import Account
from geo.travel.visits import TravelSettings, resolve_demand

__all__ = ["METRICS", "UnitMetrics", "aggregate", "locate_in_units", "travel_hours"]

METRICS = ("accounts", "revenue", "net_profit", "workload_hours")


@dataclass(frozen=True, slots=True)
class UnitMetrics:
    """Account metrics summed per unit.

    ``values`` has shape (n, 4), columns in :data:`METRICS`; ``visits`` is
    the monthly visits per unit (for travel); ``unit_of`` the unit of each
    account (-1 outside every unit, or pinned); ``pinned`` the summed
    metrics of pinned accounts per territory position.
    """

    values: np.ndarray
    visits: np.ndarray
    unit_of: np.ndarray
    pinned: dict[int, np.ndarray] = field(default_factory=dict)

    def fixed(self, k: int, columns: Sequence[str]) -> np.ndarray:
        """Pinned load per territory, shape (k, len(columns)), for ``DesignRequest.fixed``."""
        out = np.zeros((k, len(columns)))
        picks = [METRICS.index(c) for c in columns]
        for t, row in self.pinned.items():
            out[t] = row[picks]
        return out

    def column(self, name: str) -> np.ndarray:
        """One metric over all units."""
        return np.asarray(self.values[:, METRICS.index(name)])


def locate_in_units(graph: UnitGraph, lonlat: np.ndarray) -> np.ndarray:
    """Unit position of each point (-1 outside every unit, or unlocated).

    A point on a shared edge goes to the lowest unit position, so the answer
    does not depend on the query order.

    >>> g = __import__("geo.design.units", fromlist=["x"]).unit_graph(
    ...     ["a", "b"], [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> locate_in_units(g, np.array([[0.5, 0.5], [1.0, 0.5], [5.0, 5.0]])).tolist()
    [0, 0, -1]
    """
    unit_of = np.full(len(lonlat), -1, dtype=np.int64)
    located = np.flatnonzero(np.isfinite(lonlat).all(axis=1))
    points = shapely.points(lonlat[located])
    tree = shapely.STRtree(graph.geometries)
    point_idx, unit_idx = tree.query(points, predicate="intersects")
    order = np.lexsort((unit_idx, point_idx))
    point_idx, unit_idx = point_idx[order], unit_idx[order]
    first = np.r_[True, point_idx[1:] != point_idx[:-1]] if len(point_idx) else point_idx > 0
    unit_of[located[point_idx[first]]] = unit_idx[first]
    return unit_of


def aggregate(
    graph: UnitGraph,
    accounts: Sequence[Account],
    settings: TravelSettings,
    unit_of: np.ndarray | None = None,
    pinned: Mapping[str, int] | None = None,
) -> UnitMetrics:
    """Sum every metric of :data:`METRICS` per unit (point in unit).

    Accounts outside every unit count nowhere (``unit_of`` says which).
    Remote accounts count in ``accounts``, ``revenue`` and ``net_profit`` but
    bring no visits. ``pinned`` maps account id -> territory position for
    accounts that stay with their rep whatever the units do (owner
    overrides, existing relationships): they count for that territory, not
    for their unit. Their travel is left out of the design's travel proxy.
    """
    demand = resolve_demand(accounts, settings)
    if unit_of is None:
        unit_of = locate_in_units(graph, demand.lonlat)
    unit_of = np.array(unit_of, dtype=np.int64)
    pin = np.array([(pinned or {}).get(a.id, -1) for a in accounts], dtype=np.int64)
    unit_of[pin >= 0] = -1
    revenue = np.array([a.annual_revenue or 0.0 for a in accounts], dtype=np.float64)
    cost = np.array([a.cost_to_serve or 0.0 for a in accounts], dtype=np.float64)
    visits = np.where(demand.remote, 0.0, demand.visits_per_month)
    on_site = np.where(demand.remote, 0.0, demand.on_site_hours)
    columns = (np.ones(len(accounts)), revenue, revenue - cost, on_site)
    inside = unit_of >= 0
    values = np.stack([_sum(c[inside], unit_of[inside], graph.n) for c in columns], axis=1)
    per_account = np.stack(columns, axis=1)
    fixed = {int(t): per_account[pin == t].sum(axis=0) for t in np.unique(pin[pin >= 0])}
    return UnitMetrics(values, _sum(visits[inside], unit_of[inside], graph.n), unit_of, fixed)


def travel_hours(
    graph: UnitGraph,
    visits: np.ndarray,
    territories: Sequence[TerritorySpec],
    settings: TravelSettings,
) -> np.ndarray:
    """Monthly travel hours of each unit for each rep, shape (n, k).

    A design-time proxy: every visit in a unit costs a share of a day trip
    from the rep's home to the unit's inner point and back, the trip shared by
    ``max_visits_per_day`` visits: ``visits x 2 x circuity x km / speed /
    max_visits_per_day``. Reps without a home get 0 (on-site hours only).

    Notes
    -----
    Distances are geodesic km on WGS84, times the rep's circuity; speed is
    the rep's, km/h (both the settings' when the spec has none).
    """
    out = np.zeros((graph.n, len(territories)), dtype=np.float64)
    for t, spec in enumerate(territories):
        if spec.home is not None:
            circuity = spec.circuity or settings.circuity
            speed = spec.speed_kmh or settings.default_speed_kmh
            per_km = 2.0 * circuity / speed / settings.max_visits_per_day
            km = geodesic_km(
                spec.home[0], spec.home[1], graph.centroids[:, 0], graph.centroids[:, 1]
            )
            out[:, t] = visits * km * per_km
    return out


def _sum(values: np.ndarray, where: np.ndarray, n: int) -> np.ndarray:
    total: np.ndarray = np.bincount(where, weights=values, minlength=n).astype(np.float64)
    return total
