from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.crs import GEOD
from geo.errors import InvalidInputError
from geo.flags.overlaps import OverlapReport, find_overlaps, overlaps_with
from geo.model import Rules, Territory

ANY = Rules()


def _t(
    tid: int, geometry: shapely.Geometry, *, rules: Rules = ANY, parent_id: int | None = None
) -> Territory:
    return Territory(id=tid, name=f"T{tid}", geometry=geometry, rules=rules, parent_id=parent_id)


def _geodesic_km2(geometry: shapely.Geometry) -> float:
    """Independent area: Karney's geodesic polygon area of the densified shape.

    Territory edges are straight in lon/lat (RFC 7946), so densify before
    treating edges as geodesics.
    """
    area_m2, _ = GEOD.geometry_area_perimeter(shapely.segmentize(geometry, 0.005))
    return abs(area_m2) / 1e6


def _all_pairs(report: OverlapReport) -> set[tuple[int | None, int]]:
    return {(p.a_id, p.b_id) for p in report.overlaps + report.slivers}


def test_find_overlaps_pair_touching_along_an_edge_is_not_an_overlap() -> None:
    report = find_overlaps([_t(1, shapely.box(0, 0, 1, 1)), _t(2, shapely.box(1, 0, 2, 1))])
    assert report.overlaps == () and report.slivers == ()


def test_find_overlaps_pair_touching_at_a_corner_is_not_an_overlap() -> None:
    report = find_overlaps([_t(1, shapely.box(0, 0, 1, 1)), _t(2, shapely.box(1, 1, 2, 2))])
    assert _all_pairs(report) == set()


def test_find_overlaps_touching_on_a_diagonal_edge_with_extra_vertices_is_not_an_overlap() -> None:
    left = shapely.Polygon([(0, 0), (3, 0), (1, 3), (0, 3)])
    right = shapely.Polygon([(3, 0), (4, 0), (4, 3), (1, 3), (2, 1.5)])
    assert _all_pairs(find_overlaps([_t(1, left), _t(2, right)])) == set()


def test_find_overlaps_overlapping_pair_reports_ids_names_area_and_shape() -> None:
    west, east = _t(7, shapely.box(0, 0, 1, 1)), _t(3, shapely.box(0.5, 0, 2, 1))
    report = find_overlaps([west, east])
    (pair,) = report.overlaps
    assert (pair.a_id, pair.b_id, pair.a_name, pair.b_name) == (3, 7, "T3", "T7")
    assert pair.geometry.equals(shapely.MultiPolygon([shapely.box(0.5, 0, 1, 1)]))
    assert pair.overlap_km2 == pytest.approx(_geodesic_km2(shapely.box(0.5, 0, 1, 1)), rel=1e-3)
    assert not pair.is_sliver and "T3" in pair.suggestion and "T7" in pair.suggestion
    assert report.equal_area_crs.startswith("EPSG:6933")


def test_find_overlaps_territory_inside_another_is_an_overlap() -> None:
    report = find_overlaps([_t(1, shapely.box(0, 0, 2, 2)), _t(2, shapely.box(0.5, 0.5, 1, 1))])
    (pair,) = report.overlaps
    assert pair.geometry.equals(shapely.MultiPolygon([shapely.box(0.5, 0.5, 1, 1)]))


def test_find_overlaps_multipolygons_overlap_only_where_their_parts_do() -> None:
    a = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(5, 0, 6, 1)])
    b = shapely.MultiPolygon([shapely.box(1, 0, 2, 1), shapely.box(5.5, 0.5, 7, 2)])
    (pair,) = find_overlaps([_t(1, a), _t(2, b)]).overlaps
    assert pair.geometry.equals(shapely.MultiPolygon([shapely.box(5.5, 0.5, 6, 1)]))


def test_find_overlaps_antimeridian_split_multipolygons_overlap_on_both_sides() -> None:
    fiji = shapely.MultiPolygon(
        [shapely.box(175, -20, 180, -15), shapely.box(-180, -20, -178, -15)]
    )
    tonga = shapely.MultiPolygon(
        [shapely.box(178, -18, 180, -10), shapely.box(-180, -18, -175, -10)]
    )
    (pair,) = find_overlaps([_t(1, fiji), _t(2, tonga)]).overlaps
    expected = shapely.MultiPolygon(
        [shapely.box(178, -18, 180, -15), shapely.box(-180, -18, -178, -15)]
    )
    assert pair.geometry.normalize().equals(expected.normalize())
    assert pair.overlap_km2 == pytest.approx(_geodesic_km2(expected), rel=1e-3)


def test_find_overlaps_parts_meeting_only_at_the_antimeridian_do_not_overlap() -> None:
    east = _t(1, shapely.box(170, 0, 180, 10))
    west = _t(2, shapely.box(-180, 0, -170, 10))
    assert _all_pairs(find_overlaps([east, west])) == set()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(shapely.box(0, 0, 1, 1), shapely.box(0.3, 0.2, 1.4, 0.9), id="equator"),
        pytest.param(
            shapely.box(-100, 30, -90, 40), shapely.box(-95, 35, -80, 48), id="conus-large"
        ),
        pytest.param(
            shapely.Polygon([(-10, 60), (20, 62), (5, 75)]),
            shapely.Polygon([(0, 58), (25, 70), (-5, 70)]),
            id="diagonal-edges-north",
        ),
        pytest.param(shapely.box(-60, 80, 60, 88), shapely.box(0, 84, 90, 89.5), id="near-pole"),
        pytest.param(shapely.box(10, -50, 12, -48), shapely.box(11, -49.5, 13, -47), id="south"),
    ],
)
def test_find_overlaps_area_agrees_with_geodesic_area_within_a_thousandth(
    a: shapely.Polygon, b: shapely.Polygon
) -> None:
    (pair,) = find_overlaps([_t(1, a), _t(2, b)]).overlaps
    reference_km2 = _geodesic_km2(shapely.intersection(a, b))
    assert pair.overlap_km2 == pytest.approx(reference_km2, rel=1e-3)


def test_find_overlaps_lists_accounts_covered_by_both_including_the_overlap_edge() -> None:
    accounts = [
        ("inside", 0.75, 0.5),
        ("on-overlap-edge", 0.5, 0.5),
        ("only-west", 0.25, 0.5),
        ("only-east", 1.5, 0.5),
        ("nowhere", 9.0, 9.0),
    ]
    (pair,) = find_overlaps(
        [_t(1, shapely.box(0, 0, 1, 1)), _t(2, shapely.box(0.5, 0, 2, 1))], accounts
    ).overlaps
    assert pair.account_ids == ("inside", "on-overlap-edge")
    assert "2 accounts" in pair.suggestion


def test_find_overlaps_small_overlap_is_a_sliver_telling_to_clip_the_smaller_territory() -> None:
    big = _t(1, shapely.box(0, 0, 1, 1))
    small = _t(2, shapely.box(0.999, 0.2, 1.2, 0.4))  # overlap ~0.1 km x 22 km
    report = find_overlaps([big, small], sliver_km2=5.0)
    assert report.overlaps == ()
    (sliver,) = report.slivers
    assert sliver.is_sliver and 0 < sliver.overlap_km2 < 5.0
    assert sliver.suggestion.startswith("Snap T2 to the edge of T1")
    assert find_overlaps([big, small], sliver_km2=1.0).overlaps[0].b_id == 2


@pytest.mark.parametrize(("a_east", "b_west"), [(1 + 1e-9, 1.0), (1.00000006, 1.00000004)])
def test_find_overlaps_strip_thinner_than_the_coordinate_grid_is_rounding_noise(
    a_east: float, b_west: float
) -> None:
    # 1.00000006 and 1.00000004 round to different 1e-7 grid lines, so the
    # 2e-8 overlap survives snapping as a one-cell strip: still noise.
    a = _t(1, shapely.box(0, 0, a_east, 1))
    b = _t(2, shapely.box(b_west, 0, 2, 1))
    assert shapely.relate_pattern(a.geometry, b.geometry, "T********")
    assert _all_pairs(find_overlaps([a, b], sliver_km2=0.0)) == set()


def test_find_overlaps_strip_a_few_centimetres_wide_is_a_sliver() -> None:
    a, b = _t(1, shapely.box(0, 0, 1.0000005, 1)), _t(2, shapely.box(1, 0, 2, 1))
    report = find_overlaps([a, b])
    assert report.overlaps == () and [p.b_id for p in report.slivers] == [2]


def test_find_overlaps_compares_only_leaf_territories() -> None:
    region = _t(1, shapely.box(0, 0, 2, 1))
    west = _t(2, shapely.box(0, 0, 1, 1), parent_id=1)
    east = _t(3, shapely.box(0.9, 0, 2, 1), parent_id=1)
    assert _all_pairs(find_overlaps([region, west, east])) == {(2, 3)}


@pytest.mark.parametrize(
    ("rules_a", "rules_b"),
    [
        pytest.param(Rules(industries=("Retail",)), Rules(industries=("Health",)), id="industry"),
        pytest.param(Rules(products=("Pumps",)), Rules(products=("Valves",)), id="product"),
        pytest.param(Rules(max_revenue=1e6), Rules(min_revenue=1e6), id="revenue-band"),
        pytest.param(Rules(industries=()), Rules(), id="empty-rule-matches-nothing"),
    ],
)
def test_find_overlaps_same_geography_split_by_rules_is_not_an_overlap(
    rules_a: Rules, rules_b: Rules
) -> None:
    shape = shapely.box(0, 0, 1, 1)
    report = find_overlaps([_t(1, shape, rules=rules_a), _t(2, shape, rules=rules_b)])
    assert _all_pairs(report) == set()


@pytest.mark.parametrize(
    ("rules_a", "rules_b"),
    [
        pytest.param(
            Rules(industries=("Retail", "Health")), Rules(industries=("health",)), id="industry"
        ),
        pytest.param(Rules(products=("Pumps",)), Rules(), id="product-vs-any"),
        pytest.param(Rules(max_revenue=2e6), Rules(min_revenue=1e6), id="revenue-bands-meet"),
        pytest.param(
            Rules(industries=("Retail",)), Rules(products=("Pumps",)), id="different-rules"
        ),
    ],
)
def test_find_overlaps_rules_that_can_both_match_keep_the_overlap(
    rules_a: Rules, rules_b: Rules
) -> None:
    shape = shapely.box(0, 0, 1, 1)
    report = find_overlaps([_t(1, shape, rules=rules_a), _t(2, shape, rules=rules_b)])
    assert _all_pairs(report) == {(1, 2)}


def test_find_overlaps_finds_the_same_pairs_as_a_brute_force_scan() -> None:
    rng = np.random.default_rng(7)
    frame = shapely.box(-100, 30, -95, 35)
    cells = shapely.voronoi_polygons(
        shapely.multipoints(rng.uniform([-100, 30], [-95, 35], (60, 2))), extend_to=frame
    )
    geoms = shapely.intersection(np.asarray(cells.geoms), frame)
    for k in rng.choice(len(geoms), 6, replace=False):
        geoms[k] = shapely.affinity.translate(
            shapely.affinity.scale(geoms[k], 1.1, 1.1), 0.05, 0.02
        )
    territories = [_t(k, g) for k, g in enumerate(geoms)]
    brute = {
        (i, j)
        for i in range(len(geoms))
        for j in range(i + 1, len(geoms))
        if shapely.intersection(geoms[i], geoms[j]).area > 1e-12
    }
    assert len(brute) >= 6
    assert _all_pairs(find_overlaps(territories, sliver_km2=0.0)) == brute


def test_find_overlaps_rejects_a_negative_sliver_threshold() -> None:
    with pytest.raises(InvalidInputError):
        find_overlaps([], sliver_km2=-1.0)


def test_overlaps_with_reports_the_candidate_as_a_and_skips_its_old_version() -> None:
    old = _t(5, shapely.box(0, 0, 1, 1))
    east = _t(6, shapely.box(1, 0, 2, 1))
    north = _t(7, shapely.box(0, 1, 2, 2))
    pairs = overlaps_with(shapely.box(0, 0, 1.5, 1.2), Rules(), [old, east, north], 5)
    assert [(p.a_id, p.b_id) for p in pairs] == [(5, 6), (5, 7)]


def test_overlaps_with_a_new_territory_has_no_id_and_respects_rules() -> None:
    retail = _t(6, shapely.box(1, 0, 2, 1), rules=Rules(industries=("Retail",)))
    health = _t(7, shapely.box(1, 0, 2, 1), rules=Rules(industries=("Health",)))
    pairs = overlaps_with(
        shapely.box(0, 0, 1.5, 1),
        Rules(industries=("retail",)),
        [retail, health],
        None,
        candidate_name="Draft",
    )
    assert [(p.a_id, p.a_name, p.b_id) for p in pairs] == [(None, "Draft", 6)]


def test_overlaps_with_skips_children_of_the_edited_territory() -> None:
    child = _t(9, shapely.box(0.2, 0.2, 0.4, 0.4), parent_id=5)
    assert overlaps_with(shapely.box(0, 0, 1, 1), Rules(), [child], 5) == []
