"""The assignment rule, branch by branch, in bulk and for single points."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geo.assign.assignment import affected_bbox, assign_accounts, assign_points
from geo.assign.index import TerritoryIndex
from geo.model import Account, Assignment, Rules, Territory

UNIT = shapely.box(0, 0, 1, 1)


def _t(tid: int, geometry: shapely.Geometry, *reps: int, **kw: object) -> Territory:
    return Territory(tid, f"t{tid}", geometry, rep_ids=reps, **kw)  # type: ignore[arg-type]


def _assign(index: TerritoryIndex, **fields: object) -> Assignment:
    """Assign one account in bulk and check the single-point path agrees."""
    account = Account("acc", **fields)  # type: ignore[arg-type]
    [bulk] = assign_accounts([account], index)
    if account.location is not None and account.owner_rep_id is None:
        single = index.locate(
            *account.location,
            industry=account.industry,
            products=account.products,
            revenue=account.annual_revenue,
        )
        assert (single.territory_id, single.assignment, single.candidates) == (
            bulk.territory_id,
            bulk.assignment,
            bulk.candidates,
        )
    return bulk


@pytest.fixture(scope="module")
def squares() -> TerritoryIndex:
    """Four unit squares meeting at (1, 1), ids 4 3 / 1 2 by quadrant; reps 10x the id."""
    cells = [(1, 0, 0), (2, 1, 0), (3, 1, 1), (4, 0, 1)]
    return TerritoryIndex.build(
        [_t(i, shapely.box(x, y, x + 1, y + 1), 10 * i) for i, x, y in cells]
    )


def test_point_inside_one_territory_is_assigned_to_its_primary_rep(squares: TerritoryIndex) -> None:
    got = _assign(squares, location=(1.5, 0.5))
    assert got == Assignment("acc", 2, 20, "geometry")


def test_point_outside_every_territory_is_unassigned_outside_all(squares: TerritoryIndex) -> None:
    assert _assign(squares, location=(5.0, 5.0)).assignment == "unassigned:outside-all"


@pytest.mark.parametrize("location", [None, (float("nan"), 0.5), (0.5, float("inf"))])
def test_account_without_usable_location_is_unassigned_no_location(
    squares: TerritoryIndex, location: tuple[float, float] | None
) -> None:
    got = _assign(squares, location=location)
    assert got == Assignment("acc", None, None, "unassigned:no-location")


def test_locate_non_finite_point_is_no_location(squares: TerritoryIndex) -> None:
    assert squares.locate(float("nan"), 0.5).assignment == "unassigned:no-location"


def test_point_on_shared_edge_is_not_a_conflict_and_always_resolves_the_same(
    squares: TerritoryIndex,
) -> None:
    answers = {squares.locate(1.0, 0.5) for _ in range(5)}
    assert len(answers) == 1
    [answer] = answers
    assert (answer.territory_id, answer.assignment, answer.candidates) == (1, "geometry", ())
    bulk = assign_accounts([Account(str(i), location=(1.0, 0.5)) for i in range(3)], squares)
    assert {(a.territory_id, a.assignment) for a in bulk} == {(1, "geometry")}
    assert assign_points(np.array([1.0]), np.array([0.5]), squares).tolist() == [1]


def test_point_on_shared_corner_of_four_squares_goes_to_lowest_id(squares: TerritoryIndex) -> None:
    assert _assign(squares, location=(1.0, 1.0)) == Assignment("acc", 1, 10, "geometry")


def test_input_order_does_not_change_the_edge_winner() -> None:
    left, right = _t(8, UNIT, 1), _t(3, shapely.box(1, 0, 2, 1), 2)
    for order in ([left, right], [right, left]):
        assert TerritoryIndex.build(order).locate(1.0, 0.25).territory_id == 3


def test_overlap_is_a_conflict_won_by_the_smaller_territory() -> None:
    index = TerritoryIndex.build(
        [_t(1, shapely.box(0, 0, 4, 4), 10), _t(2, shapely.box(1, 1, 2, 2), 20)]
    )
    got = _assign(index, location=(1.5, 1.5))
    assert got == Assignment("acc", 2, 20, "conflict", (2, 1))


def test_conflict_between_equal_areas_is_won_by_lowest_id() -> None:
    index = TerritoryIndex.build([_t(7, UNIT, 70), _t(5, UNIT, 50)])
    assert _assign(index, location=(0.5, 0.5)) == Assignment("acc", 5, 50, "conflict", (5, 7))


def test_point_in_hole_is_outside_and_island_in_hole_owns_it() -> None:
    donut = shapely.box(0, 0, 3, 3).difference(shapely.box(1, 1, 2, 2))
    alone = TerritoryIndex.build([_t(1, donut, 10)])
    assert _assign(alone, location=(1.5, 1.5)).assignment == "unassigned:outside-all"
    with_island = TerritoryIndex.build([_t(1, donut, 10), _t(2, shapely.box(1, 1, 2, 2), 20)])
    assert _assign(with_island, location=(1.5, 1.5)) == Assignment("acc", 2, 20, "geometry")
    assert _assign(with_island, location=(0.5, 1.5)) == Assignment("acc", 1, 10, "geometry")


def test_every_part_of_a_multipolygon_belongs_to_its_territory() -> None:
    parts = shapely.MultiPolygon([UNIT, shapely.box(5, 5, 6, 6)])
    index = TerritoryIndex.build([_t(1, parts, 10), _t(2, shapely.box(2, 2, 4, 4), 20)])
    assert _assign(index, location=(5.5, 5.5)).territory_id == 1
    assert _assign(index, location=(0.5, 0.5)).territory_id == 1
    assert _assign(index, location=(4.5, 4.5)).assignment == "unassigned:outside-all"


def test_antimeridian_split_multipolygon_owns_both_sides() -> None:
    east, west = shapely.box(176, -20, 180, -15), shapely.box(-180, -20, -178, -15)
    fiji = shapely.MultiPolygon([east, west])
    index = TerritoryIndex.build([_t(1, fiji, 10), _t(2, shapely.box(-10, 40, 10, 50), 20)])
    for lon in (178.0, -179.0, 180.0, -180.0):
        assert _assign(index, location=(lon, -17.0)) == Assignment("acc", 1, 10, "geometry")
    assert _assign(index, location=(0.0, -17.0)).assignment == "unassigned:outside-all"


def test_non_leaf_parent_owns_nothing() -> None:
    region = _t(1, shapely.box(0, 0, 2, 1), 10)
    child = _t(2, UNIT, 20, parent_id=1)
    index = TerritoryIndex.build([region, child])
    assert _assign(index, location=(0.5, 0.5)) == Assignment("acc", 2, 20, "geometry")
    assert _assign(index, location=(1.5, 0.5)).assignment == "unassigned:outside-all"


@pytest.fixture(scope="module")
def by_rules() -> TerritoryIndex:
    """Same square four times: retail, energy, and a revenue band split at 1e6."""
    return TerritoryIndex.build(
        [
            _t(1, UNIT, 10, rules=Rules(industries=("Retail",))),
            _t(2, UNIT, 20, rules=Rules(industries=("Energy",), products=("Turbines",))),
            _t(3, shapely.box(2, 0, 3, 1), 30, rules=Rules(max_revenue=1e6)),
            _t(4, shapely.box(2, 0, 3, 1), 40, rules=Rules(min_revenue=1e6)),
        ]
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"industry": "retail"}, (1, "geometry")),
        ({"industry": "Energy", "products": ("pumps", "TURBINES")}, (2, "geometry")),
        ({"industry": "Energy", "products": ("pumps",)}, (None, "unassigned:no-rule-match")),
        ({"industry": "Mining"}, (None, "unassigned:no-rule-match")),
        ({}, (None, "unassigned:no-rule-match")),
    ],
)
def test_industry_and_product_rules_pick_one_of_identical_shapes(
    by_rules: TerritoryIndex, fields: dict[str, object], expected: tuple[object, str]
) -> None:
    got = _assign(by_rules, location=(0.5, 0.5), **fields)
    assert (got.territory_id, got.assignment, got.candidates) == (*expected, ())


@pytest.mark.parametrize(
    ("revenue", "expected"),
    [
        (999_999.0, 3),
        (1_000_000.0, 4),
        (5e9, 4),
        (0.0, 3),
        (None, None),
    ],
)
def test_revenue_band_split_at_a_figure_never_matches_twice(
    by_rules: TerritoryIndex, revenue: float | None, expected: int | None
) -> None:
    got = _assign(by_rules, location=(2.5, 0.5), annual_revenue=revenue)
    assert got.territory_id == expected
    assert got.assignment != "conflict"


def test_override_wins_over_geometry_and_keeps_the_covering_territory(
    squares: TerritoryIndex,
) -> None:
    got = _assign(squares, location=(1.5, 0.5), owner_rep_id=99)
    assert got == Assignment("acc", 2, 99, "override")


def test_override_prefers_the_covering_territory_that_lists_the_rep() -> None:
    index = TerritoryIndex.build(
        [_t(1, shapely.box(0, 0, 4, 4), 10), _t(2, shapely.box(1, 1, 2, 2), 20, 21)]
    )
    assert _assign(index, location=(1.5, 1.5), owner_rep_id=10).territory_id == 1
    assert _assign(index, location=(1.5, 1.5), owner_rep_id=21).territory_id == 2


@pytest.mark.parametrize("location", [(9.0, 9.0), None])
def test_override_without_covering_territory_still_assigns_the_rep(
    squares: TerritoryIndex, location: tuple[float, float] | None
) -> None:
    got = _assign(squares, location=location, owner_rep_id=99)
    assert got == Assignment("acc", None, 99, "override")


def test_bulk_equals_single_point_and_brute_force_on_random_points() -> None:
    rng = np.random.default_rng(11)
    shapes = [shapely.Point(rng.uniform(0, 10, 2)).buffer(rng.uniform(0.5, 2.0)) for _ in range(12)]
    rules = [Rules(), Rules(industries=("A",)), Rules(max_revenue=50.0)]
    index = TerritoryIndex.build(
        [_t(i + 1, s, 100 + i, rules=rules[i % 3]) for i, s in enumerate(shapes)]
    )
    xy = rng.uniform(-1, 11, (3000, 2))
    accounts = [
        Account(
            str(i),
            location=(x, y),
            industry=str(rng.choice(["A", "B"])),
            annual_revenue=float(rng.uniform(0, 100)),
        )
        for i, (x, y) in enumerate(xy.tolist())
    ]
    for account, got in zip(accounts, assign_accounts(accounts, index), strict=True):
        assert got == _reference(index, account)
        single = index.locate(
            *account.location,
            industry=account.industry,  # type: ignore[misc]
            revenue=account.annual_revenue,
        )
        assert (single.territory_id, single.assignment, single.candidates) == (
            got.territory_id,
            got.assignment,
            got.candidates,
        )


def _reference(index: TerritoryIndex, account: Account) -> Assignment:
    """The rule written the slow, obvious way (no edge points in this sample)."""
    x, y = account.location  # type: ignore[misc]
    covering = [t for t in index.territories if shapely.intersects_xy(t.geometry, x, y)]
    matching = [
        t
        for t in covering
        if t.rules.matches(account.industry, account.products, account.annual_revenue)
    ]
    area = {t.id: a for t, a in zip(index.territories, index.area_km2, strict=True)}
    matching.sort(key=lambda t: (area[t.id], t.id))
    if not matching:
        reason = "no-rule-match" if covering else "outside-all"
        return Assignment(account.id, None, None, f"unassigned:{reason}")
    win = matching[0]
    if len(matching) == 1:
        return Assignment(account.id, win.id, win.primary_rep_id, "geometry")
    return Assignment(
        account.id, win.id, win.primary_rep_id, "conflict", tuple(t.id for t in matching)
    )


def test_affected_bbox_of_create_and_delete_is_the_shape() -> None:
    shape = _t(1, shapely.MultiPolygon([UNIT, shapely.box(5, 5, 6, 7)]), 10)
    assert affected_bbox(None, shape) == ((0.0, 0.0, 1.0, 1.0), (5.0, 5.0, 6.0, 7.0))
    assert affected_bbox(shape, None) == affected_bbox(None, shape)
    assert affected_bbox(shape, shape) == ()


def test_affected_bbox_of_moved_border_is_the_strip_when_nothing_overlaps() -> None:
    left, right = _t(1, shapely.box(0, 0, 2, 2), 10), _t(2, shapely.box(2, 0, 4, 2), 20)
    index = TerritoryIndex.build([left, right])
    grown = _t(1, shapely.box(0, 0, 2.5, 2), 10)
    assert affected_bbox(left, grown, index=index) == ((2.0, 0.0, 2.5, 2.0),)
    assert affected_bbox(left, grown) == ((0.0, 0.0, 2.5, 2.0),)


def test_affected_bbox_of_rep_change_is_the_whole_shape() -> None:
    base = _t(1, shapely.box(0, 0, 2, 2), 10)
    index = TerritoryIndex.build([base, _t(2, shapely.box(1, 1, 3, 3), 20)])
    assert affected_bbox(base, _t(1, base.geometry, 11), index=index) == ((0.0, 0.0, 2.0, 2.0),)


@pytest.mark.parametrize("use_index", [True, False])
def test_owners_change_only_inside_affected_boxes(use_index: bool) -> None:
    # 1 overlaps 2; growing 1 shrinks its rank against 2 inside their overlap.
    base = _t(1, shapely.box(0, 0, 2, 2), 10)
    others = [_t(2, shapely.box(1, 1, 4.5, 3), 20), _t(3, shapely.box(2, 0, 4, 1), 30)]
    grown = _t(1, shapely.box(0, 0, 2, 4), 10)
    before = TerritoryIndex.build([base, *others])
    after = TerritoryIndex.build([grown, *others])
    boxes = affected_bbox(base, grown, index=before if use_index else None)
    xy = np.random.default_rng(5).uniform(-1, 5, (4000, 2))
    changed = assign_points(*xy.T, before) != assign_points(*xy.T, after)
    assert changed.sum() > 100
    in_box = np.zeros(len(xy), dtype=bool)
    for x0, y0, x1, y1 in boxes:
        in_box |= (xy[:, 0] >= x0) & (xy[:, 0] <= x1) & (xy[:, 1] >= y0) & (xy[:, 1] <= y1)
    assert not np.any(changed & ~in_box)
    if use_index:  # tighter than both whole shapes: the bottom-left quarter is spared
        assert not np.any(in_box & (xy[:, 0] < 1) & (xy[:, 1] < 1))
