"""Territory fill colours: a manager's stored colour, else one kept apart from the neighbours'.

A territory whose stored colour is valid (:func:`maps.style.stored_fill`) is
filled with it: the manager picked it, and every map that fills territories
shows it. The others get the colour of their class in a greedy colouring of
the adjacency, so neighbours never share one; where a stored colour lands
on a neighbour's class colour, that neighbour takes the first palette
colour no neighbour has.

Colouring needs every pair of touching territories (a spatial join and an
edge test over 1,000 counties: about 0.4 s), and it depends on the shapes
alone. Pages are drawn again after each write, most of which leave every
shape as it was (a rename, a new rep, an account), so the classes, and the
neighbour pairs once a stored colour needs them, are kept by a digest of the
shapes' WKB, as ``display_geometries`` keeps its simplified coverage.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import shapely
from cachetools import LRUCache

from geo.design.colouring import colour_classes, neighbour_pairs
from maps.simplify import fingerprint
from maps.style import TERRITORY_FILLS, fill_color, stored_fill

_classes: LRUCache[str, list[str]] = LRUCache(maxsize=8)
_pairs: LRUCache[str, list[tuple[int, int]]] = LRUCache(maxsize=8)
_lock = threading.Lock()  # LRUCache is not thread-safe; pages draw in parallel


def territory_fills(
    geometries: Sequence[shapely.Geometry], stored: Sequence[str | None] | None = None
) -> list[str]:
    """A fill colour per geometry, in order: its stored colour, else its class's.

    Parameters
    ----------
    geometries : sequence of Polygon or MultiPolygon
        Any CRS: only the topology counts (see :func:`colour_classes`).
    stored : sequence of str or None, optional
        Each territory's stored colour (``Territory.color``); unsafe or
        unknown colours count as none.

    Returns
    -------
    list of str
        ``#rrggbb`` colours.

    >>> row = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)]
    >>> territory_fills(row)
    ['#77aadd', '#eedd88', '#77aadd']
    >>> territory_fills(row, ["teal", None, "red;x:1"])
    ['#008080', '#eedd88', '#77aadd']
    >>> territory_fills(row, [None, "#77AADD", None])  # the neighbours step aside
    ['#eedd88', '#77aadd', '#eedd88']
    """
    if len(geometries) == 0:
        return []
    key = fingerprint(np.asarray(geometries, dtype=object))
    fills = _class_fills(key, geometries)
    own = [stored_fill(c) for c in stored] if stored is not None else [None] * len(fills)
    picked = {c for c in own if c is not None}
    if not picked:
        return fills
    out = [c or f for c, f in zip(own, fills, strict=True)]
    if picked & {f for c, f in zip(own, fills, strict=True) if c is None}:
        _keep_apart(out, own, _neighbours(key, geometries))
    return out


def _class_fills(key: str, geometries: Sequence[shapely.Geometry]) -> list[str]:
    with _lock:
        known = _classes.get(key)
    if known is None:
        known = [fill_color(c) for c in colour_classes(list(geometries))]
        with _lock:
            _classes[key] = known
    return list(known)


def _neighbours(key: str, geometries: Sequence[shapely.Geometry]) -> list[tuple[int, int]]:
    with _lock:
        known = _pairs.get(key)
    if known is None:
        known = neighbour_pairs(list(geometries))
        with _lock:
            _pairs[key] = known
    return known


def _keep_apart(
    fills: list[str], own: Sequence[str | None], pairs: Sequence[tuple[int, int]]
) -> None:
    # Only territories without a stored colour move, and only when a
    # neighbour already shows their colour; two stored colours that clash
    # are the manager's choice and stay.
    around: dict[int, list[int]] = {}
    for i, j in pairs:
        around.setdefault(i, []).append(j)
        around.setdefault(j, []).append(i)
    for i, fill in enumerate(fills):
        if own[i] is not None:
            continue
        taken = {fills[j] for j in around.get(i, ())}
        if fill in taken:
            fills[i] = next((c for c in TERRITORY_FILLS if c not in taken), fill)
