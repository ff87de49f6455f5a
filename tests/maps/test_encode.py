"""Compact payloads decode back to what went in."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from maps.encode import delta_ints, encode_polygons, escape_all


def _decode(g: dict[str, Any], scale: float) -> list[shapely.MultiPolygon]:
    # The same walk as TM.decodePolygons in maps/static/page.js.
    xy = np.asarray(g["xy"]).reshape(-1, 2)
    shapes = []
    for f in range(len(g["geom"]) - 1):
        polygons = []
        for p in range(g["geom"][f], g["geom"][f + 1]):
            rings = [
                np.cumsum(xy[g["ring"][r] : g["ring"][r + 1]], axis=0) / scale
                for r in range(g["part"][p], g["part"][p + 1])
            ]
            polygons.append(shapely.Polygon(rings[0], rings[1:]))
        shapes.append(shapely.MultiPolygon(polygons))
    return shapes


def test_polygons_with_holes_and_parts_decode_to_the_rounded_input() -> None:
    holed = shapely.Polygon(
        [(-100.123456, 40.0), (-99.0, 40.0), (-99.0, 41.0), (-100.123456, 41.0)],
        [[(-99.8, 40.2), (-99.5, 40.2), (-99.5, 40.5)]],
    )
    parts = shapely.MultiPolygon([shapely.box(1, 1, 2, 2), shapely.box(3, 3, 4, 4.000014)])
    shapes = np.array([holed, parts])
    decoded = _decode(encode_polygons(shapes, 5), 1e5)
    expected = shapely.transform(shapes, lambda xy: np.round(xy, 5))
    assert all(
        shapely.equals_exact(d, shapely.MultiPolygon(shapely.get_parts(e)), 1e-12)
        for d, e in zip(decoded, expected, strict=True)
    )


def test_polygons_only_input_gets_one_part_per_feature() -> None:
    encoded = encode_polygons(np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)]), 5)
    assert encoded["geom"] == [0, 1, 2]
    assert encoded["part"] == [0, 1, 2]


def test_delta_ints_add_up_to_the_scaled_values() -> None:
    values = np.array([40.12345, 40.1, 39.99999, 41.0])
    assert np.cumsum(delta_ints(values, 1e5)).tolist() == [4012345, 4010000, 3999999, 4100000]


def test_escape_all_escapes_each_value_and_keeps_them_apart() -> None:
    hostile = ["<img src=x onerror=alert(1)>", "a\nb", None, 'q"&']
    assert escape_all(hostile) == ["&lt;img src=x onerror=alert(1)&gt;", "a b", "", "q&quot;&amp;"]
