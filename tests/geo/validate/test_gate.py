"""The geometry gate, run over the named catalogue in ``tests/shapes.py``."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.errors import InvalidCoordinatesError, InvalidGeometryError, Issue
from geo.validate.gate import (
    MAX_ISSUES_PER_CODE,
    CleanGeometry,
    GeometryLimits,
    check_lon_lat,
    clean_point,
    clean_territory_geometry,
    geometry_to_geojson,
)
from geo.validate.grid import area_m2
from tests.shapes import (
    BAD_CASES,
    BAD_GEOMETRIES,
    COLUMBUS,
    CRS_3857,
    GOOD_GEOMETRIES,
    NEEDS_TEST_LIMITS,
    REPAIRABLE,
    SPIKE,
    TEST_LIMITS,
    BadCase,
    box,
    multipolygon,
    polygon,
)

NOT_REPAIRABLE = sorted(set(BAD_CASES) - set(REPAIRABLE))


def _refusal(obj: object, *, limits: GeometryLimits = TEST_LIMITS, **kwargs: Any) -> list[Issue]:
    with pytest.raises(InvalidGeometryError) as caught:
        clean_territory_geometry(obj, limits=limits, **kwargs)
    assert caught.value.issues, "a refusal must say why"
    return list(caught.value.issues)


def _assert_issue_matches(issues: list[Issue], case: BadCase) -> None:
    matching = [i for i in issues if i.code == case.code and i.pointer == case.pointer]
    assert matching, f"no {case.code} at {case.pointer} in {issues}"
    if case.location is not None:
        lon, lat = case.location
        assert any(
            i.location is not None and math.dist(i.location, (lon, lat)) < 1e-6 for i in matching
        ), f"no {case.code} located at {case.location}: {matching}"


def _assert_clean_output(clean: CleanGeometry) -> None:
    """Valid, non-empty MultiPolygon, RFC 7946 winding, 2-D, on the 1e-7 grid."""
    geometry = clean.geometry
    assert isinstance(geometry, shapely.MultiPolygon) and not geometry.is_empty
    assert shapely.is_valid(geometry), shapely.is_valid_reason(geometry)
    assert not shapely.has_z(geometry)
    for part in geometry.geoms:
        assert shapely.is_ccw(part.exterior)
        assert not any(shapely.is_ccw(hole) for hole in part.interiors)
    scaled = shapely.get_coordinates(geometry) * 1e7
    assert np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6)


def _assert_idempotent(clean: CleanGeometry) -> None:
    again = clean_territory_geometry(geometry_to_geojson(clean.geometry))
    assert shapely.equals_exact(again.geometry, clean.geometry, tolerance=0)
    assert again.repairs == ()
    # Only a remark about the place itself may come back; nothing is repaired twice.
    assert {w.code for w in again.warnings} <= {"possibly-swapped-coordinates"}


def _with_nan(ring: list[list[float]], index: int) -> list[list[float]]:
    return [[p[0], float("nan")] if k == index else p for k, p in enumerate(ring)]


def _planar_shape(obj: dict[str, Any]) -> shapely.Geometry:
    return shapely.force_2d(shapely.geometry.shape(obj))


# -- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BAD_CASES))
def test_bad_geometry_is_refused_with_its_code_pointer_and_location(name: str) -> None:
    issues = _refusal(BAD_CASES[name].geometry)
    _assert_issue_matches(issues, BAD_CASES[name])
    assert all(i.pointer.startswith("/geometry") for i in issues)
    # Issues end up in a problem+json body: no NaN or Infinity may leak into them.
    json.dumps([dataclasses.asdict(i) for i in issues], allow_nan=False)


@pytest.mark.parametrize("name", NOT_REPAIRABLE)
def test_bad_geometry_is_refused_even_when_repair_is_asked(name: str) -> None:
    _assert_issue_matches(_refusal(BAD_CASES[name].geometry, repair=True), BAD_CASES[name])


def test_catalogue_covers_every_case_of_the_issue() -> None:
    required = {
        "bowtie", "unclosed_ring", "too_few_points", "hole_outside_shell", "hole_crossing_shell",
        "overlapping_multipolygon_parts", "nan_coordinate", "infinity", "lat_out_of_range",
        "lon_out_of_range", "swapped_lat_lon", "antimeridian_jump", "empty_polygon",
        "null_geometry", "legacy_crs_3857", "too_many_vertices", "too_many_parts",
        "zero_area_collinear", "spike", "point_not_polygon", "geometry_collection",
        "four_element_position", "string_coordinates", "sliver",
    }  # fmt: skip
    assert required <= set(BAD_GEOMETRIES)
    assert {code for _, code in BAD_GEOMETRIES.values()} >= {
        "self-intersection", "unclosed-ring", "too-few-points", "hole-outside-shell",
        "overlapping-parts", "non-finite-coordinate", "out-of-range", "swapped-coordinates",
        "antimeridian-jump", "empty-geometry", "null-geometry", "unsupported-crs",
        "too-many-vertices", "too-many-parts", "zero-area", "wrong-type", "bad-position",
        "not-a-number",
    }  # fmt: skip


@pytest.mark.parametrize("name", sorted(NEEDS_TEST_LIMITS))
def test_size_cases_pass_the_default_limits(name: str) -> None:
    _assert_clean_output(clean_territory_geometry(BAD_CASES[name].geometry))


def test_every_problem_in_the_arrays_is_reported_at_once() -> None:
    obj = {
        **multipolygon(
            [COLUMBUS[:-1]],
            [_with_nan(box(-82.8, 39.9, -82.7, 40.0), 2)],
            [[["-82.6", 39.9], [-82.5, 39.9], [-82.5, 40.0], [-82.6, 39.9]]],
            [box(-82.4, 39.9, -82.3, 95.0)],
        ),
        "crs": CRS_3857,
    }  # fmt: skip
    issues = _refusal(obj, limits=GeometryLimits())
    found = {(i.code, i.pointer) for i in issues}
    assert ("unclosed-ring", "/geometry/coordinates/0/0/3") in found
    assert ("non-finite-coordinate", "/geometry/coordinates/1/0/2") in found
    assert ("not-a-number", "/geometry/coordinates/2/0/0") in found
    assert ("out-of-range", "/geometry/coordinates/3/0/2") in found
    assert ("unsupported-crs", "/geometry/crs") in found


def test_every_topology_problem_is_reported_at_once() -> None:
    far_hole = box(-80.5, 40.0, -80.4, 40.1)[::-1]
    obj = multipolygon(
        [BAD_CASES["bowtie"].geometry["coordinates"][0]],  # type: ignore[index]
        [[[lon + 1.0, lat] for lon, lat in SPIKE]],
        [box(-81.1, 39.9, -80.9, 40.1), far_hole],
    )
    found = {(i.code, i.pointer) for i in _refusal(obj)}
    assert found == {
        ("self-intersection", "/geometry/coordinates/0/0/0"),
        ("spike", "/geometry/coordinates/1/0/3"),
        ("hole-outside-shell", "/geometry/coordinates/2/1"),
    }


def test_ring_crossing_itself_twice_reports_both_crossings() -> None:
    zigzag = [
        [-83.1, 39.9], [-82.9, 40.1], [-82.9, 39.9], [-82.7, 40.1], [-82.7, 39.8],
        [-83.1, 40.1], [-83.1, 39.9],
    ]  # fmt: skip
    crossings = [i for i in _refusal(polygon(zigzag)) if i.code == "self-intersection"]
    assert len(crossings) >= 2
    assert len({i.location for i in crossings}) == len(crossings)


def test_issues_of_one_kind_are_capped_and_counted() -> None:
    ring = [[39.9 + k * 1e-4, -105.0] for k in range(40)] + [[39.95, -104.9], [39.9, -105.0]]
    issues = _refusal(polygon(ring), limits=GeometryLimits())
    assert len(issues) == MAX_ISSUES_PER_CODE + 1
    assert {i.code for i in issues} == {"swapped-coordinates"}
    assert issues[-1].pointer == "/geometry" and "17 more" in issues[-1].reason


def test_vertex_cap_is_checked_before_positions_are_read() -> None:
    ring = [["-83.0", "40.0"]] * 60
    issues = _refusal(polygon(ring))
    assert [i.code for i in issues] == ["too-many-vertices"]


def test_pointer_prefix_is_the_callers() -> None:
    issues = _refusal(polygon(COLUMBUS[:-1]), pointer="/features/7/geometry")
    assert issues[0].pointer == "/features/7/geometry/coordinates/0/3"


def test_huge_integer_coordinate_is_non_finite_not_a_crash() -> None:
    ring = [list(p) for p in COLUMBUS]
    ring[1][0] = -(10**400)
    issues = _refusal(polygon(ring))
    assert [(i.code, i.pointer) for i in issues] == [
        ("non-finite-coordinate", "/geometry/coordinates/0/1")
    ]


def test_hole_enclosing_its_shell_lies_outside_it() -> None:
    issues = _refusal(polygon(box(-83.0, 40.0, -82.99, 40.01), COLUMBUS[::-1]))
    assert [(i.code, i.pointer) for i in issues] == [
        ("hole-outside-shell", "/geometry/coordinates/1")
    ]


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "name", "properties": {"name": "EPSG:4326"}},
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC::CRS84"}},
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}},
        {"type": "EPSG", "properties": {"code": 4326}},
    ],
)
def test_legacy_crs_naming_lon_lat_wgs84_is_accepted(crs: dict[str, Any]) -> None:
    clean = clean_territory_geometry({**polygon(COLUMBUS), "crs": crs})
    assert clean.repairs == ()


@pytest.mark.parametrize(
    "crs",
    [
        {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        {"type": "EPSG", "properties": {"code": 32617}},
        {"type": "link", "properties": {"href": "http://example.com/crs/42"}},
        None,
    ],
)
def test_legacy_crs_naming_anything_else_is_refused(crs: object) -> None:
    issues = _refusal({**polygon(COLUMBUS), "crs": crs})
    assert [(i.code, i.pointer) for i in issues] == [("unsupported-crs", "/geometry/crs")]


# -- accepted and normalised -----------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOOD_GEOMETRIES))
def test_good_geometry_comes_out_as_valid_ccw_multipolygon(name: str) -> None:
    obj, expected = GOOD_GEOMETRIES[name]
    clean = clean_territory_geometry(obj, limits=TEST_LIMITS)
    _assert_clean_output(clean)
    assert len(clean.geometry.geoms) == expected.parts
    assert sum(len(p.interiors) for p in clean.geometry.geoms) == expected.holes
    assert len(clean.repairs) == len(expected.repairs)
    for word in expected.repairs:
        assert any(word in sentence for sentence in clean.repairs), clean.repairs
    same_shape = shapely.symmetric_difference(clean.geometry, _planar_shape(obj))
    assert same_shape.area < 1e-12


@pytest.mark.parametrize("name", sorted(GOOD_GEOMETRIES))
def test_cleaning_good_output_again_changes_nothing(name: str) -> None:
    _assert_idempotent(clean_territory_geometry(GOOD_GEOMETRIES[name][0], limits=TEST_LIMITS))


def test_altitude_is_dropped_with_a_warning() -> None:
    clean = clean_territory_geometry(GOOD_GEOMETRIES["three_d_square"][0])
    assert [(w.code, w.pointer) for w in clean.warnings] == [
        ("altitude-dropped", "/geometry/coordinates/0")
    ]


def test_antimeridian_parts_are_kept_apart() -> None:
    clean = clean_territory_geometry(GOOD_GEOMETRIES["antimeridian_split_multipolygon"][0])
    assert sorted(round(p.bounds[0], 1) for p in clean.geometry.geoms) == [-180.0, 178.5]
    assert clean.geometry.bounds[0] == -180.0 and clean.geometry.bounds[2] == 180.0


def test_coordinates_are_snapped_to_the_storage_grid() -> None:
    ring = [[lon + 1.23456789e-9, lat - 4.4e-8] for lon, lat in COLUMBUS]
    clean = clean_territory_geometry(polygon(ring))
    assert shapely.get_coordinates(clean.geometry).min(axis=0).tolist() == [-83.1, 39.9]


def test_shape_wholly_in_antarctica_is_accepted_with_a_swapped_warning() -> None:
    columbus_as_lat_lon = [[lat, lon] for lon, lat in COLUMBUS]
    clean = clean_territory_geometry(polygon(columbus_as_lat_lon))
    assert [w.code for w in clean.warnings] == ["possibly-swapped-coordinates"]


def test_min_area_is_geodesic_square_metres() -> None:
    ten_by_ten_m = box(-83.0, 40.0, -83.0 + 10 / 85_390, 40.0 + 10 / 111_035)
    assert area_m2(shapely.Polygon(ten_by_ten_m)) == pytest.approx(100.0, rel=0.01)
    clean_territory_geometry(polygon(ten_by_ten_m), limits=GeometryLimits(min_area_m2=99.0))
    issues = _refusal(polygon(ten_by_ten_m), limits=GeometryLimits(min_area_m2=101.0))
    assert [i.code for i in issues] == ["zero-area"]


# -- repair on request -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REPAIRABLE))
def test_repairable_geometry_is_refused_without_repair(name: str) -> None:
    obj, expected = REPAIRABLE[name]
    assert expected.code in {i.code for i in _refusal(obj)}


@pytest.mark.parametrize("name", sorted(REPAIRABLE))
def test_repairable_geometry_is_repaired_and_reported(name: str) -> None:
    obj, expected = REPAIRABLE[name]
    clean = clean_territory_geometry(obj, limits=TEST_LIMITS, repair=True)
    _assert_clean_output(clean)
    wanted = shapely.geometry.shape(expected.expected)
    assert shapely.symmetric_difference(clean.geometry, wanted).area < 1e-12
    assert expected.code in {w.code for w in clean.warnings}
    assert clean.repairs
    _assert_idempotent(clean)


def test_overlapping_parts_are_unioned_only_on_request() -> None:
    obj = REPAIRABLE["overlapping_multipolygon_parts"][0]
    _refusal(obj)
    clean = clean_territory_geometry(obj, repair=True)
    assert len(clean.geometry.geoms) == 1
    assert any("overlapping-parts" in sentence for sentence in clean.repairs)


# -- points ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lon", "lat", "codes"),
    [
        (-83.0, 39.96, []),
        (-83, 40, []),
        (180.0, -90.0, []),
        ("-83.0", 39.96, ["not-a-number"]),
        (True, 39.96, ["not-a-number"]),
        (None, 39.96, ["not-a-number"]),
        (float("nan"), 39.96, ["non-finite-coordinate"]),
        (-83.0, float("-inf"), ["non-finite-coordinate"]),
        (277.0, 39.96, ["out-of-range"]),
        (-100.0, 95.0, ["out-of-range"]),
        (39.74, -104.99, ["swapped-coordinates"]),
    ],
)
def test_check_lon_lat(lon: object, lat: object, codes: list[str]) -> None:
    issues = check_lon_lat(lon, lat, pointer="/location")
    assert [i.code for i in issues] == codes
    assert all(i.pointer == "/location" for i in issues)


def test_clean_point_returns_lon_lat_without_altitude() -> None:
    assert clean_point({"type": "Point", "coordinates": [-83.0, 39.96, 250.0]}) == (-83.0, 39.96)


def _point(*coordinates: object) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(coordinates)}


@pytest.mark.parametrize(
    ("obj", "error", "code"),
    [
        (_point(39.74, -104.99), InvalidCoordinatesError, "swapped-coordinates"),
        (_point("-83", "40"), InvalidCoordinatesError, "not-a-number"),
        (_point(-83.0, 40.0, 1.0, 2.0), InvalidGeometryError, "bad-position"),
        (_point(), InvalidGeometryError, "empty-geometry"),
        ({"type": "Polygon", "coordinates": [COLUMBUS]}, InvalidGeometryError, "wrong-type"),
        (None, InvalidGeometryError, "null-geometry"),
        ({**_point(-83.0, 40.0), "crs": CRS_3857}, InvalidGeometryError, "unsupported-crs"),
    ],
)
def test_clean_point_refuses(obj: object, error: type[Exception], code: str) -> None:
    with pytest.raises(error) as caught:
        clean_point(obj, pointer="/home")
    assert isinstance(caught.value, InvalidGeometryError | InvalidCoordinatesError)
    assert code in {i.code for i in caught.value.issues}
    assert all(i.pointer.startswith("/home") for i in caught.value.issues)


# -- output ----------------------------------------------------------------------------


def test_geometry_to_geojson_winds_by_the_right_hand_rule_and_rounds() -> None:
    clockwise = shapely.Polygon(
        [(-83.1, 39.9), (-83.1, 40.123456789), (-82.9, 40.1), (-82.9, 39.9)],
        [[(-83.0, 39.95), (-82.95, 39.95), (-82.95, 40.0), (-83.0, 40.0)]],
    )
    out = geometry_to_geojson(clockwise, precision=6)
    shell, hole = out["coordinates"]
    assert out["type"] == "Polygon" and shell[1] == [-82.9, 39.9]
    assert [-83.1, 40.123457] in shell
    assert shapely.is_ccw(shapely.LinearRing(shell)) and not shapely.is_ccw(
        shapely.LinearRing(hole)
    )


@pytest.mark.parametrize(
    "wkt",
    [
        "POINT (-83 40)",
        "LINESTRING (-83 40, -82 41)",
        "MULTIPOINT ((-83 40), (-82 41))",
        "GEOMETRYCOLLECTION (POINT (-83 40), POLYGON ((0 0, 1 0, 1 1, 0 0)))",
        "POLYGON EMPTY",
    ],
)
def test_geometry_to_geojson_round_trips_through_shapely(wkt: str) -> None:
    geometry = shapely.from_wkt(wkt)
    back = shapely.geometry.shape(geometry_to_geojson(geometry))
    assert shapely.equals_exact(shapely.normalize(back), shapely.normalize(geometry), tolerance=0)


# -- properties ------------------------------------------------------------------------

# Offsets from Columbus: a coarse grid (collinear runs, repeats, shared vertices),
# free floats, and sub-grid wiggles that snapping collapses.
_OFFSET = st.one_of(
    st.integers(-3, 3).map(lambda k: k * 0.05),
    st.floats(-0.15, 0.15, allow_nan=False),
    st.floats(-1e-6, 1e-6, allow_nan=False),
)
_POSITION = st.tuples(_OFFSET, _OFFSET).map(lambda d: [-83.0 + d[0], 40.0 + d[1]])
_RING = st.lists(_POSITION, min_size=3, max_size=10).map(lambda ps: [*ps, ps[0]])
_WORLD_RING = st.lists(
    st.tuples(st.floats(-180, 180), st.floats(-90, 90)).map(list), min_size=3, max_size=8
).map(lambda ps: [*ps, ps[0]])


def _refused_or_clean(obj: dict[str, Any], repair: bool) -> None:
    try:
        clean = clean_territory_geometry(obj, repair=repair)
    except InvalidGeometryError as error:
        assert error.issues and all(i.pointer.startswith("/geometry") for i in error.issues)
        return
    _assert_clean_output(clean)
    assert all(area_m2(part) >= 1.0 for part in clean.geometry.geoms)
    _assert_idempotent(clean)


@settings(derandomize=True, max_examples=200, deadline=None, database=None)
@given(rings=st.lists(_RING, min_size=1, max_size=3), repair=st.booleans())
def test_random_rings_near_columbus_are_refused_or_come_out_valid(
    rings: list[list[list[float]]], repair: bool
) -> None:
    _refused_or_clean(polygon(*rings), repair)


@settings(derandomize=True, max_examples=200, deadline=None, database=None)
@given(rings=st.lists(_WORLD_RING, min_size=1, max_size=2), repair=st.booleans())
def test_random_rings_anywhere_are_refused_or_come_out_valid(
    rings: list[list[list[float]]], repair: bool
) -> None:
    _refused_or_clean(multipolygon(*([ring] for ring in rings)), repair)
