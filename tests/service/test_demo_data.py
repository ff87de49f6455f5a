"""The demo data set: enough of everything, real places, and every flaw on purpose."""

from __future__ import annotations

import itertools

import numpy as np
import pyproj
import pytest
import shapely
import zipcodes

from geo.model import EXPERIENCE_LEVELS, STAGES, Account, LonLat, Territory
from service.demo.accounts import INDUSTRIES, PRODUCTS
from service.demo.data import KEY_ACCOUNT_MIN_REVENUE, DemoData, build_demo_data
from service.demo.places import REGION_STATES, region_outline

GEOD = pyproj.Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build_demo_data()


def _leaves(demo: DemoData) -> list[Territory]:
    parents = {t.parent_id for t in demo.territories}
    return [t for t in demo.territories if t.id not in parents]


def _districts(demo: DemoData) -> list[Territory]:
    """The leaves that split the region by geography (not the key-accounts overlay)."""
    return [t for t in _leaves(demo) if t.rules.min_revenue is None]


def _area_km2(geometry: shapely.Geometry) -> float:
    return abs(GEOD.geometry_area_perimeter(geometry)[0]) / 1e6


def _located(demo: DemoData) -> list[tuple[Account, LonLat]]:
    return [(a, a.location) for a in demo.accounts if a.location is not None]


def _zip_rows(states: set[str] | tuple[str, ...], **filters: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for state in sorted(states):
        rows += zipcodes.filter_by(state=state, **filters)  # type: ignore[no-untyped-call]
    return rows


def _owner(demo: DemoData, account: Account, lonlat: LonLat) -> Territory | None:
    """The one leaf whose geometry covers the account and whose rules match it."""
    matches = [
        t
        for t in _leaves(demo)
        if shapely.intersects_xy(t.geometry, *lonlat)
        and t.rules.matches(account.industry, account.products, account.annual_revenue)
    ]
    return matches[0] if len(matches) == 1 else None


def test_demo_has_one_region_with_at_least_six_leaf_territories(demo: DemoData) -> None:
    region, *children = demo.territories
    assert region.id == 1 and region.parent_id is None
    assert [t.id for t in demo.territories] == list(range(1, len(demo.territories) + 1))
    assert all(t.parent_id == region.id for t in children)
    assert len(_districts(demo)) >= 6
    assert len({t.code for t in demo.territories}) == len(demo.territories)


def test_every_territory_is_a_valid_ccw_multipolygon_on_the_micro_degree_grid(
    demo: DemoData,
) -> None:
    for t in demo.territories:
        g = t.geometry
        assert isinstance(g, shapely.MultiPolygon) and g.is_valid and not g.is_empty, t.name
        assert all(p.exterior.is_ccw for p in g.geoms), t.name
        assert all(not ring.is_ccw for p in g.geoms for ring in p.interiors), t.name
        coords = shapely.get_coordinates(g)
        np.testing.assert_allclose(coords, np.round(coords, 6), rtol=0, atol=1e-9)
        assert t.color is not None and t.color.startswith("#") and len(t.color) == 7


def test_every_leaf_lies_exactly_within_the_region(demo: DemoData) -> None:
    region = demo.territories[0].geometry
    for t in _leaves(demo):
        assert t.geometry.within(region), t.name


def test_districts_tile_edge_to_edge_apart_from_the_deliberate_overlap(demo: DemoData) -> None:
    # Without the over-reaching district the rest must be a clean coverage:
    # shared edges with identical vertices, no slivers, no overlaps.
    overlapping = {t.code for pair in _overlapping_pairs(_districts(demo)) for t in pair}
    others = [t.geometry for t in _districts(demo) if t.code not in overlapping]
    assert len(others) >= 6
    assert bool(shapely.coverage_is_valid(others))


def _overlapping_pairs(leaves: list[Territory]) -> list[tuple[Territory, Territory]]:
    return [
        (a, b)
        for a, b in itertools.combinations(leaves, 2)
        if a.geometry.relate_pattern(b.geometry, "T********")
    ]


def test_exactly_one_pair_of_districts_overlaps_with_real_area(demo: DemoData) -> None:
    pairs = _overlapping_pairs(_districts(demo))
    assert [(a.code, b.code) for a, b in pairs] == [("OV-COH", "OV-SWO")]
    a, b = pairs[0]
    assert 200.0 < _area_km2(a.geometry.intersection(b.geometry)) < 2000.0


def test_region_keeps_an_uncovered_gap_away_from_its_edge(demo: DemoData) -> None:
    region = demo.territories[0].geometry
    gap = region.difference(shapely.union_all([t.geometry for t in _leaves(demo)]))
    assert 300.0 < _area_km2(gap) < 1000.0  # a 14 km disk is about 615 km2
    assert gap.within(region) and not gap.intersects(region.boundary)


def test_key_accounts_split_indiana_by_revenue_so_exactly_one_side_matches(
    demo: DemoData,
) -> None:
    key = next(t for t in demo.territories if t.rules.min_revenue is not None)
    split = [t for t in _leaves(demo) if t.rules.max_revenue == KEY_ACCOUNT_MIN_REVENUE]
    assert len(split) == 2
    assert key.geometry.equals(shapely.union_all([t.geometry for t in split]))
    for revenue in (0.0, KEY_ACCOUNT_MIN_REVENUE - 1, KEY_ACCOUNT_MIN_REVENUE, 5e6):
        sides = [t for t in (key, split[0]) if t.rules.matches("Retail", ("Core",), revenue)]
        assert len(sides) == 1, revenue


def test_region_outline_holds_the_zip_centroids_of_its_three_states() -> None:
    rows = _zip_rows(REGION_STATES, zip_code_type="STANDARD")
    lon = [float(z["long"]) for z in rows]
    lat = [float(z["lat"]) for z in rows]
    assert shapely.contains_xy(region_outline(), lon, lat).mean() > 0.995


def test_demo_has_at_least_six_reps_with_real_homes_and_sane_figures(demo: DemoData) -> None:
    assert len(demo.reps) >= 6
    assert [r.id for r in demo.reps] == list(range(1, len(demo.reps) + 1))
    for r in demo.reps:
        assert r.email is not None and r.email.endswith("@example.com")
        assert r.max_service_km is not None and 120.0 <= r.max_service_km <= 250.0
        assert r.avg_speed_kmh is not None and 55.0 <= r.avg_speed_kmh <= 70.0
        assert r.weekly_capacity_hours == 40.0
        assert r.experience in EXPERIENCE_LEVELS and r.quota is not None and r.quota > 0
    assert len({r.email for r in demo.reps}) == len(demo.reps)


def test_every_leaf_has_reps_who_live_inside_it(demo: DemoData) -> None:
    homes = {r.id: r.home for r in demo.reps if r.home is not None}
    assert len(homes) == len(demo.reps)
    for t in _leaves(demo):
        assert t.rep_ids, t.name
        for rep_id in t.rep_ids:
            assert shapely.contains_xy(t.geometry, *homes[rep_id]), (t.name, rep_id)
    assert {rep_id for t in _leaves(demo) for rep_id in t.rep_ids} == set(homes)


def test_demo_has_at_least_a_thousand_accounts_with_unique_ids(demo: DemoData) -> None:
    assert len(demo.accounts) == 1200
    assert len({a.id for a in demo.accounts}) == len(demo.accounts)
    assert len({a.name for a in demo.accounts}) == len(demo.accounts)


def test_accounts_carry_plausible_business_fields(demo: DemoData) -> None:
    for a in demo.accounts:
        assert a.name and a.address and a.country == "US", a.id
        assert a.industry in INDUSTRIES and a.stage in STAGES, a.id
        assert set(a.products) <= set(PRODUCTS), a.id
        assert a.stage == "lead" or "Core" in a.products, a.id
        assert a.visits_per_month in (1 / 3, 0.25, 0.5, 1.0) and a.visit_minutes is not None
        assert 30.0 <= a.visit_minutes <= 120.0, a.id
        if a.annual_revenue is not None:
            assert a.cost_to_serve is not None and 0 < a.cost_to_serve < a.annual_revenue
    assert len({a.industry for a in demo.accounts}) == len(INDUSTRIES)
    assert 0.05 < np.mean([a.remote for a in demo.accounts]) < 0.4
    revenue = [a.annual_revenue for a in demo.accounts if a.annual_revenue is not None]
    assert 20_000 < float(np.median(revenue)) < 100_000 and max(revenue) > 500_000


def test_located_accounts_have_the_zip_city_and_state_of_their_place(demo: DemoData) -> None:
    region = demo.territories[0].geometry
    zips = {z["zip_code"]: z for z in _zip_rows({a.region or "" for a in demo.accounts})}
    for a, (lon, lat) in _located(demo):
        assert a.geocode is not None and a.geocode.location == (lon, lat)
        row = zips[a.postal_code or ""]
        assert (row["city"], row["state"]) == (a.city, a.region), a.id
        _, _, metres = GEOD.inv(float(row["long"]), float(row["lat"]), lon, lat)
        assert metres < 40_000, a.id
        assert shapely.contains_xy(region, lon, lat) == (a.region in REGION_STATES), a.id


def test_some_accounts_lie_beyond_the_reach_of_their_territorys_rep(demo: DemoData) -> None:
    reps = {r.id: r for r in demo.reps}
    beyond = []
    for a, lonlat in _located(demo):
        owner = _owner(demo, a, lonlat)
        if owner is None:
            continue
        rep = reps[owner.rep_ids[0]]
        assert rep.home is not None and rep.max_service_km is not None
        _, _, metres = GEOD.inv(*rep.home, *lonlat)
        if metres / 1000 > rep.max_service_km:
            beyond.append(a.city)
    assert len(beyond) >= 12
    assert beyond.count("Paducah") >= 5


def test_a_few_accounts_need_geocoding_and_one_cannot_be_placed(demo: DemoData) -> None:
    unplaced = [a for a in demo.accounts if a.location is None]
    assert 3 <= len(unplaced) <= 10
    assert all(a.geocode is None for a in unplaced)
    assert sum(a.postal_code is not None for a in unplaced) >= 3
    assert any(a.postal_code is None and a.city is None for a in unplaced)


def test_a_few_accounts_lie_outside_every_territory(demo: DemoData) -> None:
    region = demo.territories[0].geometry
    located = _located(demo)
    beyond_region = [a for a, p in located if not shapely.intersects_xy(region, *p)]
    assert [a.region for a in beyond_region] == ["IL", "PA", "TN"]
    leaves = shapely.union_all([t.geometry for t in _leaves(demo)])
    in_gap = [
        a
        for a, p in located
        if shapely.intersects_xy(region, *p) and not shapely.intersects_xy(leaves, *p)
    ]
    assert 1 <= len(in_gap) <= 20


def test_the_overlap_catches_accounts_and_overrides_name_real_reps(demo: DemoData) -> None:
    coh, swo = (next(t for t in demo.territories if t.code == c) for c in ("OV-COH", "OV-SWO"))
    both = shapely.intersection(coh.geometry, swo.geometry)
    caught = [a for a, p in _located(demo) if shapely.intersects_xy(both, *p)]
    assert len(caught) >= 10
    overrides = [a.owner_rep_id for a in demo.accounts if a.owner_rep_id is not None]
    assert 3 <= len(overrides) <= 12
    assert set(overrides) <= {r.id for r in demo.reps}


def test_same_seed_gives_identical_data_and_another_seed_other_accounts(demo: DemoData) -> None:
    assert build_demo_data() == demo
    other = build_demo_data(seed=8)
    assert other.territories == demo.territories and other.reps == demo.reps
    assert [a.location for a in other.accounts] != [a.location for a in demo.accounts]


def test_account_count_follows_n_accounts() -> None:
    small = build_demo_data(n_accounts=150)
    assert len(small.accounts) == 150
    assert any(a.city == "Paducah" for a in small.accounts)


def test_too_few_accounts_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 100"):
        build_demo_data(n_accounts=20)
