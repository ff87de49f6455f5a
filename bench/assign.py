"""Bulk assignment of random accounts to the 3,108 contiguous-US counties.

Ours (``geo.assign.assignment.assign_points`` over a :class:`geo.assign.index.TerritoryIndex`)
against ``geopandas.sjoin(predicate="within")`` and a PostGIS ``ST_Covers``
join, on the same points, in one process, round-robin after a warm-up round.
Every method returns a county id per point (-1 outside); the answers must be
identical. Also times the single-point ``locate`` and the index build.

Points are uniform over the counties' bounding box (fixed seed), so about 43 %
fall outside every county (sea, Canada, Mexico) and count as -1.

Run: ``python3 -m bench.assign`` (1e6 points) or ``--quick`` (1e4 points).
The last line of output is one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import geopandas
import numpy as np
import shapely

from bench._data import load_counties
from geo.assign.assignment import assign_points
from geo.assign.index import TerritoryIndex
from geo.model import Territory

DSN = "postgresql://postgres@127.0.0.1:5432/test"
# The planner's plan probes the county index once per point: every ST_Covers
# then gets a different polygon that PostGIS never prepares (notes 1e). A
# LATERAL subquery with OFFSET 0 forces one index scan of the points per
# county, so PostGIS's prepared-geometry cache is reused across that county.
POSTGIS_QUERIES = {
    "lateral": (
        "SELECT p.id, c.id FROM bench_counties c CROSS JOIN LATERAL "
        "(SELECT p.id FROM bench_points p WHERE ST_Covers(c.geom, p.geom) OFFSET 0) p"
    ),
    "planner": (
        "SELECT p.id, c.id FROM bench_points p JOIN bench_counties c ON ST_Covers(c.geom, p.geom)"
    ),
}
Method = Callable[[np.ndarray, np.ndarray], np.ndarray]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark, print a table and the JSON line; return the figures."""
    args = _parse(argv)
    counties = load_counties()
    ids = counties["GEOID"].astype(np.int64).to_numpy()
    territories = [
        Territory(int(i), str(n), g)
        for i, n, g in zip(ids, counties["NAME"], counties.geometry, strict=True)
    ]
    started = time.perf_counter()
    index = TerritoryIndex.build(territories)
    build_s = time.perf_counter() - started
    x, y = _points(counties, args.points, args.seed)
    methods: dict[str, Method] = {
        "ours": lambda a, b: assign_points(a, b, index),
        "sjoin": _sjoin_method(counties, ids),
    }
    notes: dict[str, Any] = {}
    if not args.no_postgis:
        methods.update(_postgis_methods(args.dsn, counties, ids, x, y, args.plans, notes))
    times, answers = _round_robin(methods, x, y, args.rounds)
    locate = _time_locate(index, counties, args.locate_points, args.seed + 1)
    return _report(args, index, build_s, times, answers, locate, notes)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="10,000 points, same methods")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds after one warm-up")
    parser.add_argument("--locate-points", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--dsn", default=DSN)
    parser.add_argument(
        "--plans",
        default="lateral,planner",
        help="PostGIS queries to time, of: " + ",".join(POSTGIS_QUERIES),
    )
    parser.add_argument("--no-postgis", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.points = 10_000
    args.plans = [p for p in args.plans.split(",") if p]
    return args


def _points(counties: geopandas.GeoDataFrame, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n points uniform over the counties' bounding box."""
    min_x, min_y, max_x, max_y = counties.total_bounds
    rng = np.random.default_rng(seed)
    return rng.uniform(min_x, max_x, n), rng.uniform(min_y, max_y, n)


def _sjoin_method(counties: geopandas.GeoDataFrame, ids: np.ndarray) -> Method:
    """geopandas.sjoin(within), end to end: points built, result as an id array."""
    frame = counties[["geometry"]]

    def run(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        points = geopandas.GeoDataFrame(geometry=geopandas.points_from_xy(x, y, crs=frame.crs))
        joined = geopandas.sjoin(points, frame, predicate="within")
        return _to_array(len(x), joined.index.to_numpy(), ids[joined["index_right"].to_numpy()])

    return run


def _to_array(n: int, point: np.ndarray, county_id: np.ndarray) -> np.ndarray:
    """County id per point, -1 for none, -2 where a point got two or more rows."""
    out = np.full(n, -1, dtype=np.int64)
    out[point] = county_id
    out[np.bincount(point, minlength=n) > 1] = -2
    return out


def _postgis_methods(
    dsn: str,
    counties: geopandas.GeoDataFrame,
    ids: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    plans: list[str],
    notes: dict[str, Any],
) -> dict[str, Method]:
    """Load counties and points into temp tables (untimed); one method per query."""
    import psycopg  # only the benchmark talks to a database

    try:
        conn = psycopg.connect(dsn, autocommit=True)
    except psycopg.OperationalError as exc:
        notes["postgis_error"] = str(exc).splitlines()[0]
        print(f"PostGIS unavailable, skipped: {notes['postgis_error']}", file=sys.stderr)
        return {}
    started = time.perf_counter()
    _load_postgis(conn, counties, ids, x, y)
    notes["postgis_load_s"] = round(time.perf_counter() - started, 3)
    for plan in plans:
        explain = conn.execute("EXPLAIN (COSTS OFF) " + POSTGIS_QUERIES[plan]).fetchall()
        nodes = [line.strip(" ->") for (line,) in explain if "->" in line or line[0] != " "]
        notes[f"postgis_{plan}_plan"] = " / ".join(n for n in nodes if n != "JIT:")
    return {f"postgis_{plan}": _postgis_method(conn, POSTGIS_QUERIES[plan]) for plan in plans}


def _load_postgis(
    conn: Any, counties: geopandas.GeoDataFrame, ids: np.ndarray, x: np.ndarray, y: np.ndarray
) -> None:
    """COPY counties (EWKB) and points (exact float text) into indexed temp tables."""
    conn.execute("DROP TABLE IF EXISTS bench_counties, bench_points, bench_xy")
    conn.execute("CREATE TEMP TABLE bench_counties (id bigint PRIMARY KEY, geom geometry)")
    conn.execute("CREATE TEMP TABLE bench_xy (id bigint, lon float8, lat float8)")
    wkb = shapely.to_wkb(
        shapely.set_srid(counties.geometry.array, 4269), hex=True, include_srid=True
    )
    with conn.cursor().copy("COPY bench_counties FROM STDIN") as copy:
        copy.write("".join(f"{i}\t{g}\n" for i, g in zip(ids.tolist(), wkb, strict=True)))
    # repr() of a float round-trips exactly, so PostGIS sees the same points.
    with conn.cursor().copy("COPY bench_xy FROM STDIN") as copy:
        copy.write(
            "".join(
                f"{i}\t{a!r}\t{b!r}\n"
                for i, (a, b) in enumerate(zip(x.tolist(), y.tolist(), strict=True))
            )
        )
    conn.execute(
        "CREATE TEMP TABLE bench_points AS SELECT id, "
        "ST_SetSRID(ST_MakePoint(lon, lat), 4269) AS geom FROM bench_xy"
    )
    conn.execute("CREATE INDEX ON bench_counties USING gist (geom)")
    conn.execute("CREATE INDEX ON bench_points USING gist (geom)")
    conn.execute("ANALYZE bench_counties")
    conn.execute("ANALYZE bench_points")


def _postgis_method(conn: Any, query: str) -> Method:
    """Time the join streamed to the client (COPY TO STDOUT); parse after."""

    def run(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with conn.cursor().copy(f"COPY ({query}) TO STDOUT") as copy:
            chunks = [bytes(block) for block in copy]
        pairs = np.array(b"".join(chunks).split(), dtype=np.int64).reshape(-1, 2)
        return _to_array(len(x), pairs[:, 0], pairs[:, 1])

    return run


def _round_robin(
    methods: dict[str, Method], x: np.ndarray, y: np.ndarray, rounds: int
) -> tuple[dict[str, list[float]], dict[str, np.ndarray]]:
    """One warm-up round, then ``rounds`` timed rounds, methods interleaved."""
    times: dict[str, list[float]] = {name: [] for name in methods}
    answers: dict[str, np.ndarray] = {}
    for r in range(rounds + 1):
        for name, method in methods.items():
            started = time.perf_counter()
            answers[name] = method(x, y)
            elapsed = time.perf_counter() - started
            if r > 0:
                times[name].append(elapsed)
            print(
                f"round {r}{' (warm-up)' if r == 0 else ''} {name}: {elapsed:.3f} s",
                file=sys.stderr,
            )
    return times, answers


def _time_locate(
    index: TerritoryIndex, counties: geopandas.GeoDataFrame, n: int, seed: int
) -> dict[str, float]:
    """Per-call latency of ``locate`` over n random points, after a warm-up pass."""
    x, y = _points(counties, n, seed)
    xs, ys = x.tolist(), y.tolist()
    for lon, lat in zip(xs, ys, strict=True):
        index.locate(lon, lat)
    clock = time.perf_counter_ns
    elapsed, found = [], []
    for lon, lat in zip(xs, ys, strict=True):
        started = clock()
        result = index.locate(lon, lat)
        elapsed.append(clock() - started)
        found.append(-1 if result.territory_id is None else result.territory_id)
    us = np.array(elapsed) / 1000
    agree = bool(np.array_equal(np.array(found), assign_points(x, y, index)))
    return {
        "median_us": float(np.median(us)),
        "p99_us": float(np.percentile(us, 99)),
        "agrees_with_bulk": agree,
    }


def _report(
    args: argparse.Namespace,
    index: TerritoryIndex,
    build_s: float,
    times: dict[str, list[float]],
    answers: dict[str, np.ndarray],
    locate: dict[str, float],
    notes: dict[str, Any],
) -> dict[str, Any]:
    ours = answers["ours"]
    mismatches = {
        name: int(np.count_nonzero(a != ours)) for name, a in answers.items() if name != "ours"
    }
    median = {name: statistics.median(t) for name, t in times.items()}
    ratio = {
        name: statistics.median(t / o for t, o in zip(times[name], times["ours"], strict=True))
        for name in times
        if name != "ours"
    }
    postgis = [n for n in times if n.startswith("postgis_")]
    best_pg = min(postgis, key=lambda n: median[n]) if postgis else None
    for name in times:
        print(
            f"{name:18s} median {median[name]:8.3f} s  "
            f"{args.points / median[name] / 1e6:7.2f} M pts/s  "
            f"x{ratio.get(name, 1.0):6.1f} vs ours  mismatches {mismatches.get(name, 0)}"
        )
    result = {
        "points": args.points,
        "territories": len(index.territories),
        "rounds": args.rounds,
        "inside_share": round(float(np.mean(ours >= 0)), 4),
        "ours_s": round(median["ours"], 4),
        "sjoin_s": round(median["sjoin"], 4),
        "postgis_s": round(median[best_pg], 4) if best_pg else None,
        "postgis_query": best_pg,
        **{f"{n}_s": round(median[n], 4) for n in postgis},
        "x_vs_sjoin": round(ratio["sjoin"], 2),
        "x_vs_postgis": round(ratio[best_pg], 2) if best_pg else None,
        "agree": not any(mismatches.values()) and bool(locate["agrees_with_bulk"]),
        "mismatches": mismatches,
        "locate_median_us": round(locate["median_us"], 2),
        "locate_p99_us": round(locate["p99_us"], 2),
        "index_build_s": round(build_s, 3),
        "grid_cells": index.grid.nx * index.grid.ny,
        "cell_deg": round(index.grid.cell_deg, 5),
        **notes,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
