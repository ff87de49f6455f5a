from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
import shapely

from geo.crs import GRID_DEG, area_km2
from geo.errors import EmptyResultError
from geo.flags.clip import clip_to_neighbours
from geo.flags.overlaps import overlaps_with
from geo.model import Rules, Territory


def _t(tid: int, geometry: shapely.Geometry) -> Territory:
    return Territory(id=tid, name=f"T{tid}", geometry=geometry)


def _jitter_1e7(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # Deterministic per coordinate, so shared vertices and ring closures stay equal.
    return xy + GRID_DEG * np.sin(xy * 1.3e7 + 0.7)


def _noisy_tiling(rng: np.random.Generator) -> list[Territory]:
    frame = shapely.box(-100, 40, -99, 41)
    seeds = shapely.multipoints(rng.uniform([-100, 40], [-99, 41], (8, 2)))
    cells = shapely.intersection(
        np.asarray(shapely.voronoi_polygons(seeds, extend_to=frame).geoms), frame
    )
    return [
        _t(10 + k, shapely.transform(shapely.segmentize(c, 0.1), _jitter_1e7))
        for k, c in enumerate(cells)
    ]


def test_clip_to_neighbours_snaps_the_new_shape_to_the_neighbours_edge() -> None:
    west, north = _t(1, shapely.box(0, 0, 1, 1)), _t(2, shapely.box(0, 1, 3, 2))
    drawn = shapely.box(0.6, 0.2, 2, 1.4)
    result = clip_to_neighbours(drawn, [west, north, _t(3, shapely.box(5, 5, 6, 6))])
    assert result.geometry.equals(shapely.MultiPolygon([shapely.box(1, 0.2, 2, 1)]))
    assert result.clipped_ids == (1, 2)
    removed = shapely.difference(drawn, shapely.box(1, 0.2, 2, 1))
    assert result.removed_shape.normalize().equals(shapely.MultiPolygon([removed]).normalize())
    assert result.removed_km2 == pytest.approx(float(area_km2(removed)), rel=1e-9)


def test_clip_to_neighbours_result_is_a_ccw_multipolygon_on_the_grid() -> None:
    drawn = shapely.Polygon([(0.5, 0.123456789), (2.000000049, 0.2), (1.5, 1.5)]).reverse()
    result = clip_to_neighbours(drawn, [_t(1, shapely.box(0, 0, 1, 1))])
    assert isinstance(result.geometry, shapely.MultiPolygon)
    assert all(p.exterior.is_ccw for p in result.geometry.geoms)
    coords = shapely.get_coordinates(result.geometry)
    assert np.allclose(coords, np.round(coords / GRID_DEG) * GRID_DEG, rtol=0, atol=1e-12)


def test_clip_to_neighbours_without_overlap_keeps_the_shape() -> None:
    drawn = shapely.box(1, 0, 2, 1)
    result = clip_to_neighbours(drawn, [_t(1, shapely.box(0, 0, 1, 1))])
    assert result.geometry.equals(drawn)
    assert (result.removed_km2, result.clipped_ids) == (0.0, ())
    assert result.removed_shape.is_empty


def test_clip_to_neighbours_ignores_the_territory_being_edited() -> None:
    old = _t(4, shapely.box(0, 0, 2, 2))
    result = clip_to_neighbours(shapely.box(0, 0, 2, 1), [old], exclude_id=4)
    assert result.clipped_ids == ()


def test_clip_to_neighbours_drops_a_leftover_sliver_between_neighbours() -> None:
    # The 11 cm x 111 km strip between the two has 0.012 km2 but is no territory.
    west, east = _t(1, shapely.box(0, 0, 1, 1)), _t(2, shapely.box(1.000001, 0, 2, 1))
    result = clip_to_neighbours(shapely.box(0.5, 0, 3, 1), [west, east])
    assert result.geometry.equals(shapely.MultiPolygon([shapely.box(2, 0, 3, 1)]))


def test_clip_to_neighbours_keeps_a_narrow_but_real_strip() -> None:
    west, east = _t(1, shapely.box(0, 0, 1, 1)), _t(2, shapely.box(1.001, 0, 2, 1))
    result = clip_to_neighbours(shapely.box(0.5, 0, 3, 1), [west, east])
    assert len(result.geometry.geoms) == 2


def test_clip_to_neighbours_inside_a_neighbour_raises_empty_result_naming_it() -> None:
    with pytest.raises(EmptyResultError) as caught:
        clip_to_neighbours(shapely.box(0.2, 0.2, 0.8, 0.8), [_t(1, shapely.box(0, 0, 1, 1))])
    (issue,) = caught.value.issues
    assert issue.pointer == "/geometry" and issue.code == "empty-after-clip"
    assert "1 (T1)" in issue.reason
    assert shapely.box(0.2, 0.2, 0.8, 0.8).contains(shapely.Point(issue.location))


def test_clip_to_neighbours_leaving_only_slivers_raises_empty_result() -> None:
    west, east = _t(1, shapely.box(0, 0, 1, 1)), _t(2, shapely.box(1.000001, 0, 2, 1))
    with pytest.raises(EmptyResultError):
        clip_to_neighbours(shapely.box(0.5, 0, 1.5, 1), [west, east])


def test_clip_to_neighbours_of_a_shape_without_area_raises_empty_result() -> None:
    flat = shapely.Polygon([(0, 0), (1, 0), (2, 0), (0, 0)])
    with pytest.raises(EmptyResultError, match="nothing"):
        clip_to_neighbours(flat, [_t(1, shapely.box(5, 5, 6, 6))])


def test_clip_to_neighbours_repairs_a_bowtie_before_clipping() -> None:
    bowtie = shapely.Polygon([(1, 0), (3, 1), (3, 0), (1, 1)])
    result = clip_to_neighbours(bowtie, [_t(1, shapely.box(0, 0, 1.5, 1))])
    assert result.geometry.is_valid and result.clipped_ids == (1,)


@pytest.mark.parametrize("seed", range(12))
def test_clip_to_neighbours_then_overlaps_with_reports_none_despite_1e7_noise(seed: int) -> None:
    rng = np.random.default_rng(seed)
    neighbours = _noisy_tiling(rng)
    centre = rng.uniform([-99.8, 40.2], [-99.2, 40.8])
    drawn = shapely.Point(centre).buffer(rng.uniform(0.3, 0.8), quad_segs=6)
    assert overlaps_with(drawn, Rules(), neighbours, None)
    result = clip_to_neighbours(drawn, neighbours)
    assert result.clipped_ids
    assert overlaps_with(result.geometry, Rules(), neighbours, None) == []
