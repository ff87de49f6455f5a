"""Map colouring: a colour class per territory so that neighbours differ.

Neighbours are the rook pairs of :func:`geo.design.adjacency.rook_pairs`
(a shared edge, or overlapping interiors); territories meeting only at a
corner may share a class, as on any political map. The classes come from
``networkx.greedy_color`` with the ``smallest_last`` order, which needs at
most six classes for a planar graph (territories that tile the plane), so a
palette of six or more colours keeps every pair of neighbours apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from geo.design.adjacency import rook_pairs

__all__ = ["colour_classes", "neighbour_pairs"]


def neighbour_pairs(geometries: Sequence[shapely.Geometry]) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of territories that share an edge or overlap.

    >>> a, b, c = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 5, 6, 6)
    >>> neighbour_pairs([a, b, c])
    [(0, 1)]
    """
    if len(geometries) < 2:
        return []
    pairs = rook_pairs(np.array(list(geometries), dtype=object))
    return [(int(i), int(j)) for i, j in pairs]


def colour_classes(geometries: Sequence[shapely.Geometry]) -> list[int]:
    """A colour class (0, 1, ...) per geometry; neighbours never share one.

    Parameters
    ----------
    geometries : sequence of Polygon or MultiPolygon
        Any CRS: only the topology (shared edges, overlaps) counts.

    Returns
    -------
    list of int
        Class of each geometry, in input order. The same input always gives
        the same classes (the order is fixed, ties broken by index).

    Notes
    -----
    Greedy colouring in ``smallest_last`` order uses at most six classes on
    a planar graph; overlapping territories can make the graph non-planar,
    and then more classes may be needed.

    >>> row = [shapely.box(i, 0, i + 1, 1) for i in range(4)]
    >>> colour_classes(row)
    [1, 0, 1, 0]
    """
    import networkx as nx  # a second of imports: loaded with the first design job

    graph = nx.Graph()
    graph.add_nodes_from(range(len(geometries)))
    graph.add_edges_from(neighbour_pairs(geometries))
    classes = nx.greedy_color(graph, strategy="smallest_last")
    return [int(classes[i]) for i in range(len(geometries))]
