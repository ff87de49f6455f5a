"""Flags engine: overlap scan over 10,000 territories and too-far check over 1e6 accounts.

Overlaps: ``geo.flags.overlaps.find_overlaps`` (STRtree envelope pairs, DE-9IM
``T********``, shapes and equal-area km2 only for real overlaps) against a
naive scan run in full, vectorised per row: ``shapely.intersection`` of each
territory with every later one, pair kept when the area is > 0. Territories are
Voronoi cells of fixed-seed points over the CONUS interior (lon/lat), a few
hundred of them replaced by copies grown 5 % and shifted up to 0.3 cell widths;
both methods must find the same pairs. The 3,108 contiguous-US counties (a clean
coverage) must give 0 overlaps.

Distances: ``geo.distance.geodesic_km`` on 1e6 (account, rep home) pairs with
the reach check, against ``pyproj.Geod.inv`` called per pair in a Python loop
(timed on ``--loop-pairs`` pairs and scaled linearly); the error is measured
against vectorised ``Geod.inv`` on every pair. Also end to end:
``flag_too_far`` on domain objects against the same per-object loop.

Run: ``python3 -m bench.overlaps`` or ``--quick``. The last line of output is
one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import shapely

from bench._data import load_counties
from geo.crs import GEOD
from geo.distance import geodesic_km
from geo.flags.overlaps import find_overlaps
from geo.flags.too_far import flag_too_far
from geo.model import Account, Assignment, Rep, Territory

REGION = (-110.0, 32.0, -85.0, 45.0)  # CONUS interior, lon/lat
Pairs = set[tuple[int, int]]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run all three parts, print a summary and the JSON line; return the figures."""
    args = _parse(argv)
    result: dict[str, Any] = {}
    result.update(_bench_synthetic(args))
    result.update(_bench_counties(args))
    result.update(_bench_distances(args))
    print(json.dumps(result))
    return result


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=10_000)
    parser.add_argument("--grown", type=int, default=300, help="cells replaced by grown copies")
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=300)
    parser.add_argument("--loop-pairs", type=int, default=100_000, help="Geod.inv loop sample")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds after one warm-up")
    parser.add_argument("--seed", type=int, default=20240)
    parser.add_argument("--quick", action="store_true", help="1,000 territories, 20,000 accounts")
    args = parser.parse_args(argv)
    if args.quick:
        args.territories, args.grown, args.accounts, args.loop_pairs = 1_000, 30, 20_000, 10_000
    args.loop_pairs = min(args.loop_pairs, args.accounts)
    return args


def _round_robin(
    methods: dict[str, Callable[[], Any]],
    rounds: int,
    warm_up: dict[str, Callable[[], Any]] | None = None,
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """One warm-up round, then ``rounds`` timed rounds A, B, A, B, ...

    ``warm_up`` replaces a method in the warm-up round (a cheaper slice).
    Returns the times per method and each method's last answer.
    """
    for name, run in methods.items():
        (warm_up or {}).get(name, run)()
    times: dict[str, list[float]] = {name: [] for name in methods}
    answers: dict[str, Any] = {}
    for _ in range(rounds):
        for name, run in methods.items():
            started = time.perf_counter()
            answers[name] = run()
            times[name].append(time.perf_counter() - started)
    return times, answers


def _ratio(slow: list[float], fast: list[float]) -> float:
    """Median of the per-round ratios (runs made side by side)."""
    return statistics.median(s / f for s, f in zip(slow, fast, strict=True))


def _bench_synthetic(args: argparse.Namespace) -> dict[str, Any]:
    territories = _voronoi_territories(args.territories, args.grown, args.seed)
    geoms = np.array([t.geometry for t in territories], dtype=object)
    methods = {"ours": lambda: find_overlaps(territories), "naive": lambda: _naive_pairs(geoms)}
    # A full naive run costs ~25 s at 10k: warm it up on a slice only.
    warm_up = {"naive": lambda: _naive_pairs(geoms[: min(len(geoms), 300)])}
    times, answers = _round_robin(methods, args.rounds, warm_up)
    report, naive_pairs = answers["ours"], answers["naive"]
    ours_pairs = {(int(p.a_id or 0), p.b_id) for p in report.overlaps + report.slivers}
    same = ours_pairs == naive_pairs
    print(f"synthetic: {len(territories)} territories, {len(ours_pairs)} pairs, same={same}")
    assert same, f"pairs differ: {sorted(ours_pairs ^ naive_pairs)[:10]}"
    ours_s, naive_s = statistics.median(times["ours"]), statistics.median(times["naive"])
    print(f"  ours {ours_s:.3f} s, naive vectorised {naive_s:.3f} s")
    return {
        "territories": len(territories),
        "pairs": len(ours_pairs),
        "overlaps": len(report.overlaps),
        "slivers": len(report.slivers),
        "ours_s": round(ours_s, 4),
        "naive_s": round(naive_s, 4),
        "naive_method": "full run: shapely.intersection(row i, rows i+1..n), area > 0",
        "x_vs_naive": round(_ratio(times["naive"], times["ours"]), 1),
        "same_pairs": same,
    }


def _voronoi_territories(n: int, grown: int, seed: int) -> list[Territory]:
    rng = np.random.default_rng(seed)
    west, south, east, north = REGION
    frame = shapely.box(west, south, east, north)
    seeds = shapely.multipoints(rng.uniform([west, south], [east, north], (n, 2)))
    cells = np.asarray(shapely.voronoi_polygons(seeds, extend_to=frame).geoms)
    cells = shapely.intersection(cells, frame)
    cell_deg = np.sqrt((east - west) * (north - south) / n)
    for k in rng.choice(n, grown, replace=False):
        dx, dy = rng.uniform(-0.3, 0.3, 2) * cell_deg
        bigger = shapely.affinity.scale(cells[k], 1.05, 1.05)
        cells[k] = shapely.affinity.translate(bigger, dx, dy)
    return [Territory(id=k, name=f"cell {k}", geometry=g) for k, g in enumerate(cells)]


def _naive_pairs(geoms: np.ndarray) -> Pairs:
    found: Pairs = set()
    for i in range(len(geoms) - 1):
        area = shapely.area(shapely.intersection(geoms[i], geoms[i + 1 :]))
        found.update((i, i + 1 + int(j)) for j in np.flatnonzero(area > 0))
    return found


def _bench_counties(args: argparse.Namespace) -> dict[str, Any]:
    frame = load_counties()
    territories = [
        Territory(id=int(geoid), name=str(name), geometry=g)
        for geoid, name, g in zip(frame["GEOID"], frame["NAME"], frame.geometry, strict=True)
    ]
    times, answers = _round_robin({"counties": lambda: find_overlaps(territories)}, args.rounds)
    report = answers["counties"]
    found = len(report.overlaps) + len(report.slivers)
    counties_s = statistics.median(times["counties"])
    geoms = np.array([t.geometry for t in territories], dtype=object)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    touching = int(np.count_nonzero(left < right))
    print(
        f"counties: {len(territories)} polygons, {touching} touching pairs, {found} overlaps, "
        f"{counties_s:.3f} s"
    )
    assert found == 0, "touching counties reported as overlapping"
    return {
        "counties": len(territories),
        "counties_touching_pairs": touching,
        "counties_overlaps": found,
        "counties_s": round(counties_s, 4),
    }


def _bench_distances(args: argparse.Namespace) -> dict[str, Any]:
    data = _DistanceData(args.accounts, args.reps, args.seed)
    kernel = _bench_distance_kernel(data, args)
    end_to_end = _bench_flag_too_far(data, args)
    return {**kernel, **end_to_end}


class _DistanceData:
    """Accounts uniform over CONUS, reps' homes, each account given its nearest
    rep except 3 % given a random one; every 100th rep has no home, every
    1,000th account no location, every 3rd rep the default reach."""

    def __init__(self, n: int, n_reps: int, seed: int) -> None:
        rng = np.random.default_rng(seed + 1)
        self.lon, self.lat = rng.uniform([-124, 25], [-67, 49], (n, 2)).T
        self.home_lon, self.home_lat = rng.uniform([-124, 25], [-67, 49], (n_reps, 2)).T
        self.reach_km = np.where(np.arange(n_reps) % 3 == 0, 150.0, 250.0)
        self.rep_of = _nearest_home(self.lon, self.lat, self.home_lon, self.home_lat)
        stray = rng.random(n) < 0.03
        self.rep_of[stray] = rng.integers(0, n_reps, int(stray.sum()))
        self.reps = [
            Rep(
                k,
                f"rep {k}",
                home=None if k % 100 == 99 else (float(x), float(y)),
                max_service_km=None if k % 3 == 0 else 250.0,
            )
            for k, (x, y) in enumerate(zip(self.home_lon, self.home_lat, strict=True))
        ]
        self.accounts = [
            Account(f"acc{k}", location=None if k % 1000 == 999 else (x, y))
            for k, (x, y) in enumerate(zip(self.lon.tolist(), self.lat.tolist(), strict=True))
        ]
        self.assignments = [
            Assignment(f"acc{k}", 1, r, "geometry") for k, r in enumerate(self.rep_of.tolist())
        ]


def _nearest_home(
    lon: np.ndarray, lat: np.ndarray, hlon: np.ndarray, hlat: np.ndarray
) -> np.ndarray:
    def unit(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x, y = np.radians(x), np.radians(y)
        return np.column_stack([np.cos(y) * np.cos(x), np.cos(y) * np.sin(x), np.sin(y)])

    homes = unit(hlon, hlat)
    step = 100_000
    return np.concatenate(
        [
            np.argmax(unit(lon[k : k + step], lat[k : k + step]) @ homes.T, axis=1)
            for k in range(0, len(lon), step)
        ]
    )


def _bench_distance_kernel(data: _DistanceData, args: argparse.Namespace) -> dict[str, Any]:
    n, m = len(data.lon), args.loop_pairs
    hx, hy = data.home_lon[data.rep_of], data.home_lat[data.rep_of]
    limit = data.reach_km[data.rep_of]
    lists = [v[:m].tolist() for v in (data.lon, data.lat, hx, hy, limit)]
    methods = {
        "ours": lambda: geodesic_km(data.lon, data.lat, hx, hy) > limit,
        "loop": lambda: _geod_loop(*lists),
        "geod_vectorised": lambda: np.asarray(GEOD.inv(data.lon, data.lat, hx, hy)[2]) / 1e3,
    }
    times, answers = _round_robin(methods, args.rounds)
    reference_km = answers["geod_vectorised"]
    ours_km = geodesic_km(data.lon, data.lat, hx, hy)
    max_rel_err = float(np.max(np.abs(ours_km - reference_km) / reference_km))
    _check_flags(answers["ours"][:m], np.array(answers["loop"]), reference_km[:m], limit[:m])
    scale = n / m
    loop_s = [t * scale for t in times["loop"]]
    ours_s = statistics.median(times["ours"])
    print(
        f"distances: {n} pairs, ours {ours_s:.3f} s, Geod.inv loop "
        f"{statistics.median(loop_s):.2f} s (timed on {m}, x{scale:g}), "
        f"max rel err {max_rel_err:.2e}"
    )
    return {
        "distance_n": n,
        "distance_ours_s": round(ours_s, 4),
        "distance_loop_s": round(statistics.median(loop_s), 3),
        "distance_loop_timed_pairs": m,
        "x_distance": round(_ratio(loop_s, times["ours"]), 1),
        "geod_vectorised_s": round(statistics.median(times["geod_vectorised"]), 3),
        "max_rel_err": float(f"{max_rel_err:.3g}"),
    }


def _geod_loop(
    lon: list[float], lat: list[float], hx: list[float], hy: list[float], limit: list[float]
) -> list[bool]:
    inv = GEOD.inv
    return [
        inv(a, b, c, d)[2] / 1e3 > lim
        for a, b, c, d, lim in zip(lon, lat, hx, hy, limit, strict=True)
    ]


def _check_flags(
    ours: np.ndarray, loop: np.ndarray, reference_km: np.ndarray, limit: np.ndarray
) -> None:
    """Same flags except where the distance is within 1e-4 of the limit."""
    close = np.abs(reference_km - limit) <= 1e-4 * limit
    assert np.array_equal(ours[~close], loop[~close]), "too-far flags differ from Geod.inv"


def _bench_flag_too_far(data: _DistanceData, args: argparse.Namespace) -> dict[str, Any]:
    n, m = len(data.accounts), args.loop_pairs
    loop_only_s: list[float] = []

    def loop() -> list[str]:
        far, loop_s = _object_loop(data, m)
        loop_only_s.append(loop_s)
        return far

    methods = {
        "ours": lambda: flag_too_far(data.accounts, data.assignments, data.reps),
        "loop": loop,
    }
    times, answers = _round_robin(methods, args.rounds)
    report = answers["ours"]
    ours_far = {f.account_id for f in report.too_far}
    sample = {a.account_id for a in data.assignments[:m]}
    assert ours_far & sample == set(answers["loop"]), "flag_too_far disagrees with Geod.inv loop"
    # The per-object loop builds its lookup tables for all n accounts once and
    # is timed over the first m assignments: scale only the loop part.
    scaled = [t + s * (n / m - 1) for t, s in zip(times["loop"], loop_only_s[1:], strict=True)]
    ours_s, loop_s = statistics.median(times["ours"]), statistics.median(scaled)
    print(
        f"flag_too_far: {n} accounts, {len(report.too_far)} too far, "
        f"{len(report.not_checked)} not checked, {ours_s:.3f} s vs loop {loop_s:.2f} s"
    )
    return {
        "flag_too_far_s": round(ours_s, 4),
        "flag_loop_s": round(loop_s, 3),
        "x_flag": round(_ratio(scaled, times["ours"]), 1),
        "too_far": len(report.too_far),
        "not_checked": len(report.not_checked),
    }


def _object_loop(data: _DistanceData, m: int) -> tuple[list[str], float]:
    """The too-far check per object with ``Geod.inv``, without the nearest-rep search.

    Returns the ids too far among the first ``m`` assignments and the time of
    the loop alone (lookup tables excluded).
    """
    by_id = {a.id: a for a in data.accounts}
    rep_by_id = {r.id: r for r in data.reps}
    started = time.perf_counter()
    far: list[str] = []
    for row in data.assignments[:m]:
        account, rep = (
            by_id.get(row.account_id),
            rep_by_id.get(row.rep_id) if row.rep_id is not None else None,
        )
        if account is None or rep is None or account.location is None or rep.home is None:
            continue
        limit = rep.max_service_km if rep.max_service_km is not None else 150.0
        if GEOD.inv(*rep.home, *account.location)[2] / 1e3 > limit:
            far.append(account.id)
    return far, time.perf_counter() - started


if __name__ == "__main__":
    main()
