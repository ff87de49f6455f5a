"""Territory polygons as unions of their units.

Units that form a coverage (no overlaps, shared edges identical: counties,
H3 cells, plan leaves) are merged with ``shapely.coverage_union_all``, which
dissolves the shared edges exactly and leaves no slivers; anything else falls
back to ``union_all``. A small zero-width buffer is not used: it moves
vertices. The result is made valid and, for a contiguous territory, is one
Polygon.
"""

from __future__ import annotations

import numpy as np
import shapely

from geo.design.model import UnitGraph

__all__ = ["territory_geometries"]


def territory_geometries(
    graph: UnitGraph, assignment: np.ndarray, k: int
) -> list[shapely.Geometry]:
    """One (Multi)Polygon per territory, lon/lat degrees (EPSG:4326).

    Examples
    --------
    >>> from geo.design.units import unit_graph
    >>> g = unit_graph(list("ab"), [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> territory_geometries(g, np.array([0, 0]), 1)[0].geom_type
    'Polygon'
    """
    out = []
    for t in range(k):
        parts = graph.geometries[assignment == t]
        out.append(_union(parts))
    return out


def _union(parts: np.ndarray) -> shapely.Geometry:
    if len(parts) == 0:
        return shapely.Polygon()
    polygons = shapely.get_parts(parts)
    merged = shapely.coverage_union_all(polygons)
    if not shapely.is_valid(merged) or _has_slivers(merged, polygons):
        merged = shapely.union_all(polygons)
    return shapely.make_valid(merged) if not shapely.is_valid(merged) else merged


def _has_slivers(merged: shapely.Geometry, polygons: np.ndarray) -> bool:
    # coverage_union_all trusts its input; on a non-coverage it can leave
    # gaps or overlaps, seen as an area that differs from union_all's.
    area = float(shapely.area(polygons).sum())
    return bool(abs(shapely.area(merged) - area) > 1e-9 * max(area, 1e-12))
