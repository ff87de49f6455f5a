"""Compact payloads: integer, delta-encoded coordinates in column arrays.

A vertex written as GeoJSON (``[-92.41199,41.50955],``) costs 21 bytes; as a
difference from the previous vertex in units of 1e-5 degrees it costs about
11, the idea behind TopoJSON's quantized arcs. With 100,000 accounts and
3,108 counties this halves the page. ``maps.layers`` decodes in the browser.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from maps.markup import escape_markup

_MAX_DECIMALS = 7  # 1 cm; more would overflow nothing but buys nothing either
_SEPARATOR = "\n"


def encode_polygons(geometries: np.ndarray, decimals: int) -> dict[str, list[int]]:
    """(Multi)Polygons as ragged arrays with delta-encoded integer vertices.

    Returns ``{"geom", "part", "ring", "xy"}``: feature ``f`` has polygons
    ``geom[f]:geom[f+1]``, polygon ``p`` has rings ``part[p]:part[p+1]``,
    ring ``r`` has vertices ``ring[r]:ring[r+1]``; ``xy`` interleaves x and
    y, each vertex as the difference from the previous one in the ring (the
    first one absolute), in units of ``10**-decimals`` degrees.

    >>> encode_polygons(np.array([shapely.box(0, 0, 1, 1)]), 1)["xy"]
    [10, 0, 0, 10, -10, 0, 0, -10, 10, 0]
    """
    if len(geometries) == 0:
        return {"geom": [0], "part": [0], "ring": [0], "xy": []}
    kind, coords, offsets = shapely.to_ragged_array(geometries)
    if kind == shapely.GeometryType.POLYGON:  # give every feature one polygon part
        offsets = (*offsets, np.arange(len(geometries) + 1))
    ring, part, geom = offsets
    scaled = np.round(coords * 10.0 ** min(decimals, _MAX_DECIMALS)).astype(np.int64)
    delta = scaled.copy()
    delta[1:] -= scaled[:-1]
    starts = ring[:-1][ring[:-1] < len(scaled)]
    delta[starts] = scaled[starts]
    return {
        "geom": geom.tolist(),
        "part": part.tolist(),
        "ring": ring.tolist(),
        "xy": delta.ravel().tolist(),
    }


def delta_ints(values: np.ndarray, scale: float = 1.0) -> list[int]:
    """``values * scale`` rounded to integers, each as the difference from the one before.

    >>> delta_ints(np.array([40.5, 40.50001, 40.4]), 1e5)
    [4050000, 1, -10001]
    """
    scaled = np.round(np.asarray(values, dtype=float) * scale).astype(np.int64)
    deltas: list[int] = np.diff(scaled, prepend=0).tolist()
    return deltas


def escape_all(values: Sequence[str | None], max_chars: int = 80) -> list[str]:
    """Shorten and HTML-escape many strings in one pass (``None`` gives ``""``).

    Escaping 200,000 strings one call at a time costs about a second; joining
    them and escaping once costs a few milliseconds.

    >>> escape_all(["<b>", None, "x" * 5], max_chars=4)
    ['&lt;b&gt;', '', 'xxx…']
    """
    cleaned = [
        "" if v is None else (v if len(v) <= max_chars else v[: max_chars - 1] + "\u2026")
        for v in values
    ]
    cleaned = [v.replace(_SEPARATOR, " ") if _SEPARATOR in v else v for v in cleaned]
    if not cleaned:
        return []
    return escape_markup(_SEPARATOR.join(cleaned)).split(_SEPARATOR)
