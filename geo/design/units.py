"""Basic units a plan is built from: an uploaded layer, H3 hexagons, or plan leaves.

Every source ends in :func:`unit_graph`: polygons made valid, a point inside
each, rook adjacency, islands linked to their nearest unit.
"""

from __future__ import annotations

from collections.abc import Sequence

import h3
import numpy as np
import shapely

from geo._polygonal import as_multipolygons, is_real
from geo.design.adjacency import link_islands, rook_pairs
from geo.design.model import UnitGraph
from geo.model import Territory

__all__ = ["clip_units", "h3_units", "plan_units", "unit_graph"]


def unit_graph(
    ids: Sequence[str],
    geometries: Sequence[shapely.Geometry],
    names: Sequence[str | None] | None = None,
    *,
    pairs: np.ndarray | None = None,
) -> UnitGraph:
    """Units from polygons (lon/lat degrees), with rook adjacency and island links.

    Parameters
    ----------
    ids : sequence of str
        Unique unit ids (county GEOID, ZIP, district code).
    geometries : sequence of Polygon or MultiPolygon
        EPSG:4326 lon/lat; invalid ones are repaired with ``make_valid``.
    names : sequence of str or None, optional
        Display names; the id stands in for a missing name.
    pairs : ndarray, shape (p, 2), optional
        Known adjacency (H3 neighbours); computed from the geometry otherwise.

    Examples
    --------
    >>> g = unit_graph(["a", "b"], [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    >>> [x.tolist() for x in g.neighbours]
    [[1], [0]]
    """
    geoms = shapely.make_valid(np.asarray(list(geometries), dtype=object))
    if pairs is None:
        pairs = rook_pairs(geoms)
    pairs, links = link_islands(pairs, geoms)
    centroids = shapely.get_coordinates(shapely.point_on_surface(geoms))
    labels = tuple(str(i) if not nm else str(nm) for i, nm in zip(ids, names or ids, strict=True))
    return UnitGraph(
        ids=tuple(str(i) for i in ids),
        names=labels,
        geometries=geoms,
        centroids=centroids,
        neighbours=_neighbour_lists(pairs, len(geoms)),
        island_links=tuple(links),
    )


def plan_units(territories: Sequence[Territory]) -> UnitGraph:
    """The leaves of an existing plan as units (for rebalancing a live plan)."""
    parents = {t.parent_id for t in territories if t.parent_id is not None}
    leaves = [t for t in territories if t.id not in parents]
    return unit_graph(
        [str(t.id) for t in leaves], [t.geometry for t in leaves], [t.name for t in leaves]
    )


def h3_units(lonlat: np.ndarray, resolution: int, *, ring: int = 1) -> tuple[UnitGraph, np.ndarray]:
    """H3 hexagons over the accounts, and the unit of each account.

    The cells holding accounts plus ``ring`` cells around each, so that empty
    land between clusters keeps territories in one piece (empty cells weigh
    nothing). Adjacency is H3's own neighbour relation, exact and cheap.

    Parameters
    ----------
    lonlat : ndarray, shape (a, 2)
        Account locations, WGS84 lon/lat; NaN rows get unit -1.
    resolution : int
        H3 resolution 0-15 (4: about 1,770 km2 a cell, 5: about 250 km2).

    Returns
    -------
    graph : UnitGraph
    unit_of : ndarray of int64, shape (a,)
    """
    located = np.isfinite(lonlat).all(axis=1)
    cells = [h3.latlng_to_cell(lat, lon, resolution) for lon, lat in lonlat[located]]
    occupied = set(cells)
    grown = set(occupied)
    for cell in occupied:
        grown.update(h3.grid_disk(cell, ring))
    order = sorted(grown)
    position = {c: i for i, c in enumerate(order)}
    unit_of = np.full(len(lonlat), -1, dtype=np.int64)
    unit_of[located] = [position[c] for c in cells]
    graph = unit_graph(order, [_hexagon(c) for c in order], pairs=_h3_pairs(order, position))
    return graph, unit_of


def clip_units(graph: UnitGraph, region: shapely.Geometry) -> tuple[UnitGraph, np.ndarray]:
    """The units cut to ``region`` (a regional manager's), and where each went.

    A design inside a region must not draw outside it: hexagons laid around
    accounts near the edge, or uploaded units across it, keep only their
    part inside. Units left with nothing but a sliver thinner than the grid
    noise are dropped; adjacency is measured again on the cut shapes (a cut
    can remove a shared edge).

    Returns
    -------
    graph : UnitGraph
    position : ndarray of int64, shape (graph.n before,)
        New position of each unit, -1 when dropped.

    Examples
    --------
    >>> g = unit_graph(list("abc"), [shapely.box(x, 0, x + 1, 1) for x in range(3)])
    >>> clipped, where = clip_units(g, shapely.box(0.5, 0, 2, 1))
    >>> clipped.ids, where.tolist(), round(clipped.geometries[0].area, 2)
    (('a', 'b'), [0, 1, -1], 0.5)
    """
    cut = as_multipolygons(shapely.intersection(graph.geometries, region))
    keep = is_real(cut)
    position = np.full(graph.n, -1, dtype=np.int64)
    position[keep] = np.arange(int(keep.sum()))
    chosen = np.flatnonzero(keep).tolist()
    clipped = unit_graph(
        [graph.ids[u] for u in chosen], list(cut[keep]), [graph.names[u] for u in chosen]
    )
    return clipped, position


def _hexagon(cell: str) -> shapely.Polygon:
    return shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(cell)])


def _h3_pairs(order: Sequence[str], position: dict[str, int]) -> np.ndarray:
    pairs = [
        (i, position[other])
        for i, cell in enumerate(order)
        for other in h3.grid_disk(cell, 1)
        if other in position and position[other] > i
    ]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _neighbour_lists(pairs: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
    both = np.vstack([pairs, pairs[:, ::-1]]) if len(pairs) else np.zeros((0, 2), np.int64)
    both = both[np.lexsort((both[:, 1], both[:, 0]))]
    splits = np.searchsorted(both[:, 0], np.arange(1, n))
    return tuple(np.asarray(a, dtype=np.int64) for a in np.split(both[:, 1], splits))
