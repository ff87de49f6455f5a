"""Rook adjacency between unit polygons, with islands linked and reported.

Two units are neighbours when their boundaries share a segment of positive
length (rook contiguity, as libpysal's ``Rook``); touching at a corner does
not count, because a territory joined only at a point is not one piece.
Candidate pairs come from an STRtree; a DE-9IM ``relate`` per pair says
whether the boundaries meet in a line (about 1.6 s for the 3,108 US
counties, once per unit layer). Not libpysal itself: it would add a
dependency for a dozen lines, and its vertex hashing misses neighbours whose
shared edge is split at different vertices (8,215 of 8,737 county pairs).
"""

from __future__ import annotations

import numpy as np
import shapely

__all__ = ["link_islands", "rook_pairs"]


def rook_pairs(geometries: np.ndarray, *, min_shared: float = 0.0) -> np.ndarray:
    """Unit pairs (i < j) whose boundaries share more than ``min_shared`` length.

    Parameters
    ----------
    geometries : ndarray of Polygon or MultiPolygon
    min_shared : float
        Shared boundary length to exceed, in the units of the coordinates
        (degrees for lon/lat); 0 keeps every shared segment.

    Returns
    -------
    ndarray of int64, shape (p, 2)

    Examples
    --------
    >>> a, b, c = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 1, 3, 2)
    >>> rook_pairs(np.array([a, b, c])).tolist()
    [[0, 1]]
    """
    geoms = np.asarray(geometries, dtype=object)
    shapely.prepare(geoms)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    # One DE-9IM matrix per candidate pair: boundary/boundary of dimension 1
    # (a shared segment) or interior/interior of dimension 2 (overlapping
    # units, not a coverage: a territory holding both is still one piece).
    matrix = shapely.relate(geoms[left], geoms[right]).astype("U9")
    chars = matrix.view("U1").reshape(-1, 9) if len(matrix) else np.zeros((0, 9), "U1")
    ok = (chars[:, 4] == "1") | (chars[:, 0] == "2")
    if min_shared > 0 and ok.any():
        shared = _shared_length(geoms, left, right)
        ok &= (shared > min_shared) | (chars[:, 0] == "2")
    return np.stack([left[ok], right[ok]], axis=1).astype(np.int64)


def _shared_length(geoms: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    boundaries = shapely.boundary(geoms)
    length: np.ndarray = shapely.length(shapely.intersection(boundaries[left], boundaries[right]))
    return length


def link_islands(
    pairs: np.ndarray, geometries: np.ndarray
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Join every piece of the graph to the largest one through its nearest unit.

    A piece (an island, or a group of units cut off by water) gets one edge
    from the unit of the piece closest to the rest to the nearest unit
    outside it, repeatedly, until the graph is connected.

    Returns
    -------
    pairs : ndarray, shape (p', 2)
        The input pairs plus the links.
    links : list of (int, int)
        (unit in the piece, nearest unit outside it), in the order added.
    """
    n = len(geometries)
    links: list[tuple[int, int]] = []
    while n > 1:
        labels = _components(pairs, n)
        sizes = np.bincount(labels)
        if len(sizes) == 1:
            break
        main = int(np.argmax(sizes))
        piece = _smallest_piece(labels, sizes, main)
        link = _nearest_link(piece, labels, main, geometries)
        links.append(link)
        pairs = np.vstack([pairs, np.array([sorted(link)], dtype=np.int64)])
    return pairs, links


def _components(pairs: np.ndarray, n: int) -> np.ndarray:
    # scipy loads with the first design, not with the service (start-up stays light).
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    data = np.ones(len(pairs), dtype=np.int8)
    graph = coo_matrix((data, (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels)


def _smallest_piece(labels: np.ndarray, sizes: np.ndarray, main: int) -> np.ndarray:
    order = [c for c in np.argsort(sizes, kind="stable") if c != main]
    return np.flatnonzero(labels == order[0])


def _nearest_link(
    piece: np.ndarray, labels: np.ndarray, main: int, geometries: np.ndarray
) -> tuple[int, int]:
    others = np.flatnonzero(labels != labels[piece[0]])
    tree = shapely.STRtree(geometries[others])
    (src, dst), dist = tree.query_nearest(
        geometries[piece], return_distance=True, all_matches=False
    )
    best = int(np.argmin(dist))
    return int(piece[src[best]]), int(others[dst[best]])
