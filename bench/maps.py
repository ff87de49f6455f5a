"""Coverage map of US counties and accounts: ours against the plain Folium way.

Territories are the ~3,108 contiguous-US (+DC) county polygons shipped in the
plotly-geo wheel (``cb_2016_us_county_500k``); accounts are uniform over the
counties' land, drawn with a fixed seed. The plain way is what Folium's docs
show: the raw polygons in one ``folium.GeoJson`` (with a name tooltip) and one
``folium.Marker`` per account. Both build the map and render the whole HTML
page. Ours is measured cold: the simplification cache is cleared each time.

Variants run round-robin after a warm-up; times are medians; a ratio is the
median of the per-round ratios on the same 10,000-account sample. The machine
is shared, so ``x_vs_naive`` compares CPU seconds (``time.process_time``;
every variant runs on one thread) and ``x_vs_naive_wall`` wall seconds. A warm
build reuses the simplified shapes, as the service does between edits. The
last line printed is one JSON object.

    python3 bench/maps.py            # 100,000 accounts, 10,000 for the ratio
    python3 bench/maps.py --quick    # three states, 5,000 / 1,000 accounts
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import folium
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._data import load_counties  # noqa: E402
from geo.model import Account, Assignment, Rep, Territory  # noqa: E402
from maps import OverlapShape, render_coverage_map, to_html  # noqa: E402
from maps.simplify import clear_cache, display_geometries  # noqa: E402
from maps.tables import haversine_km  # noqa: E402

_QUICK_STATES = {"19", "29", "31"}  # Iowa, Missouri, Nebraska


def _counties(states: set[str] | None) -> tuple[list[str], list[str], np.ndarray]:
    """County names, GEOIDs and polygons (lon/lat NAD83 ~ WGS84), optionally some states."""
    frame = load_counties()
    if states is not None:
        frame = frame[frame.STATEFP.isin(states)]
    return frame.NAME.tolist(), frame.GEOID.tolist(), np.asarray(frame.geometry.values)


def make_data(size: int, states: set[str] | None, seed: int = 7) -> dict[str, object]:
    """Territories, reps, accounts, assignments, flags, metrics and overlaps."""
    rng = np.random.default_rng(seed)
    names, geoids, polygons = _counties(states)
    reps = _reps(polygons, rng)
    homes = np.array([r.home for r in reps])
    centroids = shapely.get_coordinates(shapely.centroid(polygons))
    nearest = np.argmin(((centroids[:, None, :] - homes[None, :, :]) ** 2).sum(axis=2), axis=1)
    territories = [
        Territory(i + 1, f"{n} ({g[:2]})", p, code=g, rep_ids=(reps[int(r)].id,))
        for i, (n, g, p, r) in enumerate(zip(names, geoids, polygons, nearest, strict=True))
    ]
    lon, lat, county = _points_in(polygons, size, rng)
    accounts, assignments = _accounts(territories, lon, lat, county, rng)
    distance = haversine_km(lon, lat, *homes[nearest[np.maximum(county, 0)]].T)
    too_far = (distance > 150) & (county >= 0)
    flags = {a.id: ["too_far"] for a, far in zip(accounts, too_far, strict=True) if far}
    metrics = {
        t.id: {"workload_hours": float(rng.uniform(5, 45)), "load_pct": float(rng.uniform(20, 130))}
        for t in territories
    }
    overlaps = _overlaps(territories, rng)
    return {
        "territories": territories,
        "accounts": accounts,
        "assignments": assignments,
        "reps": reps,
        "flags": flags,
        "metrics": metrics,
        "overlaps": overlaps,
    }


def _reps(polygons: np.ndarray, rng: np.random.Generator) -> list[Rep]:
    count = max(3, len(polygons) // 10)
    picks = rng.choice(len(polygons), size=count, replace=False)
    centres = shapely.get_coordinates(shapely.point_on_surface(polygons[picks]))
    return [
        Rep(i + 1, f"Rep {i + 1}", home=(float(x), float(y)), max_service_km=150.0)
        for i, (x, y) in enumerate(centres)
    ]


def _points_in(
    polygons: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Rejection sampling over the bounding box; 1 % of the accounts are kept
    # outside every county (offshore, Canada, Mexico) and become unassigned.
    x0, y0, x1, y1 = shapely.total_bounds(polygons)
    tree = shapely.STRtree(polygons)
    inside_lon: list[np.ndarray] = []
    inside_lat: list[np.ndarray] = []
    inside_county: list[np.ndarray] = []
    outside: list[tuple[float, float]] = []
    need_out = size // 100
    while sum(len(c) for c in inside_county) < size - need_out:
        lon, lat = rng.uniform(x0, x1, size), rng.uniform(y0, y1, size)
        points, hits = shapely.points(lon, lat), np.full(size, -1)
        found = tree.query(points, predicate="within")
        hits[found[0][::-1]] = found[1][::-1]  # first county wins on shared edges
        inside_lon.append(lon[hits >= 0])
        inside_lat.append(lat[hits >= 0])
        inside_county.append(hits[hits >= 0])
        outside.extend(zip(lon[hits < 0], lat[hits < 0], strict=True))
    take = size - need_out
    lon = np.concatenate(inside_lon)[:take]
    lat = np.concatenate(inside_lat)[:take]
    county = np.concatenate(inside_county)[:take]
    out = np.array(outside[:need_out]).reshape(-1, 2)
    return (
        np.concatenate([lon, out[:, 0]]),
        np.concatenate([lat, out[:, 1]]),
        np.concatenate([county, np.full(len(out), -1)]),
    )


def _accounts(
    territories: list[Territory],
    lon: np.ndarray,
    lat: np.ndarray,
    county: np.ndarray,
    rng: np.random.Generator,
) -> tuple[list[Account], list[Assignment]]:
    revenue = rng.lognormal(11, 1, len(lon)).round(2)
    accounts, assignments = [], []
    for i in range(len(lon)):
        account_id = f"C{i:06d}"
        accounts.append(
            Account(
                account_id,
                f"Customer {i}",
                (float(lon[i]), float(lat[i])),
                annual_revenue=float(revenue[i]),
                cost_to_serve=float(revenue[i] * 0.3),
            )
        )
        c = int(county[i])
        if c < 0:
            assignments.append(Assignment(account_id, None, None, "unassigned:outside-all"))
        else:
            t = territories[c]
            assignments.append(Assignment(account_id, t.id, t.primary_rep_id, "geometry"))
    return accounts, assignments


def _overlaps(territories: list[Territory], rng: np.random.Generator) -> list[OverlapShape]:
    picks = rng.choice(len(territories), size=min(20, len(territories) - 1), replace=False)
    shapes = []
    for i in picks:
        a, b = territories[i], territories[(i + 1) % len(territories)]
        grown = shapely.buffer(a.geometry, 0.05)
        shape = shapely.intersection(grown, b.geometry)
        if not shape.is_empty:
            shapes.append(OverlapShape(shape, a.name, b.name, float(shape.area * 9000)))
    return shapes


def build_ours(data: dict[str, Any], accounts: int, cold: bool = True) -> tuple[str, folium.Map]:
    """Our coverage map and its page; ``cold`` forgets the simplified shapes first."""
    if cold:
        clear_cache()
    m = render_coverage_map(
        data["territories"],
        data["accounts"][:accounts],
        data["assignments"][:accounts],
        data["reps"],
        metric="revenue",
        metrics=data["metrics"],
        flags=data["flags"],
        overlaps=data["overlaps"],
    )
    return to_html(m), m


def build_naive(data: dict[str, object], accounts: int) -> tuple[str, folium.Map]:
    territories: list[Territory] = data["territories"]  # type: ignore[assignment]
    m = folium.Map(tiles=None)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": t.name},
                "geometry": shapely.geometry.mapping(t.geometry),
            }
            for t in territories
        ],
    }
    folium.GeoJson(collection, name="Territories", tooltip=folium.GeoJsonTooltip(["name"])).add_to(
        m
    )
    for account in data["accounts"][:accounts]:  # type: ignore[index]
        lon, lat = account.location
        folium.Marker((lat, lon)).add_to(m)
    folium.LayerControl().add_to(m)
    return m.get_root().render(), m


def _counts(kind: str, m: folium.Map) -> tuple[int, int]:
    children = list(m._children.values())
    if kind == "naive":
        polygons = sum(len(c.data["features"]) for c in children if isinstance(c, folium.GeoJson))
        points = sum(isinstance(c, folium.Marker) for c in children)
        return polygons, points
    # Our layers count what they drew (feature_count, point_count); folium's do not.
    polygons = next(
        cast(Any, c).feature_count
        for c in children
        if getattr(c, "layer_name", "") == "Territories"
    )
    points = next(
        cast(Any, c).point_count for c in children if getattr(c, "layer_name", "") == "Accounts"
    )
    return polygons, points


def simplification_check(data: dict[str, object]) -> tuple[int, bool, int, int]:
    """Overlapping neighbour pairs and validity of the polygons as drawn."""
    clear_cache()
    source = [t.geometry for t in data["territories"]]  # type: ignore[attr-defined]
    shapes, _ = display_geometries(source)
    tree = shapely.STRtree(shapes)
    left, right = tree.query(shapes, predicate="intersects")
    pair = left < right
    overlapping = int(
        shapely.relate_pattern(shapes[left[pair]], shapes[right[pair]], "T********").sum()
    )
    valid = bool(shapely.is_valid(shapes).all())
    vertices = int(shapely.get_num_coordinates(shapes).sum())
    return overlapping, valid, vertices, int(shapely.get_num_coordinates(np.asarray(source)).sum())


def _measure(
    variants: dict[str, Callable[[], tuple[str, folium.Map]]], repeats: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, int], dict[str, object]]:
    """Round-robin runs: wall and CPU seconds per run, last page size and counts."""
    for build in variants.values():  # warm-up: imports, Jinja templates, allocator
        build()
    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    sizes: dict[str, int] = {}
    counts: dict[str, object] = {}
    for _ in range(repeats):
        for name, build in variants.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            page, m = build()
            wall[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
            sizes[name] = len(page.encode())
            counts[name] = _counts("naive" if name.startswith("naive") else "ours", m)
            print(
                f"{name}: {wall[name][-1]:.2f} s wall, {cpu[name][-1]:.2f} s CPU, "
                f"{sizes[name] / 1e6:.2f} MB",
                file=sys.stderr,
            )
    return wall, cpu, sizes, counts


def _ratio(times: dict[str, list[float]], slow: str, fast: str) -> float:
    per_round = [s / f for s, f in zip(times[slow], times[fast], strict=True)]
    return round(statistics.median(per_round), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000, help="accounts on the big map")
    parser.add_argument("--sample", type=int, default=10_000, help="accounts for the ratio")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="three states, 5,000 / 1,000 accounts")
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.sample, args.repeats = 5_000, 1_000, 2
    data = make_data(max(args.accounts, args.sample), _QUICK_STATES if args.quick else None)
    print(f"{len(data['territories'])} territories, {args.accounts} accounts", file=sys.stderr)  # type: ignore[arg-type]
    wall, cpu, sizes, counts = _measure(
        {
            "ours_big": lambda: build_ours(data, args.accounts),
            "ours_sample": lambda: build_ours(data, args.sample),
            "ours_sample_warm": lambda: build_ours(data, args.sample, cold=False),
            "naive_sample": lambda: build_naive(data, args.sample),
        },
        args.repeats,
    )
    if counts["ours_sample"] != counts["naive_sample"]:
        raise SystemExit(
            f"maps disagree: ours {counts['ours_sample']} naive {counts['naive_sample']}"
        )
    overlapping, valid, vertices, raw_vertices = simplification_check(data)
    median = {name: round(statistics.median(values), 3) for name, values in wall.items()}
    median_cpu = {name: round(statistics.median(values), 3) for name, values in cpu.items()}
    result = {
        "territories": len(data["territories"]),  # type: ignore[arg-type]
        # Key names follow the default sizes; these say the real ones.
        "accounts_100k": args.accounts,
        "accounts_10k": args.sample,
        "html_mb_100k": round(sizes["ours_big"] / 1e6, 2),
        "ours_100k_s": median["ours_big"],
        "ours_10k_s": median["ours_sample"],
        "naive_10k_s": median["naive_sample"],
        "x_vs_naive": _ratio(cpu, "naive_sample", "ours_sample"),
        "x_vs_naive_wall": _ratio(wall, "naive_sample", "ours_sample"),
        "ours_100k_cpu_s": median_cpu["ours_big"],
        "ours_10k_cpu_s": median_cpu["ours_sample"],
        "naive_10k_cpu_s": median_cpu["naive_sample"],
        "ours_10k_warm_cpu_s": median_cpu["ours_sample_warm"],
        "x_vs_naive_warm": _ratio(cpu, "naive_sample", "ours_sample_warm"),
        "html_mb_10k": round(sizes["ours_sample"] / 1e6, 2),
        "naive_html_mb_10k": round(sizes["naive_sample"] / 1e6, 2),
        "vertices_raw": raw_vertices,
        "vertices_drawn": vertices,
        "overlapping_pairs_after_simplify": overlapping,
        "all_valid": valid,
        "repeats": args.repeats,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
