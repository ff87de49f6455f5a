"""Territory fill colours: neighbours never share one; kept per set of shapes.

Colouring needs every pair of touching territories (a spatial join and an
edge test over 1,000 counties: about 0.4 s), and it depends on the shapes
alone. Pages are drawn again after each write, most of which leave every
shape as it was (a rename, a new rep, an account), so the classes are kept by
a digest of the shapes' WKB, as ``display_geometries`` keeps its simplified
coverage.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import shapely
from cachetools import LRUCache

from geo.design.colouring import colour_classes
from maps.simplify import fingerprint
from maps.style import fill_color

_cache: LRUCache[str, list[str]] = LRUCache(maxsize=8)
_lock = threading.Lock()  # LRUCache is not thread-safe; pages draw in parallel


def territory_fills(geometries: Sequence[shapely.Geometry]) -> list[str]:
    """A fill colour per geometry, in order (see :func:`colour_classes`).

    >>> territory_fills([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]) == territory_fills(
    ...     [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)])
    True
    """
    if len(geometries) == 0:
        return []
    key = fingerprint(np.asarray(geometries, dtype=object))
    with _lock:
        known = _cache.get(key)
    if known is None:
        known = [fill_color(c) for c in colour_classes(list(geometries))]
        with _lock:
            _cache[key] = known
    return list(known)
