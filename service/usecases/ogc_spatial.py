"""CQL2 ``S_INTERSECTS`` on the geometry with a ``BBOX`` or ``POINT`` literal.

This is CQL2's *basic-spatial-functions* class. The ``S_INTERSECTS`` terms
ANDed at the top of a filter are taken out of the tree and applied like
``bbox`` (on the stored bboxes in SQL, then exactly on the shapes for
territories), so one geometry test serves both and runs alike on SQLite and
PostGIS. A spatial term under ``OR`` or ``NOT`` is refused: it cannot be an
SQL condition on SQLite, which stores shapes as plain blobs.
"""

from __future__ import annotations

from typing import Any

from pygeofilter import ast, values

from service.storage.ogc_filter import FilterError
from service.storage.ogc_ops import BBox

GEOMETRY = "geometry"  # the spatial queryable of every collection


def split_spatial(node: Any) -> tuple[Any, list[list[BBox]]]:
    """``node`` without its top-level ``S_INTERSECTS`` terms, and those terms' boxes.

    Each term is a list of CRS84 boxes of which a feature must meet one (two
    when a BBOX crosses the antimeridian); a feature must meet every term.

    >>> from pygeofilter.parsers.cql2_text import parse
    >>> split_spatial(parse("S_INTERSECTS(geometry, BBOX(1, 2, 3, 4)) AND name = 'x'"))
    (Equal(lhs=ATTRIBUTE name, rhs='x'), [[(1.0, 2.0, 3.0, 4.0)]])
    """
    if node is None:
        return None, []
    if isinstance(node, ast.And):
        left, left_boxes = split_spatial(node.lhs)
        right, right_boxes = split_spatial(node.rhs)
        rest = left if right is None else right if left is None else ast.And(left, right)
        return rest, left_boxes + right_boxes
    if isinstance(node, ast.GeometryIntersects):
        return None, [_boxes(node)]
    return node, []


def _boxes(node: ast.GeometryIntersects) -> list[BBox]:
    prop, literal = (
        (node.lhs, node.rhs) if isinstance(node.lhs, ast.Attribute) else (node.rhs, node.lhs)
    )
    if not isinstance(prop, ast.Attribute) or prop.name != GEOMETRY:
        raise FilterError(f"S_INTERSECTS compares the {GEOMETRY!r} queryable with a literal.")
    minx, miny, maxx, maxy = _corners(literal)
    in_range = all(-180 <= x <= 180 for x in (minx, maxx)) and -90 <= miny <= maxy <= 90
    if not in_range:
        raise FilterError(
            "S_INTERSECTS: coordinates are CRS84 longitude, latitude (filter-crs), "
            "within -180..180 and -90..90, south not above north."
        )
    if minx > maxx:  # crosses the antimeridian, as bbox does
        return [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
    return [(minx, miny, maxx, maxy)]


def _corners(literal: Any) -> tuple[float, float, float, float]:
    if isinstance(literal, ast.Function) and literal.name.lower() == "bbox":
        args = list(literal.arguments)
        if len(args) == 6:  # a 3D box: heights do not matter for 2D features
            args = [args[0], args[1], args[3], args[4]]
        if len(args) == 4 and all(_number(a) for a in args):
            return float(args[0]), float(args[1]), float(args[2]), float(args[3])
    if isinstance(literal, values.Geometry) and literal.geometry.get("type") == "Point":
        x, y = (float(v) for v in literal.geometry["coordinates"][:2])
        return x, y, x, y
    raise FilterError("S_INTERSECTS takes a BBOX(minx, miny, maxx, maxy) or a POINT(x y) literal.")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value
