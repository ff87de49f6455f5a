"""Design constraints over HTTP on both backends: pins, homes, workload, locks, reach, infeasible.

Each test that checks a constraint also shows that, without it, the same
data is designed differently (so the assertion could fail).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import shapely

from geo.distance import geodesic_km
from tests.conftest import ApiClient
from tests.service.test_design_api import (
    STEP,
    check_partition,
    grid_units,
    leaves,
    run,
    upload,
)
from tests.service.test_scenarios_api import box, create, new_scenario, scenario_owners, token

Point = tuple[float, float]


def rep_at(client: ApiClient, name: str, home: Point, **extra: Any) -> int:
    body = {"name": name, "home": {"type": "Point", "coordinates": list(home)}, **extra}
    r = client.post("/reps", json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def import_rows(client: ApiClient, rows: list[dict[str, Any]]) -> None:
    """Accounts as CSV; every row carries the same columns."""
    header = list(rows[0])
    lines = [",".join(header)] + [",".join(str(r[h]) for h in header) for r in rows]
    r = client.post(
        "/accounts/import", content="\n".join(lines) + "\n", headers={"Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.text


def unit_centre(c: int, r: int) -> Point:
    return ((c + 0.5) * STEP, (r + 0.5) * STEP)


def per_unit(weight: Any, **props: Any) -> list[dict[str, Any]]:
    """``weight(c, r)`` accounts in each unit of the 6 x 4 grid, spread along the row."""
    rows = []
    for c in range(6):
        for r in range(4):
            n = weight(c, r)
            for i in range(n):
                x = (c + 0.05 + 0.9 * (i + 0.5) / n) * STEP
                rows.append(
                    {
                        "id": f"g{c}{r}_{i}",
                        "lon": f"{x:.4f}",
                        "lat": f"{(r + 0.45) * STEP:.4f}",
                        **props,
                    }
                )
    return rows


def territory_of(found: list[dict[str, Any]], rep_id: int) -> shapely.Geometry:
    (shape,) = [
        shapely.geometry.shape(f["geometry"])
        for f in found
        if f["properties"]["rep_ids"] == [rep_id]
    ]
    return shape


def units_in(shape: shapely.Geometry) -> set[str]:
    return {
        f"u{c}{r}"
        for c in range(6)
        for r in range(4)
        if shape.covers(shapely.Point(unit_centre(c, r)))
    }


def design(client: ApiClient, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    sid = new_scenario(client, name=f"S{time.monotonic_ns()}")
    job = run(client, sid, body)
    assert job["status"] == "done", job
    return sid, job["result"]


def figures(report: dict[str, Any], metric: str) -> dict[int, dict[str, float]]:
    return {t["rep_id"]: t["metrics"][metric] for t in report["territories"]}


# --- pinned accounts ---------------------------------------------------------------------


def test_owner_overrides_count_for_their_rep_wherever_their_unit_goes(client: ApiClient) -> None:
    ann, bob = rep_at(client, "Ann", (0.05, 0.15)), rep_at(client, "Bob", (0.55, 0.15))
    rows = per_unit(lambda c, r: 1)
    # Six named accounts of Ann's, deep in the east: they stay hers whatever the map says.
    rows += [
        {"id": f"p{i}", "lon": f"{0.55:.4f}", "lat": f"{0.05 + 0.05 * i:.4f}"} for i in range(6)
    ]
    for row in rows:
        row["owner_rep_id"] = ann if row["id"].startswith("p") else ""
    import_rows(client, rows)
    assert upload(client, grid_units()).status_code == 200
    body = {
        "units": "uploaded",
        "rep_ids": [ann, bob],
        "metrics": [{"name": "accounts", "tolerance_pct": 1}],
    }
    sid, report = design(client, body)
    found = leaves(client, sid)
    check_partition(found, shapely.box(0, 0, 0.6, 0.4))
    # 30 accounts, 15 each: Ann's 6 pins leave room for 9 units of one account.
    assert len(units_in(territory_of(found, ann))) == 9
    assert len(units_in(territory_of(found, bob))) == 15
    load = figures(report, "accounts")
    assert load[ann]["load"] == load[bob]["load"] == 15
    # The travel model of the scenario agrees: the pins are in Ann's book.
    travel = client.get(f"/scenarios/{sid}/analysis/travel", params={"sort": "rep_id"}).json()
    books = {r["rep_id"]: r["visits_per_month"] for r in travel["reps"]}
    assert books[ann] == books[bob]  # one visit a month each, 15 accounts each


def relationship_rows() -> list[dict[str, Any]]:
    """Heavy west, light east; two of Ann's customers sit in her border column."""
    rows = per_unit(lambda c, r: 3 if c < 3 else 1, stage="lead")
    rows += [
        {"id": "cust1", "lon": "0.2500", "lat": "0.1500", "stage": "customer"},
        {"id": "cust2", "lon": "0.2500", "lat": "0.2500", "stage": "customer"},
        {"id": "cust3", "lon": "0.3500", "lat": "0.0500", "stage": "customer"},
    ]
    return rows


def test_existing_customers_stay_with_their_rep_when_asked(client: ApiClient) -> None:
    ann, bob = rep_at(client, "Ann", (0.05, 0.15)), rep_at(client, "Bob", (0.55, 0.15))
    create(client, "A", box(0, 0, 0.3, 0.4), rep_ids=[ann])
    create(client, "B", box(0.3, 0, 0.6, 0.4), rep_ids=[bob])
    import_rows(client, relationship_rows())
    assert upload(client, grid_units()).status_code == 200
    body: dict[str, Any] = {
        "units": "uploaded",
        "rep_ids": [ann, bob],
        "metrics": [{"name": "accounts", "tolerance_pct": 10}],
    }
    free_sid, _ = design(client, body)
    free = scenario_owners(client, free_sid)
    # Balancing alone hands part of Ann's border column (and her customers) to Bob.
    assert {free["cust1"][1], free["cust2"][1]} != {ann}
    kept_sid, report = design(client, {**body, "keep_relationships": True})
    kept = scenario_owners(client, kept_sid)
    assert (kept["cust1"][1], kept["cust2"][1], kept["cust3"][1]) == (ann, ann, bob)
    check_partition(leaves(client, kept_sid), shapely.box(0, 0, 0.6, 0.4))
    assert report["contiguous"] is True


def test_customers_of_two_reps_in_one_unit_are_reported(client: ApiClient) -> None:
    ann, bob = rep_at(client, "Ann", (0.05, 0.15)), rep_at(client, "Bob", (0.55, 0.15))
    notch = shapely.box(0.25, 0, 0.3, 0.1)  # the east half of unit u20 is Bob's today
    west = shapely.box(0, 0, 0.3, 0.4).difference(notch)
    create(client, "A", json.loads(shapely.to_geojson(west)), rep_ids=[ann])
    create(client, "B", box(0.3, 0, 0.6, 0.4), rep_ids=[bob])
    create(client, "B2", box(0.25, 0, 0.3, 0.1), rep_ids=[bob])
    rows = per_unit(lambda c, r: 1, stage="lead")
    rows += [
        {"id": "c_ann", "lon": "0.2200", "lat": "0.0500", "stage": "customer"},
        {"id": "c_bob", "lon": "0.2800", "lat": "0.0500", "stage": "customer"},
    ]
    import_rows(client, rows)
    assert upload(client, grid_units()).status_code == 200
    body = {
        "units": "uploaded",
        "rep_ids": [ann, bob],
        "keep_relationships": True,
        "metrics": [{"name": "accounts", "tolerance_pct": 10}],
    }
    _, report = design(client, body)
    (clash,) = [f for f in report["findings"] if f["kind"] == "relationship_conflict"]
    assert clash["units"] == ["u20"] and sorted(clash["territories"]) == sorted(
        [str(ann), str(bob)]
    )


# --- homes, workload, locks, reach --------------------------------------------------------


@pytest.mark.parametrize("units", ["uploaded", "h3:6"])
def test_every_rep_home_lies_inside_their_territory(client: ApiClient, units: str) -> None:
    homes = {"Ann": (0.15, 0.15), "Bob": (0.25, 0.25), "Cy": (0.55, 0.35)}
    reps = {name: rep_at(client, name, home) for name, home in homes.items()}
    rows = per_unit(lambda c, r: 1 + (c * r) % 3)
    rows += [{"id": f"h{n}", "lon": f"{x:.4f}", "lat": f"{y:.4f}"} for n, (x, y) in homes.items()]
    import_rows(client, rows)
    assert upload(client, grid_units()).status_code == 200
    body = {
        "units": units,
        "rep_ids": list(reps.values()),
        "metrics": [{"name": "accounts", "tolerance_pct": 10}],
    }
    sid, report = design(client, body)
    found = leaves(client, sid)
    check_partition(found, None)
    for name, rep_id in reps.items():
        assert territory_of(found, rep_id).covers(shapely.Point(homes[name])), name
    assert report["contiguous"] is True


def test_workload_hours_balance_agrees_with_the_travel_model(client: ApiClient) -> None:
    # Bob drives at half the default speed: his travel hours weigh double.
    ann = rep_at(client, "Ann", (0.05, 0.25))
    bob = rep_at(client, "Bob", (0.55, 0.15), avg_speed_kmh=30)
    rows = per_unit(lambda c, r: 2, stage="customer", visits_per_month=4, visit_minutes=45)
    import_rows(client, rows)
    assert upload(client, grid_units()).status_code == 200
    body = {
        "units": "uploaded",
        "rep_ids": [ann, bob],
        "metrics": [{"name": "workload_hours", "tolerance_pct": 5}],
    }
    sid, report = design(client, body)
    assert report["metrics"][0]["met"] is True
    designed = figures(report, "workload_hours")
    travel = client.get(f"/scenarios/{sid}/analysis/travel", params={"sort": "rep_id"}).json()
    model = {r["rep_id"]: r for r in travel["reps"]}
    for rep_id in (ann, bob):
        # The design's travel is calibrated on the month planner's tours
        # (an uncalibrated day-trip share said 81 hours where the model says 92).
        assert designed[rep_id]["load"] == pytest.approx(model[rep_id]["total_hours"], rel=0.03)
    hours = [model[r]["total_hours"] for r in (ann, bob)]
    assert abs(hours[0] - hours[1]) <= 0.1 * sum(hours) / 2


def test_locked_units_stay_with_the_rep_who_holds_them_today(client: ApiClient) -> None:
    ann, bob = rep_at(client, "Ann", (0.05, 0.15)), rep_at(client, "Bob", (0.55, 0.15))
    create(client, "A", box(0, 0, 0.3, 0.4), rep_ids=[ann])
    create(client, "B", box(0.3, 0, 0.6, 0.4), rep_ids=[bob])
    import_rows(client, per_unit(lambda c, r: 3 if c < 3 else 1))
    assert upload(client, grid_units()).status_code == 200
    body: dict[str, Any] = {
        "units": "uploaded",
        "rep_ids": [ann, bob],
        "metrics": [{"name": "accounts", "tolerance_pct": 10}],
    }
    column = {"u20", "u21", "u22", "u23"}
    free_sid, _ = design(client, body)
    assert not column <= units_in(territory_of(leaves(client, free_sid), ann))
    sid, report = design(client, {**body, "locked_units": sorted(column)})
    found = leaves(client, sid)
    assert column <= units_in(territory_of(found, ann))
    check_partition(found, shapely.box(0, 0, 0.6, 0.4))


def test_no_unit_beyond_a_reps_max_drive_distance(client: ApiClient) -> None:
    # Ann may drive 25 km: about the two western columns at the equator.
    ann = rep_at(client, "Ann", (0.05, 0.2), max_service_km=25)
    bob = rep_at(client, "Bob", (0.55, 0.2))
    import_rows(client, per_unit(lambda c, r: 1 if c < 2 else 3))
    assert upload(client, grid_units()).status_code == 200
    body = {
        "units": "uploaded",
        "rep_ids": [ann, bob],
        "metrics": [{"name": "accounts", "tolerance_pct": 5}],
    }
    sid, report = design(client, body)
    found = leaves(client, sid)
    held = units_in(territory_of(found, ann))
    assert held
    for unit in held:
        x, y = unit_centre(int(unit[1]), int(unit[2]))
        assert geodesic_km(0.05, 0.2, x, y) <= 25, unit
    # Ann's reach leaves her short: said, not hidden.
    assert report["metrics"][0]["met"] is False
    assert any(f["kind"] == "tolerance_not_met" for f in report["findings"])


# --- infeasible requests --------------------------------------------------------------------


def test_units_no_rep_can_reach_are_named_in_the_report(client: ApiClient) -> None:
    ann = rep_at(client, "Ann", (0.05, 0.2), max_service_km=15)
    bob = rep_at(client, "Bob", (0.55, 0.2), max_service_km=15)
    import_rows(client, per_unit(lambda c, r: 1))
    assert upload(client, grid_units()).status_code == 200
    body = {"units": "uploaded", "rep_ids": [ann, bob]}
    started = time.monotonic()
    _, report = design(client, body)
    assert time.monotonic() - started < 20  # a report, not a search to the time limit
    lost = [f for f in report["findings"] if f["kind"] == "unreachable_unit"]
    assert lost and {"u20", "u30"} <= set(lost[0]["units"])


def test_two_reps_with_one_home_unit_are_a_seed_conflict(client: ApiClient) -> None:
    ann = rep_at(client, "Ann", (0.31, 0.21))
    bob = rep_at(client, "Bob", (0.39, 0.29))
    import_rows(client, per_unit(lambda c, r: 1))
    assert upload(client, grid_units()).status_code == 200
    _, report = design(client, {"units": "uploaded", "rep_ids": [ann, bob]})
    clash = [f for f in report["findings"] if f["kind"] == "seed_conflict"]
    assert clash and clash[0]["units"] == ["u32"]
    assert report["contiguous"] is True


# --- a regional manager stays inside the region ----------------------------------------------


@pytest.mark.parametrize("units", ["h3:6", "uploaded"])
def test_a_regional_managers_design_stays_inside_the_region(client: ApiClient, units: str) -> None:
    region = create(client, "R", box(0, 0, 0.5, 0.4))
    beside = create(client, "Next", box(0.5, 0, 1.0, 0.4))
    ann, bob = rep_at(client, "Ann", (0.05, 0.15)), rep_at(client, "Bob", (0.45, 0.15))
    create(client, "A", box(0, 0, 0.25, 0.4), rep_ids=[ann], parent_id=region)
    create(client, "B", box(0.25, 0, 0.5, 0.4), rep_ids=[bob], parent_id=region)
    theirs = create(client, "N", box(0.5, 0, 1.0, 0.4), parent_id=beside)
    # Accounts up to the shared edge (their hexagons' ring reaches past it),
    # and accounts of the neighbouring region, which this design must not read.
    rows = per_unit(lambda c, r: 1 + (c + r) % 2)
    rows += [{"id": f"n{i}", "lon": f"{0.7 + 0.02 * i:.4f}", "lat": "0.2000"} for i in range(9)]
    import_rows(client, rows)
    assert upload(client, grid_units()).status_code == 200  # u5x straddle the edge
    manager = token(client, "manager", region_id=region)
    sid = client.post("/scenarios", json={"name": "mine"}, headers=manager).json()["id"]
    body = {"units": units, "rep_ids": [ann, bob], "metrics": [{"name": "accounts"}]}
    job = run(client, sid, body, **manager)
    assert job["status"] == "done", job
    found = [f for f in leaves(client, sid, **manager) if f["id"] != theirs]
    assert {f["properties"]["parent_id"] for f in found} == {region}
    inside = shapely.box(0, 0, 0.5, 0.4)
    for f in found:
        assert inside.buffer(1e-9).covers(shapely.geometry.shape(f["geometry"]))
    if units == "uploaded":
        check_partition(found, inside)
    in_region = sum(1 for r in rows if float(r["lon"]) < 0.5)
    loads = figures(job["result"], "accounts")
    assert sum(t["load"] for t in loads.values()) == in_region
    # The neighbour's leaf is untouched.
    assert client.get(f"/scenarios/{sid}/territories/{theirs}").json()["properties"]["version"] == 1


def test_a_regional_manager_reads_the_units_of_the_region_and_may_not_replace_the_layer(
    client: ApiClient,
) -> None:
    region = create(client, "R", box(0, 0, 0.5, 0.4))
    assert upload(client, grid_units()).status_code == 200
    manager = token(client, "manager", region_id=region)
    got = client.get("/units", params={"limit": 7}, headers=manager)
    assert got.status_code == 200, got.text
    seen = [f["id"] for f in got.json()["features"]]
    nxt = next(link["href"] for link in got.json()["links"] if link["rel"] == "next")
    while nxt:
        page = client.get(nxt, headers=manager).json()
        seen += [f["id"] for f in page["features"]]
        nxt = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    # Column 5 only touches the region's east edge.
    assert seen == sorted(f"u{c}{r}" for c in range(5) for r in range(4))
    r = client.post(
        "/units/import",
        content=json.dumps(grid_units(2, 1)),
        headers={"Content-Type": "application/geo+json", **manager},
    )
    assert r.status_code == 403, r.text
    assert len(client.get("/units", params={"limit": 100}).json()["features"]) == 24
