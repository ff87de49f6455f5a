"""A named catalogue of territory geometries, good and bad, as raw GeoJSON.

Like shapely's ``tests/common.py``: whole test modules parametrize over it
(the geometry gate, the HTTP API, assignment and overlap tests). Every shape
is plain parsed JSON (dicts, lists, floats; NaN and Infinity where the case
needs them) in lon/lat around real places, mostly Columbus, Ohio, so each one
is also a realistic request body.

* ``BAD_GEOMETRIES``: name -> ``(raw geometry, expected issue code)``;
  ``BAD_CASES`` holds the same with the expected pointer (for a body whose
  geometry sits at ``/geometry``) and ``(lon, lat)`` of the problem, when it
  has a place on the map. ``too_many_vertices`` and ``too_many_parts`` are bad
  only under :data:`TEST_LIMITS` (see :data:`NEEDS_TEST_LIMITS`).
* ``GOOD_GEOMETRIES``: name -> ``(raw geometry, Normalised)``: how many
  polygons and holes come out, and which normalisations are reported.
* ``REPAIRABLE``: name -> ``(raw geometry, Repaired)``: refused without
  ``repair=True``, and the shape expected after repair.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geo.validate.gate import GeometryLimits

# Small enough that a 61-position ring and a 4-part MultiPolygon exceed it,
# large enough for every good shape here.
TEST_LIMITS = GeometryLimits(max_vertices=50, max_parts=3, min_area_m2=1.0)
NEEDS_TEST_LIMITS = frozenset({"too_many_vertices", "too_many_parts"})

Position = list[Any]


@dataclass(frozen=True, slots=True)
class BadCase:
    """A geometry the gate refuses: the issue code, its pointer and where it is."""

    geometry: object
    code: str
    pointer: str
    location: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class Normalised:
    """What the gate does to a good geometry.

    ``repairs`` lists words that some repair sentence must contain, one per
    expected normalisation; empty means the geometry comes out unreported.
    """

    parts: int
    holes: int = 0
    repairs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Repaired:
    """Refused with ``code`` unless ``repair=True``; then the same shape as ``expected``."""

    code: str
    expected: dict[str, Any]


def box(west: float, south: float, east: float, north: float) -> list[Position]:
    """A closed counter-clockwise ring."""
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def polygon(*rings: list[Position]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": list(rings)}


def multipolygon(*polygons: list[list[Position]]) -> dict[str, Any]:
    return {"type": "MultiPolygon", "coordinates": list(polygons)}


def _with(ring: list[Position], index: int, position: Position) -> list[Position]:
    changed = [list(p) for p in ring]
    changed[index] = position
    return changed


def _circle(lon: float, lat: float, radius_deg: float, n: int) -> list[Position]:
    ring = [
        [round(lon + radius_deg * math.cos(2 * math.pi * k / n), 7),
         round(lat + radius_deg * math.sin(2 * math.pi * k / n), 7)]
        for k in range(n)
    ]  # fmt: skip
    return [*ring, ring[0]]


# Columbus, Ohio, about 22 km by 17 km.
COLUMBUS = box(-83.1, 39.9, -82.9, 40.1)
BOWTIE = [[-83.1, 39.9], [-82.9, 40.1], [-82.9, 39.9], [-83.1, 40.1], [-83.1, 39.9]]
# A zero-width excursion east to (-82.8, 40.0) and straight back.
SPIKE = [
    [-83.1, 39.9], [-82.9, 39.9], [-82.9, 40.0], [-82.8, 40.0], [-82.9, 40.0],
    [-82.9, 40.1], [-83.1, 40.1], [-83.1, 39.9],
]  # fmt: skip
HOLE_INSIDE = box(-83.05, 39.95, -82.95, 40.05)[::-1]  # clockwise, as RFC 7946 wants
HOLE_OUTSIDE = box(-82.5, 39.95, -82.4, 40.05)[::-1]
HOLE_CROSSING = box(-83.0, 39.95, -82.8, 40.05)[::-1]
COLUMBUS_NOTCHED = [
    [-83.1, 39.9], [-82.9, 39.9], [-82.9, 39.95], [-83.0, 39.95], [-83.0, 40.05],
    [-82.9, 40.05], [-82.9, 40.1], [-83.1, 40.1], [-83.1, 39.9],
]  # fmt: skip
OVERLAPPING_HOLES = (box(-83.05, 39.95, -83.0, 40.0)[::-1], box(-83.02, 39.97, -82.97, 40.02)[::-1])
HOLES_MERGED = [
    [-83.05, 39.95], [-83.05, 40.0], [-83.02, 40.0], [-83.02, 40.02], [-82.97, 40.02],
    [-82.97, 39.97], [-83.0, 39.97], [-83.0, 39.95], [-83.05, 39.95],
]  # fmt: skip
EAST_OVERLAPPING = box(-83.0, 40.0, -82.8, 40.2)
COLUMBUS_AND_EAST = [
    [-83.1, 39.9], [-82.9, 39.9], [-82.9, 40.0], [-82.8, 40.0], [-82.8, 40.2],
    [-83.0, 40.2], [-83.0, 40.1], [-83.1, 40.1], [-83.1, 39.9],
]  # fmt: skip
EAST_SHARING_EDGE = box(-82.9, 39.9, -82.8, 40.1)
COLLINEAR = [[-83.0, 40.0], [-82.9, 40.0], [-82.8, 40.0], [-83.0, 40.0]]
# 11 km long and 1e-8 degree (about 1 mm) wide: nothing left on the 1e-7 grid.
SLIVER = box(-83.0, 40.0, -82.9, 40.00000001)
# A ring that touches itself at (-83.0, 40.1), enclosing a triangle: the ESRI
# way of drawing a hole (standards note, section 4, row 9).
SELF_TOUCHING = [
    [-83.1, 39.9], [-82.9, 39.9], [-82.9, 40.1], [-83.0, 40.1], [-82.95, 40.0],
    [-83.05, 40.0], [-83.0, 40.1], [-83.1, 40.1], [-83.1, 39.9],
]  # fmt: skip
# Lake Erie islands: Kelleys Island and South Bass Island, roughly.
KELLEYS_ISLAND = box(-82.75, 41.58, -82.66, 41.62)
SOUTH_BASS_ISLAND = [
    [-82.85, 41.63], [-82.79, 41.635], [-82.78, 41.67], [-82.83, 41.675], [-82.85, 41.63],
]  # fmt: skip
# Vanua Levu, Fiji, drawn across the antimeridian.
FIJI_EAST = box(178.5, -16.9, 180.0, -16.1)
FIJI_WEST = box(-180.0, -16.9, -179.9, -16.1)
FIJI_NAIVE = [[178.5, -16.9], [-179.9, -16.9], [-179.9, -16.1], [178.5, -16.1], [178.5, -16.9]]
# The Columbus box in EPSG:3857 metres, as a pre-2016 GIS export would send it.
COLUMBUS_3857 = box(-9250684.0, 4852834.0, -9228420.0, 4881876.0)
# Denver, Colorado as [lat, lon]: its longitude (-105) cannot be a latitude.
DENVER_SWAPPED = [[lat, lon] for lon, lat in box(-105.1, 39.6, -104.9, 39.8)]
CRS_3857 = {"type": "name", "properties": {"name": "EPSG:3857"}}
CRS_84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}

_AT = "/geometry/coordinates"

BAD_CASES: dict[str, BadCase] = {
    "bowtie": BadCase(polygon(BOWTIE), "self-intersection", f"{_AT}/0/0", (-83.0, 40.0)),
    "unclosed_ring": BadCase(polygon(COLUMBUS[:-1]), "unclosed-ring", f"{_AT}/0/3", (-83.1, 40.1)),
    "too_few_points": BadCase(
        polygon([[-83.1, 39.9], [-82.9, 39.9], [-83.1, 39.9]]),
        "too-few-points",
        f"{_AT}/0",
        (-83.1, 39.9),
    ),
    "only_repeated_positions": BadCase(
        polygon([[-83.0, 40.0]] * 5), "too-few-points", f"{_AT}/0", (-83.0, 40.0)
    ),
    "hole_outside_shell": BadCase(
        polygon(COLUMBUS, HOLE_OUTSIDE), "hole-outside-shell", f"{_AT}/1", (-82.5, 39.95)
    ),
    "hole_crossing_shell": BadCase(
        polygon(COLUMBUS, HOLE_CROSSING), "hole-crossing-shell", f"{_AT}/1", (-82.9, 40.05)
    ),
    "overlapping_holes": BadCase(
        polygon(COLUMBUS, *OVERLAPPING_HOLES), "overlapping-holes", f"{_AT}/2", (-83.01, 39.985)
    ),
    "overlapping_multipolygon_parts": BadCase(
        multipolygon([COLUMBUS], [EAST_OVERLAPPING]),
        "overlapping-parts",
        f"{_AT}/1",
        (-82.95, 40.05),
    ),
    "parts_sharing_edge": BadCase(
        multipolygon([COLUMBUS], [EAST_SHARING_EDGE]), "parts-share-edge", f"{_AT}/1", (-82.9, 39.9)
    ),
    "nan_coordinate": BadCase(
        polygon(_with(COLUMBUS, 2, [-82.9, float("nan")])), "non-finite-coordinate", f"{_AT}/0/2"
    ),
    "infinity": BadCase(
        polygon(_with(COLUMBUS, 2, [float("inf"), 40.1])), "non-finite-coordinate", f"{_AT}/0/2"
    ),
    # A typo: 140.1 for 40.1. One latitude out of five is no sign of swapped axes.
    "lat_out_of_range": BadCase(
        polygon(_with(COLUMBUS, 2, [-82.9, 140.1])), "out-of-range", f"{_AT}/0/2"
    ),
    # Leaflet after panning once round the world eastwards.
    "lon_out_of_range": BadCase(
        polygon([[lon + 360.0, lat] for lon, lat in COLUMBUS]), "out-of-range", f"{_AT}/0/0"
    ),
    "swapped_lat_lon": BadCase(polygon(DENVER_SWAPPED), "swapped-coordinates", f"{_AT}/0/0"),
    "antimeridian_jump": BadCase(
        polygon(FIJI_NAIVE), "antimeridian-jump", f"{_AT}/0/1", (-179.9, -16.9)
    ),
    "empty_polygon": BadCase(polygon(), "empty-geometry", _AT),
    "empty_multipolygon_part": BadCase(multipolygon([COLUMBUS], []), "empty-geometry", f"{_AT}/1"),
    "null_geometry": BadCase(None, "null-geometry", "/geometry"),
    "legacy_crs_3857": BadCase(
        {**polygon(COLUMBUS_3857), "crs": CRS_3857}, "unsupported-crs", "/geometry/crs"
    ),
    "too_many_vertices": BadCase(polygon(_circle(-83.0, 40.0, 0.1, 60)), "too-many-vertices", _AT),
    "too_many_parts": BadCase(
        multipolygon(*([box(-83.0 + k, 40.0, -82.9 + k, 40.1)] for k in range(4))),
        "too-many-parts",
        _AT,
    ),
    "zero_area_collinear": BadCase(polygon(COLLINEAR), "zero-area", f"{_AT}/0", (-83.0, 40.0)),
    "spike": BadCase(polygon(SPIKE), "spike", f"{_AT}/0/3", (-82.8, 40.0)),
    "sliver": BadCase(polygon(SLIVER), "zero-area", _AT, (-82.95, 40.0)),
    "point_not_polygon": BadCase(
        {"type": "Point", "coordinates": [-83.0, 40.0]}, "wrong-type", "/geometry/type"
    ),
    "linestring_not_polygon": BadCase(
        {"type": "LineString", "coordinates": COLUMBUS}, "wrong-type", "/geometry/type"
    ),
    "geometry_collection": BadCase(
        {"type": "GeometryCollection", "geometries": [polygon(COLUMBUS)]},
        "wrong-type",
        "/geometry/type",
    ),
    "feature_not_geometry": BadCase(
        {"type": "Feature", "geometry": polygon(COLUMBUS), "properties": {}},
        "wrong-type",
        "/geometry/type",
    ),
    "list_not_object": BadCase([COLUMBUS], "wrong-type", "/geometry"),
    "four_element_position": BadCase(
        polygon(_with(COLUMBUS, 1, [-82.9, 39.9, 250.0, 1.0])), "bad-position", f"{_AT}/0/1"
    ),
    # What schemathesis sent a naive API, which then answered 500.
    "boolean_position": BadCase(
        {"type": "Polygon", "coordinates": [[False]]}, "bad-position", f"{_AT}/0/0"
    ),
    "string_coordinates": BadCase(
        polygon([[str(lon), str(lat)] for lon, lat in COLUMBUS]), "not-a-number", f"{_AT}/0/0"
    ),
    "boolean_coordinate": BadCase(
        polygon(_with(COLUMBUS, 1, [-82.9, True])), "not-a-number", f"{_AT}/0/1"
    ),
    "null_coordinate": BadCase(
        polygon(_with(COLUMBUS, 1, [None, 39.9])), "not-a-number", f"{_AT}/0/1"
    ),
    "coordinates_not_array": BadCase(
        {"type": "Polygon", "coordinates": "-83.1 39.9, -82.9 39.9"}, "bad-structure", _AT
    ),
}

BAD_GEOMETRIES: dict[str, tuple[object, str]] = {
    name: (case.geometry, case.code) for name, case in BAD_CASES.items()
}
BAD_LOCATIONS: dict[str, tuple[float, float] | None] = {
    name: case.location for name, case in BAD_CASES.items()
}

_WINDING = ("right-hand rule",)

GOOD_GEOMETRIES: dict[str, tuple[dict[str, Any], Normalised]] = {
    "square": (polygon(COLUMBUS), Normalised(parts=1)),
    "integer_coordinates": (polygon(box(-83, 40, -82, 41)), Normalised(parts=1)),
    "square_with_hole": (polygon(COLUMBUS, HOLE_INSIDE), Normalised(parts=1, holes=1)),
    "clockwise_square": (polygon(COLUMBUS[::-1]), Normalised(parts=1, repairs=_WINDING)),
    "counterclockwise_hole": (
        polygon(COLUMBUS, HOLE_INSIDE[::-1]),
        Normalised(parts=1, holes=1, repairs=_WINDING),
    ),
    "multipolygon_two_islands": (
        multipolygon([KELLEYS_ISLAND], [SOUTH_BASS_ISLAND]),
        Normalised(parts=2),
    ),
    "multipolygon_touching_at_a_corner": (
        multipolygon([COLUMBUS], [box(-82.9, 40.1, -82.8, 40.2)]),
        Normalised(parts=2),
    ),
    "antimeridian_split_multipolygon": (
        multipolygon([FIJI_EAST], [FIJI_WEST]),
        Normalised(parts=2),
    ),
    "duplicate_consecutive_points": (
        polygon([COLUMBUS[0], *COLUMBUS[:3], COLUMBUS[2], *COLUMBUS[3:]]),
        Normalised(parts=1, repairs=("repeated",)),
    ),
    "three_d_square": (
        polygon([[lon, lat, 250.0] for lon, lat in COLUMBUS]),
        Normalised(parts=1, repairs=("altitude",)),
    ),
    "legacy_crs_84": ({**polygon(COLUMBUS), "crs": CRS_84}, Normalised(parts=1)),
}

REPAIRABLE: dict[str, tuple[dict[str, Any], Repaired]] = {
    "bowtie": (
        polygon(BOWTIE),
        Repaired(
            "self-intersection",
            multipolygon(
                [[[-83.1, 39.9], [-83.0, 40.0], [-83.1, 40.1], [-83.1, 39.9]]],
                [[[-83.0, 40.0], [-82.9, 39.9], [-82.9, 40.1], [-83.0, 40.0]]],
            ),
        ),
    ),
    "spike": (polygon(SPIKE), Repaired("spike", polygon(COLUMBUS))),
    "self_touching_ring": (
        polygon(SELF_TOUCHING),
        Repaired(
            "self-intersection",
            polygon(COLUMBUS, [[-83.0, 40.1], [-82.95, 40.0], [-83.05, 40.0], [-83.0, 40.1]]),
        ),
    ),
    # The hole becomes land of its own, as make_valid(method="structure") does.
    "hole_outside_shell": (
        polygon(COLUMBUS, HOLE_OUTSIDE),
        Repaired("hole-outside-shell", multipolygon([COLUMBUS], [HOLE_OUTSIDE])),
    ),
    "hole_crossing_shell": (
        polygon(COLUMBUS, HOLE_CROSSING),
        Repaired("hole-crossing-shell", polygon(COLUMBUS_NOTCHED)),
    ),
    "overlapping_holes": (
        polygon(COLUMBUS, *OVERLAPPING_HOLES),
        Repaired("overlapping-holes", polygon(COLUMBUS, HOLES_MERGED)),
    ),
    "overlapping_multipolygon_parts": (
        multipolygon([COLUMBUS], [EAST_OVERLAPPING]),
        Repaired("overlapping-parts", polygon(COLUMBUS_AND_EAST)),
    ),
    "parts_sharing_edge": (
        multipolygon([COLUMBUS], [EAST_SHARING_EDGE]),
        Repaired("parts-share-edge", polygon(box(-83.1, 39.9, -82.8, 40.1))),
    ),
    "collapsed_part": (
        multipolygon([COLUMBUS], [COLLINEAR]),
        Repaired("zero-area", polygon(COLUMBUS)),
    ),
    "sliver_part": (
        multipolygon([COLUMBUS], [box(-82.8, 40.0, -82.7, 40.00000001)]),
        Repaired("zero-area", polygon(COLUMBUS)),
    ),
}
