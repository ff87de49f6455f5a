"""Named instances the design tests parametrize over: grids and one real state."""

from __future__ import annotations

import numpy as np
import shapely

from geo.design import DesignRequest, MetricSpec, TerritorySpec, UnitGraph
from geo.design.units import unit_graph


def grid(nx: int, ny: int, *, size: float = 0.1) -> UnitGraph:
    """``nx`` x ``ny`` square units of ``size`` degrees, ids ``x-y``, row by row."""
    boxes = [
        shapely.box(x * size, y * size, (x + 1) * size, (y + 1) * size)
        for y in range(ny)
        for x in range(nx)
    ]
    ids = [f"{x}-{y}" for y in range(ny) for x in range(nx)]
    return unit_graph(ids, boxes)


def weights(n: int, seed: int, *, columns: int = 1) -> np.ndarray:
    """Skewed positive weights (a few heavy units, many light ones)."""
    rng = np.random.default_rng(seed)
    return np.round(rng.lognormal(2.0, 0.6, (n, columns)), 1)


def request(
    graph: UnitGraph,
    w: np.ndarray,
    k: int,
    tolerance_pct: float | tuple[float, ...] = 2.0,
    **kw: object,
) -> DesignRequest:
    """A request over ``graph`` with one metric per column of ``w``."""
    tols = tolerance_pct if isinstance(tolerance_pct, tuple) else (tolerance_pct,) * w.shape[1]
    metrics = tuple(MetricSpec(f"m{j}", t) for j, t in enumerate(tols))
    specs = kw.pop("territories", None) or tuple(TerritorySpec(f"t{i}") for i in range(k))
    return DesignRequest(graph, w, metrics, specs, **kw)  # type: ignore[arg-type]


def union_parts(graph: UnitGraph, assignment: np.ndarray, t: int) -> int:
    """Parts of the union of territory ``t``'s unit polygons."""
    merged = shapely.union_all(graph.geometries[assignment == t])
    return len(shapely.get_parts(merged))
