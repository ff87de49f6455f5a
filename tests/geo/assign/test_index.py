"""TerritoryIndex: the cell grid against brute-force shapely, point for point."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.assign.index import TerritoryIndex
from geo.errors import InvalidGeometryError, InvalidInputError
from geo.model import Territory


def _territory(tid: int, geometry: shapely.Geometry, **kw: object) -> Territory:
    return Territory(tid, f"t{tid}", geometry, **kw)  # type: ignore[arg-type]


def _random_shapes(rng: np.random.Generator, n: int) -> list[shapely.Geometry]:
    """Overlapping blobs, rotated boxes, donuts and two-part MultiPolygons in [0, 10]^2."""
    shapes: list[shapely.Geometry] = []
    for i in range(n):
        x, y = rng.uniform(1, 9, 2)
        kind = i % 4
        if kind == 0:
            shape = shapely.Point(x, y).buffer(rng.uniform(0.3, 1.5), quad_segs=rng.integers(1, 8))
        elif kind == 1:
            box = shapely.box(x - 1, y - 0.4, x + 1, y + 0.4)
            shape = shapely.affinity.rotate(box, rng.uniform(0, 180))
        elif kind == 2:
            shape = shapely.box(x - 1, y - 1, x + 1, y + 1).difference(
                shapely.box(x - 0.5, y - 0.5, x + 0.5, y + 0.5)
            )
        else:
            shape = shapely.MultiPolygon(
                [shapely.box(x, y, x + 0.7, y + 0.3), shapely.box(x - 1, y - 1, x - 0.5, y - 0.2)]
            )
        shapes.append(shape)
    return shapes


def _brute_force(index: TerritoryIndex, x: float, y: float) -> tuple[int, ...]:
    """Covering ids by testing every leaf, ordered by the documented preference."""
    found = []
    for pos, t in enumerate(index.territories):
        if shapely.intersects_xy(t.geometry, x, y):
            inside = bool(shapely.contains_xy(t.geometry, x, y))
            key = (0, index.area_km2[pos], t.id) if inside else (1, 0.0, t.id)
            found.append((key, t.id))
    return tuple(tid for _, tid in sorted(found))


def _probe_points(rng: np.random.Generator, shapes: list[shapely.Geometry], n: int) -> np.ndarray:
    """Uniform points plus every vertex and exact edge midpoints of axis-aligned edges."""
    uniform = rng.uniform(-0.5, 10.5, (n, 2))
    vertices = shapely.get_coordinates(shapes)
    midpoints = (vertices[:-1] + vertices[1:]) / 2
    return np.vstack([uniform, vertices, midpoints[: n // 4]])


@pytest.mark.parametrize("cell_deg", [None, 2.0, 0.5, 0.0625, 0.37])
def test_covering_ids_equal_brute_force_on_random_overlapping_shapes(
    cell_deg: float | None,
) -> None:
    rng = np.random.default_rng(7)
    shapes = _random_shapes(rng, 24)
    index = TerritoryIndex.build(
        [_territory(100 - i, s) for i, s in enumerate(shapes)], cell_deg=cell_deg
    )
    xy = _probe_points(rng, shapes, 1500)
    covering = index.covering_ids(xy[:, 0], xy[:, 1])
    winners = index.winner_ids(xy[:, 0], xy[:, 1])
    for i, (x, y) in enumerate(xy.tolist()):
        expected = _brute_force(index, x, y)
        assert covering.of(i) == expected, (x, y)
        assert winners[i] == (expected[0] if expected else -1), (x, y)
        single = index.locate(x, y)
        assert single.territory_id == (expected[0] if expected else None), (x, y)


def test_covering_ids_interior_flags_distinguish_edge_from_inside() -> None:
    index = TerritoryIndex.build(
        [_territory(1, shapely.box(0, 0, 1, 1)), _territory(2, shapely.box(1, 0, 2, 1))]
    )
    covering = index.covering_ids(np.array([0.5, 1.0]), np.array([0.5, 0.5]))
    assert covering.offsets.tolist() == [0, 1, 3]
    assert covering.territory_ids.tolist() == [1, 1, 2]
    assert covering.interior.tolist() == [True, False, False]


def test_edges_on_cell_borders_are_covered_by_both_sides() -> None:
    # cell_deg=2 puts the grid lines at odd integers: x = 1 is both an edge and a cell border.
    squares = [_territory(i + 1, shapely.box(i, 0, i + 1, 1)) for i in range(4)]
    index = TerritoryIndex.build(squares, cell_deg=2.0)
    x = np.array([1.0, 1.0, 1.0, 2.0, 4.0, 4.0 + 1e-12])
    y = np.array([0.5, 0.0, 1.0, 1.0, 0.3, 0.3])
    covering = index.covering_ids(x, y)
    assert [covering.of(i) for i in range(len(x))] == [(1, 2), (1, 2), (1, 2), (2, 3), (4,), ()]


def test_winner_prefers_interior_then_smallest_area_then_lowest_id() -> None:
    big = _territory(1, shapely.box(0, 0, 4, 4))
    small = _territory(9, shapely.box(1, 1, 2, 2))
    twin = _territory(5, shapely.box(1, 1, 2, 2))
    index = TerritoryIndex.build([big, small, twin])
    ids = index.winner_ids(np.array([1.5, 3.0, 2.0]), np.array([1.5, 3.0, 1.5]))
    # (2, 1.5) is on the edge of both small boxes but inside the big one: interior wins.
    assert ids.tolist() == [5, 1, 1]
    assert index.covering_ids(np.array([1.5]), np.array([1.5])).of(0) == (5, 9, 1)


def test_point_in_hole_is_not_covered_but_hole_edge_is() -> None:
    donut = shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 2, 2))
    index = TerritoryIndex.build([_territory(1, donut)], cell_deg=0.25)
    assert index.winner_ids(np.array([1.5, 1.0, 0.5]), np.array([1.5, 1.5, 0.5])).tolist() == [
        -1,
        1,
        1,
    ]


def test_build_keeps_only_leaves_sorted_by_id() -> None:
    region = _territory(1, shapely.box(0, 0, 10, 10))
    child_b = _territory(7, shapely.box(5, 0, 10, 10), parent_id=1)
    child_a = _territory(3, shapely.box(0, 0, 5, 10), parent_id=1)
    index = TerritoryIndex.build([child_b, region, child_a])
    assert [t.id for t in index.territories] == [3, 7]


def test_build_refuses_invalid_geometry_with_the_reason() -> None:
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(InvalidGeometryError) as caught:
        TerritoryIndex.build([_territory(1, shapely.box(0, 0, 1, 1)), _territory(2, bowtie)])
    assert caught.value.issues[0].pointer == "/1/geometry"
    assert "Self-intersection" in caught.value.issues[0].reason


def test_build_refuses_duplicate_ids_and_bad_cell_size() -> None:
    with pytest.raises(InvalidInputError):
        TerritoryIndex.build([_territory(1, shapely.box(0, 0, 1, 1))] * 2)
    for bad in (0.0, -1.0, float("nan"), 1e-5):  # 1e-5 deg: 1e10 cells, refused
        with pytest.raises(InvalidInputError):
            TerritoryIndex.build([_territory(1, shapely.box(0, 0, 1, 1))], cell_deg=bad)


def test_empty_index_covers_nothing() -> None:
    index = TerritoryIndex.build([])
    assert index.winner_ids(np.array([1.0]), np.array([2.0])).tolist() == [-1]
    assert index.locate(1.0, 2.0).assignment == "unassigned:outside-all"


def test_non_finite_coordinates_cover_nothing_in_bulk() -> None:
    index = TerritoryIndex.build([_territory(1, shapely.box(-1, -1, 1, 1))])
    ids = index.winner_ids(np.array([np.nan, 0.0, np.inf]), np.array([0.0, np.nan, 0.0]))
    assert ids.tolist() == [-1, -1, -1]


def test_grid_settles_most_county_sized_points_without_exact_tests() -> None:
    # A 40 x 20 checkerboard of one-degree cells: only cells on the lines need tests.
    tiles = [
        _territory(i * 20 + j + 1, shapely.box(i, j, i + 1, j + 1))
        for i in range(40)
        for j in range(20)
    ]
    index = TerritoryIndex.build(tiles)
    codes = index.grid.codes
    assert (codes >= 0).mean() > 0.8
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 40, 20_000), rng.uniform(0, 20, 20_000)
    expected = (np.floor(x) * 20 + np.floor(y) + 1).astype(np.int64)
    assert np.array_equal(index.winner_ids(x, y), expected)


def test_new_records_of_the_same_leaves_answer_as_a_fresh_build() -> None:
    # with_records reuses the entries of records passed as the same objects
    # and makes the others again: colours, reps and rules of some leaves change.
    from dataclasses import replace

    from geo.model import Rules

    leaves = [Territory(i, f"t{i}", shapely.box(i, 0, i + 1, 1), rep_ids=(i,)) for i in range(1, 7)]
    index = TerritoryIndex.build(leaves)
    after = list(index.territories)
    after[1] = replace(after[1], rep_ids=(99,))
    after[3] = replace(after[3], rules=Rules(industries=("retail",)))
    after[4] = replace(after[4], color="#123456")
    patched = index.with_records(after)
    fresh = TerritoryIndex.build(after)
    for x in np.arange(1.5, 7.5, 1.0):
        for industry in (None, "retail", "energy"):
            args = (float(x), 0.5)
            assert patched.locate(*args, industry=industry) == fresh.locate(
                *args, industry=industry
            )
    assert patched.locate(2.5, 0.5).rep_ids == (99,)
    assert index.locate(2.5, 0.5).rep_ids == (2,)  # the old index is untouched
