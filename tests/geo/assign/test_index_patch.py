"""A reshaped territory patches the index's grid: the answers equal a fresh build's.

Random overlapping shapes (blobs, rotated boxes, donuts, two-part
MultiPolygons) are reshaped one or several at a time and in sequences
(a patch of a patch), by shrinking, growing into their neighbours, moving,
and becoming a donut or a MultiPolygon; every vertex and edge midpoint of the
old and new shapes is probed beside uniform points, at several cell sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.assign.index import TerritoryIndex
from geo.errors import InvalidGeometryError
from geo.model import Territory
from tests.geo.assign.test_index import _probe_points, _random_shapes, _territory

Test = TypeVar("Test", bound=Callable[..., None])


def _reshaped(rng: np.random.Generator, shape: shapely.Geometry, how: int) -> shapely.Geometry:
    """``shape`` changed the ``how``-th way; shrunk instead where that is not a valid area."""
    new = _changed(rng, shape, how)
    polygonal = new.geom_type in ("Polygon", "MultiPolygon")
    if polygonal and new.is_valid and not new.is_empty:
        return new
    return shapely.affinity.scale(shape, 0.7, 0.9, origin=shape.centroid)


def _changed(rng: np.random.Generator, shape: shapely.Geometry, how: int) -> shapely.Geometry:
    c = shape.centroid
    if how == 0:
        return shapely.affinity.scale(shape, 0.7, 0.9, origin=c)
    if how == 1:
        return shape.buffer(rng.uniform(0.05, 0.6), quad_segs=3)  # into its neighbours
    if how == 2:
        return shapely.affinity.translate(shape, *rng.uniform(-0.8, 0.8, 2))
    if how == 3:
        return shape.difference(c.buffer(0.2, quad_segs=2))  # a hole, or a bite
    return shapely.MultiPolygon(
        [shapely.box(c.x, c.y, c.x + 0.4, c.y + 0.3), shapely.box(2, 2, 2.2, 2.9)]
    )


def _cell_points(grid: Any) -> np.ndarray:
    """Every cell's centre and its lower-left corner: a point in each cell the patch rebuilt."""
    ix, iy = np.meshgrid(np.arange(grid.nx), np.arange(grid.ny))
    x, y = grid.x0 + ix.ravel() * grid.cell_deg, grid.y0 + iy.ravel() * grid.cell_deg
    half = grid.cell_deg / 2
    return np.vstack([np.column_stack([x + half, y + half]), np.column_stack([x, y])])


def _same_answers(patched: TerritoryIndex, after: list[Territory], xy: np.ndarray) -> None:
    fresh = TerritoryIndex.build(after)
    xy = np.vstack([xy, _cell_points(patched.grid)])
    ours, theirs = patched.covering_ids(xy[:, 0], xy[:, 1]), fresh.covering_ids(xy[:, 0], xy[:, 1])
    assert np.array_equal(ours.offsets, theirs.offsets)
    assert np.array_equal(ours.territory_ids, theirs.territory_ids)
    assert np.array_equal(ours.interior, theirs.interior)
    assert np.array_equal(
        patched.winner_ids(xy[:, 0], xy[:, 1]), fresh.winner_ids(xy[:, 0], xy[:, 1])
    )
    for x, y in xy[::97].tolist():
        assert patched.locate(x, y) == fresh.locate(x, y), (x, y)


def patch_cases(which: int, how: int, per_step: int) -> Callable[[Test], Any]:
    """A property of patched indexes over a seed, a cell size and ``edits``: one to three
    steps of one to ``per_step`` edits (which shape, how), up to ``which`` and ``how``."""
    edit = st.tuples(st.integers(0, which), st.integers(0, how))
    steps = st.lists(st.lists(edit, min_size=1, max_size=per_step), min_size=1, max_size=3)
    cells = st.sampled_from([None, 0.5, 0.37, 0.0625])
    given_cases = given(seed=st.integers(0, 2**16), cell_deg=cells, edits=steps)
    kept = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    return lambda test: kept(given_cases(test))


@patch_cases(which=15, how=4, per_step=3)
def test_a_patched_index_answers_as_a_fresh_build(
    seed: int, cell_deg: float | None, edits: list[list[tuple[int, int]]]
) -> None:
    rng = np.random.default_rng(seed)
    shapes = _random_shapes(rng, 16)
    territories = [_territory(100 - i, s) for i, s in enumerate(shapes)]
    index = TerritoryIndex.build(territories, cell_deg=cell_deg)
    for step in edits:
        by_id = {t.id: t for t in territories}
        for which, how in step:
            old = territories[which]
            by_id[old.id] = _territory(old.id, _reshaped(rng, old.geometry, how))
        new = index.with_shapes_replaced(
            {i: by_id[i] for i in {territories[w].id for w, _ in step}}
        )
        moved = [by_id[t.id] for t in territories]
        xy = _probe_points(rng, [t.geometry for t in territories + moved], 800)
        territories = moved
        if new is None:  # a shape left the frame: the caller builds anew
            index = TerritoryIndex.build(territories, cell_deg=cell_deg)
            continue
        _same_answers(new, territories, xy)
        index = new


def test_a_shape_leaving_the_frame_asks_for_a_build() -> None:
    a, b = shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)
    index = TerritoryIndex.build([_territory(1, a), _territory(2, b)])
    assert index.with_shapes_replaced({1: _territory(1, shapely.box(0, 0, 1, 5))}) is None
    assert index.with_shapes_replaced({3: _territory(3, a)}) is None  # not a leaf here


def test_a_patch_refuses_an_invalid_shape_as_a_build_does() -> None:
    index = TerritoryIndex.build([_territory(1, shapely.box(0, 0, 2, 2))])
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(InvalidGeometryError) as refused:
        index.with_shapes_replaced({1: _territory(1, bowtie)})
    assert "Self-intersection" in refused.value.issues[0].reason


def test_a_county_reshaped_patches_a_few_cells() -> None:
    """The point of the patch: the cells rebuilt follow the shape, not the grid."""
    tiles = [shapely.box(x, y, x + 1, y + 1) for x in range(30) for y in range(30)]
    index = TerritoryIndex.build([_territory(i + 1, t) for i, t in enumerate(tiles)])
    moved = _territory(466, shapely.affinity.scale(tiles[465], 0.9, 0.9))
    patched = index.with_shapes_replaced({466: moved})
    assert patched is not None
    g = index.grid
    cx = (np.arange(g.nx * g.ny) % g.nx + 0.5) * g.cell_deg + g.x0
    cy = (np.arange(g.nx * g.ny) // g.nx + 0.5) * g.cell_deg + g.y0
    near = (abs(cx - 465 // 30 - 0.5) < 1.1) & (abs(cy - 465 % 30 - 0.5) < 1.1)
    old, new = index.grid.codes, patched.grid.codes
    assert np.array_equal(np.maximum(old, -2)[~near], np.maximum(new, -2)[~near])
    assert near.sum() < g.codes.size / 100  # at most this was built again
    assert patched.locate(*moved.geometry.centroid.coords[0]).territory_id == 466
